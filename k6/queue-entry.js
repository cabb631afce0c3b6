// Fans entering one schedule's waiting room, each with a new user id. Each fan's token is
// signed before the run starts, as a real fan signed in before the sale: signing in the load
// generator during the run would take its CPU from the server it measures.
//   MODE=rate (default): a constant RATE entries/s for DURATION (the published target:
//   2,000/s at p95 3.13 ms). MODE=saturate: VUS fans entering back to back for DURATION.
// Env: BASE_URL, SECRET_KEY, ISSUED_AT, SCHEDULE_ID, RATE, DURATION, VUS, USER_OFFSET, MAX_FANS,
// SUMMARY.
// Bounded: stops after DURATION; 127.0.0.1 only.
import http from "k6/http";
import exec from "k6/execution";
import { check } from "k6";
import { SharedArray } from "k6/data";
import { accessToken } from "./lib/jwt.js";
import { jsonSummary } from "./lib/summary.js";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";
const SCHEDULE = __ENV.SCHEDULE_ID || "1";
const SECRET = __ENV.SECRET_KEY;
const OFFSET = Number(__ENV.USER_OFFSET || 10000000);
const DURATION = __ENV.DURATION || "30s";
const MODE = __ENV.MODE || "rate";
// Enough fans for the run: the offered rate, or more than two cores can answer back to back.
const FANS = MODE === "rate"
  ? Math.ceil(Number(__ENV.RATE || 2000) * parseInt(DURATION, 10) * 1.05)
  : Number(__ENV.MAX_FANS || 150000);
const TOKENS = new SharedArray("fans' tokens", () =>
  Array.from({ length: FANS }, (_, i) => accessToken(SECRET, OFFSET + i)));

const scenario = MODE === "rate"
  ? { executor: "constant-arrival-rate", rate: Number(__ENV.RATE || 2000), timeUnit: "1s",
      duration: DURATION, preAllocatedVUs: Number(__ENV.VUS || 200), maxVUs: 400 }
  : { executor: "constant-vus", vus: Number(__ENV.VUS || 64), duration: DURATION };

export const options = {
  scenarios: { entry: scenario },
  thresholds: {
    http_req_failed: ["rate<0.001"],
    checks: ["rate>0.999"],
  },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  discardResponseBodies: true,
};

export default function () {
  const response = http.post(`${BASE}/api/v1/schedules/${SCHEDULE}/queue`, null, {
    headers: { Authorization: `Bearer ${TOKENS[exec.scenario.iterationInTest]}` },
  });
  check(response, { "entered (201)": (r) => r.status === 201 });
}

export const handleSummary = jsonSummary("reports/queue-entry.json");
