// The flash sale: FANS fans arrive within ARRIVAL_SECONDS for the seats of one schedule.
// Each fan enters the waiting room and waits as the API contract asks: it watches the public
// queue state (politely, more often near the front), sends a heartbeat (its own GET
// .../queue) every heartbeat_seconds, and claims its access token with the same GET as soon
// as `serving` reaches its entry number. Then it loads the seat map once, holds one
// available seat and pays, renewing its access token first when it has under 15 s left;
// after a 409 it asks for the seat statuses alone (a byte a seat, .../seats/statuses) and
// tries another, as the seat page does. When every seat is held it
// looks again a few times, a second apart, for the seats of holds that lapse. LEAVE_SHARE of
// the fans leave the queue after their first look at the state; NO_PAY_SHARE hold a seat
// and never pay (the hold expires and the seat is sold again). A fan still in line when the
// state says `sold_out` leaves.
//
// Every fan is on its own: its journey is an async function with its own timers and
// requests (k6's http.asyncRequest), so a fan never waits for another fan's request, as
// browsers don't. k6 cannot run 20,000 VUs on a small machine, so each of AGENTS VUs runs
// the journeys of FANS / AGENTS fans side by side, each with its own JWT. (They used to
// take turns, one request at a time per VU: a fan admitted while its VU booked another fan
// waited inside k6, slots filled with fans who had not noticed, and the ETA errors and
// adaptive admission measured the load generator.) Fans are user ids from FANS_FILE.
// Bounded by DURATION; 127.0.0.1 only.
// Env: BASE_URL, SECRET_KEY, ISSUED_AT, SCHEDULE_ID, FANS_FILE, ARRIVAL_SECONDS,
// FASTEST_PACE, AGENTS, DURATION, LEAVE_SHARE, NO_PAY_SHARE, ACTIVE_TTL_SECONDS, SUMMARY.
// Each admission is logged (entry number, access expiry) for the bench's order check. Each
// ETA a fan was shown (at entry, or for a fan who came before the opening at its first
// call after it; at each heartbeat) is compared with the wait it then had until the
// waiting room admitted it (eta_error_entry, eta_error_beat, in %: the admission is the
// access expiry less ACTIVE_TTL_SECONDS, stamped by the server), and with the wait until
// the fan noticed, which adds how often this client looks (eta_error_*_seen; notice_lag),
// and signed (eta_bias_*: below 0 when the ETA was too short).
// An answer given while the fan's last look at the state said every seat is held is not
// compared: the fans' page shows no ETA then (eta_not_shown); nor one given while the fans
// ahead could take every seat left (eta_beyond_seats).
import http from "k6/http";
import exec from "k6/execution";
import { Counter, Trend } from "k6/metrics";
import { SharedArray } from "k6/data";
import { accessToken } from "./lib/jwt.js";
import { sendAsBrowser } from "./lib/browser_requests.js";
import { keepReceipt } from "./lib/queue_receipt.js";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";
const SCHEDULE = Number(__ENV.SCHEDULE_ID);
const SECRET = __ENV.SECRET_KEY;
const ARRIVAL_MS = Number(__ENV.ARRIVAL_SECONDS || 10) * 1000;
const AGENTS = Number(__ENV.AGENTS || 20);
const DURATION = __ENV.DURATION || "240s";
const LEAVE_SHARE = Number(__ENV.LEAVE_SHARE || 0.05);
const NO_PAY_SHARE = Number(__ENV.NO_PAY_SHARE || 0.05);
const FASTEST_PACE = Number(__ENV.FASTEST_PACE || 30);
const ACTIVE_TTL_MS = Number(__ENV.ACTIVE_TTL_SECONDS || 300) * 1000;
const HOLD_TRIES = 6;
const RENEW_WITHIN_MS = 15_000; // an access token this close to its expiry is renewed first
const LOOKS = 3; // further looks at the seats, a second apart, while every seat is held
// Shorter waits than this are within a poll's granularity: their ETA error says nothing.
const ETA_MIN_WAIT_MS = 3000;
const fanIds = new SharedArray("fans", () => JSON.parse(open(__ENV.FANS_FILE)));
const FANS_PER_AGENT = Math.ceil(fanIds.length / AGENTS);

