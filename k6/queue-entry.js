// Fans entering one schedule's waiting room, each with a new user id. Each fan's token is
// signed before the run starts, as a real fan signed in before the sale: signing in the load
// generator during the run would take its CPU from the server it measures.
//   MODE=rate (default): a constant RATE entries/s for DURATION (the published target:
//   2,000/s at p95 3.13 ms). MODE=saturate: VUS fans entering back to back for DURATION.
// Env: BASE_URL, SECRET_KEY, ISSUED_AT, SCHEDULE_ID, RATE, DURATION, VUS, USER_OFFSET, MAX_FANS,
// SUMMARY.
// Bounded: stops after DURATION; 127.0.0.1 only.
import http from "k6/http";
import { check } from "k6";
import { Counter } from "k6/metrics";
import { accessToken } from "./lib/jwt.js";
import { jsonSummary } from "./lib/summary.js";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";
const SCHEDULE = __ENV.SCHEDULE_ID || "1";
const SECRET = __ENV.SECRET_KEY;
const OFFSET = Number(__ENV.USER_OFFSET || 10000000);
const DURATION = __ENV.DURATION || "30s";
const MODE = __ENV.MODE || "rate";
const URL = `${BASE}/api/v1/schedules/${SCHEDULE}/queue`;
const VUS = Number(__ENV.VUS || (MODE === "rate" ? 200 : 64));
const MAX_VUS = MODE === "rate" ? Math.max(VUS, 400) : VUS;
// Enough fans for the run: the offered rate, or more than two cores can answer back to back.
const FANS = MODE === "rate"
  ? Math.ceil(Number(__ENV.RATE || 2000) * parseInt(DURATION, 10) * 1.05)
  : Number(__ENV.MAX_FANS || 150000);

const scenario = MODE === "rate"
  ? { executor: "constant-arrival-rate", rate: Number(__ENV.RATE || 2000), timeUnit: "1s",
      duration: DURATION, preAllocatedVUs: VUS, maxVUs: MAX_VUS }
  : { executor: "constant-vus", vus: VUS, duration: DURATION };

export const options = {
  scenarios: { entry: scenario },
  thresholds: {
    http_req_failed: ["rate<0.001"],
    checks: ["rate>0.999"],
  },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  discardResponseBodies: true,
};

// VU v's k-th fan is user OFFSET + (v - 1) + k * MAX_VUS: no two VUs share a fan. Each VU
// signs its share of FANS in its init, before the run, into a plain array: reading them from
// a SharedArray cost k6 twice the CPU of the request itself (docs/PERFORMANCE.md). A VU that
// gets more iterations than its share (the arrival-rate executor need not spread them
// evenly) signs the rest as it goes, and counts them.
const userOf = (k) => OFFSET + (__VU - 1) + k * MAX_VUS;
const params = (k) => ({ headers: { Authorization: `Bearer ${accessToken(SECRET, userOf(k))}` } });
const MINE = [];
// VUs past VUS (started mid-run when the server falls behind) sign as they go.
for (let k = 0; __VU > 0 && __VU <= VUS && k < Math.ceil(FANS / VUS); k++) MINE.push(params(k));
const signedDuringRun = new Counter("tokens_signed_during_run");
let entries = 0;

export default function () {
  const k = entries++;
  let fan = MINE[k];
  if (fan === undefined) {
    fan = params(k);
    signedDuringRun.add(1);
  }
  const response = http.post(URL, null, fan);
  check(response, { "entered (201)": (r) => r.status === 201 });
}

export const handleSummary = jsonSummary("reports/queue-entry.json");
