// The published waiting-room load: FANS fans (10,000) arrive over the first ENTRY_SPREAD
// seconds (20) and wait as the API contract asks a client to:
//   - watch the public queue state every WATCH_SECONDS (3), with the ETag of the copy they
//     have (nginx answers from its one-second cache, or 304);
//   - send a heartbeat (their own GET .../queue) every heartbeat_seconds the entry answer
//     gives;
//   - claim (the same GET) as soon as the state's `serving` reaches their entry number,
//     then leave at once, giving the slot back (as a fan who bought would).
// k6 cannot run 10,000 VUs on two cores, so each of VUS virtual browsers (500) runs
// FANS / VUS fans, each on its own timers and with its own JWT; a browser that falls behind
// shows up as a lower request rate. Bounded: DURATION_SECONDS (180).
// Env: BASE_URL, SECRET_KEY, ISSUED_AT, SCHEDULE_ID, FANS, VUS, USER_OFFSET, WATCH_SECONDS,
// ENTRY_SPREAD, DURATION_SECONDS, SUMMARY.
import http from "k6/http";
import exec from "k6/execution";
import { check, sleep } from "k6";
import { Counter, Trend } from "k6/metrics";
import { accessToken } from "./lib/jwt.js";
import { keepReceipt } from "./lib/queue_receipt.js";
import { jsonSummary } from "./lib/summary.js";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";
const SCHEDULE = __ENV.SCHEDULE_ID || "1";
const SECRET = __ENV.SECRET_KEY;
const FANS = Number(__ENV.FANS || 10000);
const VUS = Number(__ENV.VUS || 500);
const USER_OFFSET = Number(__ENV.USER_OFFSET || 0);
const WATCH_MS = Number(__ENV.WATCH_SECONDS || 3) * 1000;
const SPREAD_MS = Number(__ENV.ENTRY_SPREAD || 20) * 1000;
const DURATION_MS = Number(__ENV.DURATION_SECONDS || 180) * 1000;
const QUEUE = `${BASE}/api/v1/schedules/${SCHEDULE}/queue`;

// Latency per kind of request comes from http_req_duration{name:...} (the thresholds below
// make k6 report them): no extra metric per request, k6 shares the two cores with the app.
const waitTime = new Trend("queue_wait", true);
const admitted = new Counter("fans_admitted");
const lostPlaces = new Counter("places_lost");
const inversions = new Counter("served_but_not_admitted");
const notModified = new Counter("state_not_modified");
const fromCache = new Counter("state_from_cache");  // answered by nginx, not by the app

export const options = {
  scenarios: {
    watch: { executor: "per-vu-iterations", vus: VUS, iterations: 1,
             maxDuration: `${Math.ceil(DURATION_MS / 1000) + 30}s` },
  },
  thresholds: {
    http_req_failed: ["rate<0.001"],
    checks: ["rate>0.999"],
    "http_req_duration{name:state}": ["p(95)<50"],
    "http_req_duration{name:heartbeat}": ["p(95)<200"],
    "http_req_duration{name:enter}": ["p(95)<200"],
    "http_req_duration{name:claim}": ["p(95)<200"],
  },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max", "count"],
  // Only the tags the report reads: each tag is work for k6 on every sample of every request.
  systemTags: ["name", "status", "method", "expected_response", "check", "scenario"],
};

function newFans(started) {
  const fans = [];
  for (let i = exec.vu.idInTest - 1; i < FANS; i += VUS) {
    const user = USER_OFFSET + i + 1;
    fans.push({
      user,
      headers: { Authorization: `Bearer ${accessToken(SECRET, user)}` },
      enterAt: started + Math.random() * SPREAD_MS,
      phase: "arriving",
      entry: null,
      etag: null,
      serving: 0,
    });
  }
  return fans;
}

function nextAt(fan) {
  if (fan.phase === "arriving") return fan.enterAt;
  if (fan.phase === "waiting") return Math.min(fan.watchAt, fan.beatAt, fan.claimAt);
  return Infinity;
}

