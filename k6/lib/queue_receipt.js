// The heartbeat sends back the receipt of the place from the last answer (X-Queue-Token),
// as the fans' page does: a server answers a fan still waiting without asking Redis. A fan
// keeps it with the headers of its heartbeats (`fan.beatHeaders`, from `fan.headers`).
export function keepReceipt(fan, body) {
  if (!body.queue_token || body.queue_token === fan.queueToken) return;
  fan.queueToken = body.queue_token;
  fan.beatHeaders = { ...fan.headers, "X-Queue-Token": body.queue_token };
}
