// Waiting fans polling their place. The queue holds users 1..FANS (queued by the bench
// command); POLLERS of them (10,000 by default), spread evenly from the front to the back of
// the queue, poll in turn, each with its own token as a real fan would.
// MODE=rate (default): RATE polls/s for DURATION; MODE=saturate: VUS pollers back to back.
// Env: BASE_URL, SECRET_KEY, ISSUED_AT, SCHEDULE_ID, FANS, POLLERS, RATE, DURATION, VUS, SUMMARY.
import http from "k6/http";
import exec from "k6/execution";
import { check } from "k6";
import { SharedArray } from "k6/data";
import { accessToken } from "./lib/jwt.js";
import { jsonSummary } from "./lib/summary.js";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";
const SCHEDULE = __ENV.SCHEDULE_ID || "1";
const SECRET = __ENV.SECRET_KEY;
const FANS = Number(__ENV.FANS || 1000);
const POLLERS = Math.min(FANS, Number(__ENV.POLLERS || 10000));
const STRIDE = Math.floor(FANS / POLLERS);
const DURATION = __ENV.DURATION || "30s";

const scenario = (__ENV.MODE || "rate") === "rate"
  ? { executor: "constant-arrival-rate", rate: Number(__ENV.RATE || 1000), timeUnit: "1s",
      duration: DURATION, preAllocatedVUs: Number(__ENV.VUS || 100), maxVUs: 300 }
  : { executor: "constant-vus", vus: Number(__ENV.VUS || 64), duration: DURATION };

export const options = {
  scenarios: { poll: scenario },
  thresholds: { http_req_failed: ["rate<0.001"], checks: ["rate>0.999"] },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  discardResponseBodies: true,
};

// Signed once, before the run, and shared by every VU: each fan keeps one token.
const TOKENS = new SharedArray("pollers' tokens", () =>
  Array.from({ length: POLLERS }, (_, i) => accessToken(SECRET, 1 + i * STRIDE)));

export default function () {
  const response = http.get(`${BASE}/api/v1/schedules/${SCHEDULE}/queue`, {
    headers: { Authorization: `Bearer ${TOKENS[exec.scenario.iterationInTest % POLLERS]}` },
  });
  check(response, { "polled (200)": (r) => r.status === 200 });
}

export const handleSummary = jsonSummary("reports/queue-poll.json");