function done(fan, answer) {
  waitTime.add(Date.now() - fan.enteredAt);
  admitted.add(1);
  fan.phase = "done";
  const left = http.del(QUEUE, null, { headers: fan.headers, tags: { name: "leave" } });
  check(left, { "left (204)": (r) => r.status === 204 });
}

function placeFrom(fan, answer, now) {
  const body = answer.json();
  if (body.status === "admitted") return done(fan, answer);
  fan.entry = body.entry_number;
  keepReceipt(fan, body);
  fan.beatEvery = body.heartbeat_seconds * 1000;
  fan.beatAt = now + fan.beatEvery;
  fan.claimAt = Infinity;
}

function enter(fan) {
  const now = Date.now();
  const answer = http.post(QUEUE, null, { headers: fan.headers, tags: { name: "enter" } });
  if (!check(answer, { "entered (201)": (r) => r.status === 201 })) {
    fan.phase = "failed";
    return;
  }
  fan.enteredAt = now;
  fan.phase = "waiting";
  fan.watchAt = now + Math.random() * WATCH_MS;
  placeFrom(fan, answer, now);
}

function watch(fan) {
  const headers = fan.etag ? { "If-None-Match": fan.etag } : {};
  const answer = http.get(`${QUEUE}/state`, { headers, tags: { name: "state" } });
  // Failures count in http_req_failed; no check() on the most frequent request.
  if (answer.status === 304 || CACHED.has(answer.headers["X-Cache"])) fromCache.add(1);
  if (answer.status === 200) {
    fan.etag = answer.headers.Etag || null;
    fan.serving = servingIn(answer.body);
  } else if (answer.status === 304) {
    notModified.add(1);
  }
  fan.watchAt += WATCH_MS;
  if (fan.entry !== null && fan.serving >= fan.entry) fan.claimAt = Date.now();
}

const CACHED = new Set(["HIT", "UPDATING", "STALE"]);

// `serving` read straight from the small body: cheaper for k6 than a JSON parse.
function servingIn(body) {
  const at = body.indexOf('"serving": ') + 11;
  return parseInt(body.substring(at, body.indexOf(",", at)), 10);
}

function beat(fan, isClaim) {
  const now = Date.now();
  const name = isClaim ? "claim" : "heartbeat";
  const answer = http.get(QUEUE, { headers: fan.beatHeaders || fan.headers, tags: { name } });
  if (answer.status === 404) {
    lostPlaces.add(1);  // a fan who kept beating must never lose the place
    fan.phase = "failed";
    return;
  }
  if (!check(answer, { "heartbeat (200)": (r) => r.status === 200 })) return;
  if (isClaim && answer.json("status") !== "admitted") inversions.add(1);
  placeFrom(fan, answer, now);
}

export default function () {
  const started = Date.now();
  const end = started + DURATION_MS;
  const fans = newFans(started);
  // When each fan acts next, kept as plain numbers and updated for the one fan that acted
  // (only its own times change): scanning the fans' objects before every request was most
  // of k6's own CPU in this script (docs/PERFORMANCE.md).
  const due = fans.map(nextAt);
  while (Date.now() < end) {
    let next = -1;
    let at = Infinity;
    for (let i = 0; i < due.length; i++) {
      if (due[i] < at) { at = due[i]; next = i; }
    }
    if (next < 0 || at >= end) break;
    const fan = fans[next];
    const wait = at - Date.now();
    if (wait > 0) sleep(wait / 1000);
    if (fan.phase === "arriving") enter(fan);
    else if (at === fan.claimAt) beat(fan, true);
    else if (at === fan.beatAt) beat(fan, false);
    else watch(fan);
    due[next] = nextAt(fan);
  }
  const rest = end - Date.now();
  if (rest > 0) sleep(rest / 1000);  // every browser ends at the same time: a steady rate
}

export const handleSummary = jsonSummary("reports/queue-watch.json");
