// Waiting fans polling their place. The queue holds users 1..FANS (queued by the bench
// command); POLLERS of them (10,000 by default), spread evenly from the front to the back of
// the queue, poll in turn, each with its own token as a real fan would, and from its second
// poll on with the receipt of its place (X-Queue-Token) that its first answer gave, as the
// fans' page sends it.
// MODE=rate (default): RATE polls/s for DURATION; MODE=saturate: VUS pollers back to back.
// Env: BASE_URL, SECRET_KEY, ISSUED_AT, SCHEDULE_ID, FANS, POLLERS, RATE, DURATION, VUS, SUMMARY.
import http from "k6/http";
import { check } from "k6";
import { accessToken } from "./lib/jwt.js";
import { jsonSummary } from "./lib/summary.js";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";
const SCHEDULE = __ENV.SCHEDULE_ID || "1";
const SECRET = __ENV.SECRET_KEY;
const FANS = Number(__ENV.FANS || 1000);
const POLLERS = Math.min(FANS, Number(__ENV.POLLERS || 10000));
const STRIDE = Math.floor(FANS / POLLERS);
const DURATION = __ENV.DURATION || "30s";
const VUS = Number(__ENV.VUS || (__ENV.MODE === "saturate" ? 64 : 100));
const URL = `${BASE}/api/v1/schedules/${SCHEDULE}/queue`;

const scenario = (__ENV.MODE || "rate") === "rate"
  ? { executor: "constant-arrival-rate", rate: Number(__ENV.RATE || 1000), timeUnit: "1s",
      duration: DURATION, preAllocatedVUs: VUS, maxVUs: 300 }
  : { executor: "constant-vus", vus: VUS, duration: DURATION };

export const options = {
  scenarios: { poll: scenario },
  thresholds: { http_req_failed: ["rate<0.001"], checks: ["rate>0.999"] },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  discardResponseBodies: true,
};

// Each VU polls as its own share of the pollers (every VUS-th one; VUs past VUS share
// again), each fan with one token, signed in the VU's init before the run. Reading tokens
// from a SharedArray instead cost k6 twice the CPU of the request itself on these shared
// cores (docs/PERFORMANCE.md), which the ratio to the bare view then charged to the server.
const SHARES = Math.min(VUS, POLLERS);
const MINE = [];
for (let i = (__VU - 1) % SHARES; __VU > 0 && i < POLLERS; i += SHARES) {
  const headers = { Authorization: `Bearer ${accessToken(SECRET, 1 + i * STRIDE)}` };
  MINE.push({ params: { headers }, receipt: null });
}
let polls = 0;

export default function () {
  const fan = MINE[polls++ % MINE.length];
  if (fan.receipt === null) {
    const first = http.get(URL, { headers: fan.params.headers, responseType: "text" });
    check(first, { "polled (200)": (r) => r.status === 200 });
    fan.receipt = (first.status === 200 && first.json("queue_token")) || null;
    if (fan.receipt) fan.params = { headers: { ...fan.params.headers, "X-Queue-Token": fan.receipt } };
    return;
  }
  const response = http.get(URL, fan.params);
  check(response, { "polled (200)": (r) => r.status === 200 });
}

export const handleSummary = jsonSummary("reports/queue-poll.json");
