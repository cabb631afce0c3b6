// Fans passing through the waiting room: enter, watch the public state until `serving`
// reaches their entry number, claim (their own GET, which answers "admitted" with the access
// token), leave (giving the slot back for the next fan). Each iteration is a new fan with its
// own JWT, user ids from FIRST_USER up. Measures fans through the room per second and each
// step's latency.
// Bounded: VUS fans at a time for DURATION. Env: BASE_URL, SECRET_KEY, ISSUED_AT,
// SCHEDULE_ID, FIRST_USER, VUS, DURATION, SUMMARY.
import http from "k6/http";
import exec from "k6/execution";
import { check, sleep } from "k6";
import { Counter, Trend } from "k6/metrics";
import { accessToken } from "./lib/jwt.js";
import { jsonSummary } from "./lib/summary.js";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";
const SCHEDULE = __ENV.SCHEDULE_ID || "1";
const SECRET = __ENV.SECRET_KEY;
const FIRST_USER = Number(__ENV.FIRST_USER || 1);
const POLL_PAUSE = Number(__ENV.POLL_PAUSE || 0.2);

const circulated = new Counter("fans_through");
const waitTime = new Trend("queue_wait", true);

export const options = {
  scenarios: { circulation: { executor: "constant-vus", vus: Number(__ENV.VUS || 64),
                              duration: __ENV.DURATION || "20s" } },
  thresholds: { http_req_failed: ["rate<0.001"], checks: ["rate>0.999"] },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
};

export default function () {
  const user = FIRST_USER + exec.scenario.iterationInTest;
  const params = (name) => ({ headers: { Authorization: `Bearer ${accessToken(SECRET, user)}` },
                              tags: { name } });
  const url = `${BASE}/api/v1/schedules/${SCHEDULE}/queue`;
  const started = Date.now();
  let answer = http.post(url, null, params("enter"));
  check(answer, { "entered": (r) => r.status === 201 });
  const entry = answer.status < 300 ? answer.json("entry_number") : null;
  let beatAt = Date.now() + (answer.status < 300 ? answer.json("heartbeat_seconds") : 10) * 1000;
  for (let watches = 0; answer.status < 300 && answer.json("status") !== "admitted" &&
       watches < 200; watches++) {
    sleep(POLL_PAUSE);
    const state = http.get(`${url}/state`, { tags: { name: "state" } });
    check(state, { "state": (r) => r.status === 200 });
    if ((state.status === 200 && state.json("serving") >= entry) || Date.now() >= beatAt) {
      answer = http.get(url, params("claim"));  // the claim, or a heartbeat when it is due
      check(answer, { "claimed": (r) => r.status === 200 });
      beatAt = Date.now() + 10000;
    }
  }
  if (answer.status >= 300 || answer.json("status") !== "admitted") return;
  waitTime.add(Date.now() - started);
  const left = http.del(url, null, params("leave"));
  check(left, { "left": (r) => r.status === 204 });
  circulated.add(1);
}

export const handleSummary = jsonSummary("reports/queue-circulation.json");
