// Admitted fans hold seats and pay for them. The bench command prepares a schedule, funds
// the fans, admits them in the waiting room and writes FANS_FILE: [{user_id, jwt, access}].
// MODE=random (default): each fan holds SEATS_PER_FAN random seats out of SEATS (ids
// SEAT_FIRST..SEAT_FIRST+SEATS-1), then pays. MODE=hot: every fan tries the same HOT seats.
// Each iteration is a new fan (a fan buys once). Bounded by DURATION; 127.0.0.1 only.
// Env: BASE_URL, SCHEDULE_ID, FANS_FILE, MODE, SEATS, SEAT_FIRST, SEATS_PER_FAN, HOT, VUS,
// DURATION, RATE, SUMMARY.
import http from "k6/http";
import exec from "k6/execution";
import { Counter, Trend } from "k6/metrics";
import { SharedArray } from "k6/data";
import { jsonSummary } from "./lib/summary.js";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";
const SCHEDULE = Number(__ENV.SCHEDULE_ID);
const MODE = __ENV.MODE || "random";
const SEATS = Number(__ENV.SEATS || 1000);
const SEAT_FIRST = Number(__ENV.SEAT_FIRST || 1);
const PER_FAN = Number(__ENV.SEATS_PER_FAN || 2);
const HOT = Number(__ENV.HOT || 4);
const FAN_OFFSET = Number(__ENV.FAN_OFFSET || 0);
const fans = new SharedArray("fans", () => JSON.parse(open(__ENV.FANS_FILE)));

const holdTime = new Trend("hold_duration", true);
const conflictTime = new Trend("conflict_duration", true);
const payTime = new Trend("pay_duration", true);
const holds = new Counter("holds");
const conflicts = new Counter("conflicts");
const purchases = new Counter("purchases");
const serverErrors = new Counter("server_errors");
const otherErrors = new Counter("other_errors");

// RATE set: an open model, RATE fans a second (latency without overload); else VUS fans
// back to back (throughput at saturation).
const scenario = __ENV.RATE
  ? { executor: "constant-arrival-rate", rate: Number(__ENV.RATE), timeUnit: "1s",
      duration: __ENV.DURATION || "20s", preAllocatedVUs: Number(__ENV.VUS || 64), maxVUs: 200 }
  : { executor: "constant-vus", vus: Number(__ENV.VUS || 64), duration: __ENV.DURATION || "20s" };

export const options = {
  scenarios: { booking: scenario },
  thresholds: { server_errors: ["count==0"] },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
};

function pick() {
  if (MODE === "hot") {
    return Array.from({ length: HOT }, (_, i) => SEAT_FIRST + i).slice(0, PER_FAN);
  }
  const chosen = new Set();
  while (chosen.size < PER_FAN) chosen.add(SEAT_FIRST + Math.floor(Math.random() * SEATS));
  return Array.from(chosen);
}

function count(response) {
  if (response.status >= 500) serverErrors.add(1);
}

export default function () {
  const index = FAN_OFFSET + exec.scenario.iterationInTest;
  if (index >= fans.length) return; // every prepared fan has had a go
  const fan = fans[index];
  const headers = { Authorization: `Bearer ${fan.jwt}`, "X-Access-Token": fan.access,
                    "Content-Type": "application/json" };
  const hold = http.post(`${BASE}/api/v1/reservations`,
    JSON.stringify({ schedule_id: SCHEDULE, seat_ids: pick() }), { headers, tags: { name: "hold" } });
  count(hold);
  if (hold.status === 409) {
    conflicts.add(1);
    conflictTime.add(hold.timings.duration);
    return;
  }
  if (hold.status !== 201) { otherErrors.add(1); return; }
  holds.add(1);
  holdTime.add(hold.timings.duration);
  const reservation = hold.json("id");
  const pay = http.post(`${BASE}/api/v1/payments`, JSON.stringify({ reservation_id: reservation }),
    { headers: { ...headers, "Idempotency-Key": `bench-${fan.user_id}-${reservation}` },
      tags: { name: "pay" } });
  count(pay);
  if (pay.status === 201) {
    purchases.add(1);
    payTime.add(pay.timings.duration);
  } else {
    otherErrors.add(1);
  }
}

export const handleSummary = jsonSummary("reports/booking.json");
