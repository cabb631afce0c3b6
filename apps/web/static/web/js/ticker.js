// A steady tick for pages that must keep talking to the server while their tab is in the
// background: browsers slow a hidden tab's timers to once a minute, which would cost a
// waiting fan the place; a dedicated worker's timers keep their pace.

export function onTick(intervalMs, callback) {
  try {
    const worker = new Worker(new URL("./ticker_worker.js", import.meta.url));
    worker.onmessage = () => callback();
    worker.postMessage(intervalMs);
    return () => worker.terminate();
  } catch {
    const timer = setInterval(callback, intervalMs);
    return () => clearInterval(timer);
  }
}