const entered = new Counter("fans_entered");
const left = new Counter("fans_left_queue");
const admitted = new Counter("fans_admitted");
const purchases = new Counter("purchases");
const abandonedHolds = new Counter("holds_abandoned");
const soldOutSeen = new Counter("fans_found_sold_out"); // admitted, found no seat
const soldOutInLine = new Counter("fans_told_sold_out"); // still in line at the sell-out
const conflicts = new Counter("conflicts");
const serverErrors = new Counter("server_errors");
const noAnswer = new Counter("no_answer");
const otherErrors = new Counter("other_errors");
const enterTime = new Trend("enter_duration", true);
const pollTime = new Trend("poll_duration", true); // heartbeats and claims
const stateTime = new Trend("state_duration", true);
const seatMapTime = new Trend("seat_map_duration", true);
const bookingTime = new Trend("booking_duration", true); // hold and pay requests
const waitTime = new Trend("queue_wait", true); // entry to admission
const etaErrorEntry = new Trend("eta_error_entry"); // |shown - actual| / actual, %
const etaErrorBeat = new Trend("eta_error_beat");
const etaErrorEntrySeen = new Trend("eta_error_entry_seen"); // actual: until the fan noticed
const etaErrorBeatSeen = new Trend("eta_error_beat_seen");
// (shown - actual) / actual, %: below 0 when the ETA was too short, above when too long.
const etaBiasEntry = new Trend("eta_bias_entry");
const etaBiasBeat = new Trend("eta_bias_beat");
const noticeLag = new Trend("notice_lag", true); // admitted → the fan's claim
const etaNotShown = new Counter("eta_not_shown"); // answered while every seat was held
// answered while at least as many fans were ahead as seats left (no time on the page either)
const etaBeyondSeats = new Counter("eta_beyond_seats");

export const options = {
  scenarios: { sale: { executor: "per-vu-iterations", vus: AGENTS, iterations: 1,
                       maxDuration: DURATION } },
  // Connections a VU keeps open for its next requests (k6's Go transport sizes its idle
  // pool by `batch` and `batchPerHost`, 20 and 6 by default): as many as the fans it
  // plays, as each fan's browser keeps its own. With 6, every request beyond them opened
  // a new connection and closed it after the answer: 13% of k6's CPU went on dialling
  // (its pprof profile), and the servers accepted a connection for most requests.
  batch: FANS_PER_AGENT,
  batchPerHost: FANS_PER_AGENT,
  thresholds: { server_errors: ["count==0"], booking_duration: ["p(95)<100"] },
  summaryTrendStats: ["avg", "med", "p(90)", "p(95)", "p(99)", "max", "count"],
};

function record(response) {
  const unexpected = response.status === 0 || response.status >= 500 ||
    (response.status >= 400 && response.status !== 409 && response.status !== 429);
  if (!unexpected) return;
  if (response.status === 0) noAnswer.add(1); // a timeout or a dropped connection
  else (response.status >= 500 ? serverErrors : otherErrors).add(1);
  // Into the k6 log beside the admissions, so that a report's error can be looked up.
  const body = typeof response.body === "string" ? response.body.slice(0, 300) : "";
  const why = response.status === 0 ? `(${response.error}) ` : ""; // EOF, reset, timeout
  console.log(`unexpected ${response.status} ${why}${response.request.method} ${response.url} ${body}`);
}

// What the fans' page does when a call to the waiting room gets no usable answer (none, a
// 5xx or a 429): it asks again after Retry-After, or a couple of seconds. A fan who gave up
// at its first failed heartbeat lost its place, and with it the admission it was about to
// claim.
function retryAfterMs(response) {
  const failed = response.status === 0 || response.status >= 500 || response.status === 429;
  return failed ? Number(response.headers["Retry-After"] || 2) * 1000 : null;
}

function entryNumber(queueToken) {
  // q.<user>.<schedule>.<entry>.<signature>: the place the waiting room gave the fan.
  return queueToken ? Number(queueToken.split(".")[3]) : 0;
}

// The seat ids of the map in its order: the same layout for every fan of this VU, parsed by
// its first fan (k6's cost, not the servers'; every fan still loads the whole map once).
// The others take the map as bytes and read only its statuses, the letters at its end.
let seatIds = null;

function text(bytes) {
  let out = "";
  for (let at = 0; at < bytes.length; at += 4096) {
    out += String.fromCharCode.apply(null, bytes.subarray(at, at + 4096));
  }
  return out;
}

async function loadSeatMap(fan, url) {
  const first = seatIds === null;
  const map = await request("GET", url, null, { headers: fan.headers, tags: { name: "seat_map" },
                                                responseType: first ? "text" : "binary" });
  seatMapTime.add(map.timings.duration);
  if (map.status !== 200) return "";
  if (first) {
    const whole = map.json();
    if (seatIds === null) seatIds = whole.seats.map((seat) => seat.id);
    return whole.statuses;
  }
  const bytes = new Uint8Array(map.body); // ends with the letters, then '"}'
  return text(bytes.subarray(bytes.length - 2 - seatIds.length, bytes.length - 2));
}

