// The clock of ticker.js, in a worker: posts a message every interval it is sent.
let timer = null;
self.onmessage = (event) => {
  clearInterval(timer);
  timer = setInterval(() => self.postMessage(0), Number(event.data));
};
