// Requests sent as a browser sends them when a keep-alive connection closes under them.
// A server closes a connection that stays idle (granian after 30 s, nginx after 75 s), and
// a request sent on it just then gets no answer (EOF, reset) without having been read. A
// browser sends such a request again, once, on a new connection, whatever its method; Go
// (so k6) does it only for GET and HEAD, so a POST without an answer was a fan's error
// that no browser would have shown. (k6 does not say whether the connection was a reused
// one, as a browser checks: an EOF on a new connection, a server that died mid-request, is
// resent too.) The resends are counted (resent_after_close).
import http from "k6/http";
import { Counter } from "k6/metrics";

const resent = new Counter("resent_after_close");
const CLOSED = /EOF|connection reset|broken pipe/;

export async function sendAsBrowser(method, url, body, params) {
  const response = await http.asyncRequest(method, url, body, params);
  if (response.status !== 0 || !CLOSED.test(response.error)) return response;
  resent.add(1);
  return http.asyncRequest(method, url, body, params);
}