// One of the available seats, each as likely as the others. (It took the next "a" after a
// random point, which favoured the seat right after a long sold stretch: every fan who
// started in that stretch chose it.) A few random draws find one while many are free; when
// few are, the k-th free one for a random k. (Listing every free seat's index first, up to
// 5,000 pushes a try, was 9% of k6's CPU.)
function availableSeat(statuses) {
  for (let draw = 0; draw < 16; draw++) {
    const at = Math.floor(Math.random() * statuses.length);
    if (statuses[at] === "a") return seatIds[at];
  }
  const free = statuses.split("a").length - 1;
  if (free === 0) return null;
  let at = statuses.indexOf("a");
  for (let k = Math.floor(Math.random() * free); k > 0; k--) at = statuses.indexOf("a", at + 1);
  return seatIds[at];
}

// The time the fans ahead need: 3 s near the front, at most half an active slot's lifetime
// at the back (the fans' page itself looks every 3 s, which 20,000 k6 fans cannot afford
// on these cores). A fan that looked less often than its slot lasts lost admissions it had
// not noticed: with looks up to 120 s apart and 60 s slots, a fixed 30/s sale stalled
// after 2 minutes, its 150 slots held by admitted fans who never noticed, and sold 3,330
// of 5,000 seats in 7 minutes. The pace is the fastest of: the fastest the line may move
// (FASTEST_PACE: the fixed rate, or adaptive admission's ceiling); the state's
// `admitted_per_second` (a one-minute average); and how fast `serving` moved between this
// agent's last reads of the state (places given up are passed without using the rate).
// Going by adaptive admission's floor instead, fans deep in the line planned their next
// look for up to 120 s later while the rate doubled to the ceiling within 12 s: the
// admitted fans noticed 15.7 s late (p50) and held every slot meanwhile, so the servers
// sold 27 seats a second at a booking p95 of 20 ms.
let linePace = FASTEST_PACE;
let lastServing = null; // [serving, ms] as this agent last read it, 2 s or more ago
let servingPace = 0;
function followLine(state) {
  const now = Date.now();
  if (lastServing !== null && now - lastServing[1] < 2000) return;
  if (lastServing !== null) servingPace = ((state.serving - lastServing[0]) * 1000) / (now - lastServing[1]);
  lastServing = [state.serving, now];
  linePace = Math.max(FASTEST_PACE, Number(state.admitted_per_second) || 0, servingPace);
}
const LONGEST_LOOK_MS = Math.min(120_000, ACTIVE_TTL_MS / 2);
function politeDelay(position) {
  return Math.min(LONGEST_LOOK_MS, Math.max(3000, ((position || 0) / linePace) * 1000));
}

function makeFan(userId, index) {
  return {
    userId,
    headers: { Authorization: `Bearer ${accessToken(SECRET, userId, 7200)}`,
               "Content-Type": "application/json" },
    arrivesAt: Date.now() + (index / fanIds.length) * ARRIVAL_MS,
    leaves: Math.random() < LEAVE_SHARE,
    skipsPaying: Math.random() < NO_PAY_SHARE,
    state: "arriving",
    entry: 0,
    enteredAt: 0,
    watchAt: 0,
    beatAt: 0,
    etas: [], // [shown at (ms), eta (s), at entry?]
    seatsLeft: null, // seats free to hold at the fan's last look (null: not counted; 0: all held)
  };
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function request(method, url, body, params) {
  const response = await sendAsBrowser(method, url, body, params);
  record(response);
  return response;
}

function admit(fan, body) {
  fan.state = "admitted";
  fan.access = body.access_token;
  fan.accessExpires = Date.parse(body.access_expires_at);
  admitted.add(1);
  const now = Date.now();
  const admittedAt = Math.min(now, Date.parse(body.access_expires_at) - ACTIVE_TTL_MS);
  waitTime.add(now - fan.enteredAt);
  if (fan.etas.length) noticeLag.add(now - admittedAt);
  const bias = (eta, actual) => ((eta * 1000 - actual) / actual) * 100;
  const error = (eta, actual) => Math.abs(bias(eta, actual));
  for (const [shownAt, eta, atEntry] of fan.etas) {
    const actual = admittedAt - shownAt;
    if (actual >= ETA_MIN_WAIT_MS) {
      (atEntry ? etaErrorEntry : etaErrorBeat).add(error(eta, actual));
      (atEntry ? etaBiasEntry : etaBiasBeat).add(bias(eta, actual));
    }
    const seen = now - shownAt;
    if (seen >= ETA_MIN_WAIT_MS) (atEntry ? etaErrorEntrySeen : etaErrorBeatSeen).add(error(eta, seen));
  }
  // For the order check: the access token's expiry is the admission time plus a fixed
  // lifetime. The bench reads these lines from the k6 log.
  console.log(`admitted entry=${fan.entry} expires=${body.access_expires_at}`);
}

const queueUrl = `${BASE}/api/v1/schedules/${SCHEDULE}/queue`;

async function arrive(fan) {
  for (;;) {
    const response = await request("POST", queueUrl, null, { headers: fan.headers, tags: { name: "enter" } });
    enterTime.add(response.timings.duration);
    const retry = retryAfterMs(response);
    if (retry !== null) { await pause(retry); continue; }
    if (response.status !== 200 && response.status !== 201) { fan.state = "done"; return; }
    const body = response.json();
    entered.add(1);
    fan.enteredAt = Date.now();
    fan.entry = body.entry_number || entryNumber(body.queue_token);
    keepReceipt(fan, body);
    if (body.status === "admitted") { admit(fan, body); return; }
    shown(fan, body, true);
    fan.state = "waiting";
    fan.beatEvery = (body.heartbeat_seconds || 60) * 1000;
    waitFor(fan, Date.now() + politeDelay(body.position));
    return;
  }
}

// The ETA the fans' page shows. While every seat is held it shows none ("when seats come
// back": the line moves only as holds lapse), nor while the fans ahead could take every seat
// left ("only if seats come back"), so there is nothing to compare.
function shown(fan, body, atEntry) {
  if (body.status !== "waiting") return;
  if (fan.seatsLeft === 0) { etaNotShown.add(1); return; }
  if (fan.seatsLeft !== null && body.position - 1 >= fan.seatsLeft) { etaBeyondSeats.add(1); return; }
  fan.etas.push([Date.now(), body.eta_seconds, atEntry]);
}

// The next heartbeat at a random point of the last quarter of the interval, as the fans'
// page does: fans who came together (everyone before the opening, who get their places at
// once) would otherwise beat together, a few thousand requests in the same second every
// heartbeat, which the servers answered with dropped connections and timeouts.
function waitFor(fan, watchAt) {
  fan.watchAt = watchAt;
  fan.beatAt = Date.now() + fan.beatEvery * (0.75 + 0.25 * Math.random());
}

// The heartbeat, and the claim once `serving` has reached the fan: the fan's own GET.
async function beat(fan) {
  const headers = fan.beatHeaders || fan.headers;
  const response = await request("GET", queueUrl, null, { headers, tags: { name: "poll" } });
  pollTime.add(response.timings.duration);
  const retry = retryAfterMs(response);
  if (retry !== null) { fan.watchAt = fan.beatAt = Date.now() + Math.min(fan.beatEvery, retry); return; }
  if (response.status !== 200) { fan.state = "done"; return; }
  const body = response.json();
  // A fan who came before the opening gets its place in the line (its entry number) with
  // its first call after the opening: the ETA it gets then is its first, as at entry.
  const placed = !fan.entry;
  if (!fan.entry) fan.entry = body.entry_number || entryNumber(body.queue_token);
  keepReceipt(fan, body);
  if (body.status === "admitted") { admit(fan, body); return; }
  shown(fan, body, placed);
  waitFor(fan, Math.min(fan.watchAt, Date.now() + politeDelay(body.position)));
}

async function leave(fan) {
  await request("DELETE", queueUrl, null, { headers: fan.headers, tags: { name: "leave" } });
  fan.state = "done";
}

async function watch(fan) {
  if (fan.leaves) { left.add(1); await leave(fan); return; }
  const response = await request("GET", `${queueUrl}/state`, null, { tags: { name: "state" } });
  stateTime.add(response.timings.duration);
  const state = response.status === 200 ? response.json() : null;
  if (state !== null) {
    followLine(state);
    fan.seatsLeft = state.seats_available;
    if (state.sold_out === true) { soldOutInLine.add(1); await leave(fan); return; } // nothing left to wait for
  }
  const serving = state === null ? null : state.serving;
  if (serving !== null && fan.entry && serving >= fan.entry) { await beat(fan); return; } // claim
  // Came before the opening: the entry number comes with the first call after it.
  if (!fan.entry && state !== null && state.phase !== "pre_queue") { await beat(fan); return; }
  fan.watchAt = Date.now() + (serving === null ? 3000 : politeDelay(fan.entry - serving));
}

// Until admitted or gone: a look at the public state when it is due, a heartbeat when that
// is due first.
async function waitInLine(fan) {
  while (fan.state === "waiting") {
    await pause(Math.min(fan.watchAt, fan.beatAt) - Date.now());
    if (Date.now() >= fan.beatAt) await beat(fan);
    else await watch(fan);
  }
}

// A token good for the next hold or payment, as the seat page and the checkout get it
// (js/booking_access.js): one with under 15 s left is renewed from the fan's own GET
// .../queue, since a hold extends the fan's slot past the token it was admitted with (a
// fan slow to book under load had its payment refused with "the access token has
// expired" while its slot lived). null: the fan is no longer admitted.
async function freshAccess(fan) {
  if (fan.accessExpires - Date.now() > RENEW_WITHIN_MS) return fan.access;
  const response = await http.asyncRequest("GET", queueUrl, null,
    { headers: fan.headers, tags: { name: "renew" } });
  if (response.status === 404 || response.status === 409) return null; // the slot is gone
  record(response);
  if (response.status !== 200) return fan.accessExpires > Date.now() ? fan.access : null;
  const body = response.json();
  if (body.status !== "admitted" || !body.access_token) return null;
  fan.access = body.access_token;
  fan.accessExpires = Date.parse(body.access_expires_at);
  return fan.access;
}

// Holds one available seat, trying another after a 409; returns "held", "all held" (no seat
// free right now) or "failed".
async function holdASeat(fan, statuses, freshStatuses) {
  for (let attempt = 0; attempt < HOLD_TRIES; attempt++) {
    if (attempt > 0) statuses = await freshStatuses();
    const seat = availableSeat(statuses);
    if (seat === null) return "all held";
    const access = await freshAccess(fan);
    if (access === null) return "failed";
    const hold = await request("POST", `${BASE}/api/v1/reservations`,
      JSON.stringify({ schedule_id: SCHEDULE, seat_ids: [seat] }),
      { headers: { ...fan.headers, "X-Access-Token": access }, tags: { name: "hold" } });
    bookingTime.add(hold.timings.duration);
    if (hold.status === 409) { conflicts.add(1); continue; }
    if (hold.status !== 201) return "failed";
    if (fan.skipsPaying) { abandonedHolds.add(1); return "held"; }
    const reservation = hold.json("id");
    const payAccess = await freshAccess(fan);
    if (payAccess === null) return "failed";
    const pay = await request("POST", `${BASE}/api/v1/payments`,
      JSON.stringify({ reservation_id: reservation }),
      { headers: { ...fan.headers, "X-Access-Token": payAccess,
                   "Idempotency-Key": `flash-${fan.userId}-${reservation}` },
        tags: { name: "pay" } });
    bookingTime.add(pay.timings.duration);
    if (pay.status === 201) purchases.add(1);
    return "held";
  }
  return "failed";
}

async function book(fan) {
  const seatsUrl = `${BASE}/api/v1/schedules/${SCHEDULE}/seats`;
  const freshStatuses = async () => {
    const fresh = await request("GET", `${seatsUrl}/statuses`, null,
      { headers: fan.headers, tags: { name: "seat_statuses" } });
    seatMapTime.add(fresh.timings.duration);
    return fresh.status === 200 ? fresh.json("statuses") : "";
  };
  let statuses = await loadSeatMap(fan, seatsUrl);
  for (let look = 0; ; look++) {
    const outcome = await holdASeat(fan, statuses, freshStatuses);
    if (outcome === "held") { fan.state = "done"; return; }
    // Every seat held right now: the seat page looks again shortly, since the seats of a
    // hold that lapses come back.
    if (outcome === "failed" || look === LOOKS) break;
    await pause(1000);
    statuses = await freshStatuses();
  }
  soldOutSeen.add(1);
  await leave(fan); // gives the slot back so that the next fan in line is let in
}

async function journey(fan) {
  await pause(fan.arrivesAt - Date.now());
  await arrive(fan);
  await waitInLine(fan);
  if (fan.state === "admitted") await book(fan);
}

export default async function () {
  const journeys = [];
  for (let i = exec.vu.idInTest - 1; i < fanIds.length; i += AGENTS) {
    journeys.push(journey(makeFan(fanIds[i], i)));
  }
  await Promise.all(journeys);
}

export function handleSummary(data) {
  const path = __ENV.SUMMARY || "reports/flash-sale.json";
  return { [path]: JSON.stringify(data, null, 1), stdout: `summary written to ${path}\n` };
}
