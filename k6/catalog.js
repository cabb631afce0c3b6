// Catalog browsing: concert list, a concert, its seat map. Public endpoints, Redis-cached.
//   k6 run -e BASE_URL=http://127.0.0.1:8000 -e SCHEDULE_ID=1 -e CONCERT_ID=1 k6/catalog.js
// Bounded: 32 VUs for 30 s, then it stops by itself.
import http from "k6/http";
import { check } from "k6";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";
const CONCERT = __ENV.CONCERT_ID || "1";
const SCHEDULE = __ENV.SCHEDULE_ID || "1";

export const options = {
  vus: Number(__ENV.VUS || 32),
  duration: __ENV.DURATION || "30s",
  thresholds: {
    http_req_failed: ["rate<0.001"],
    "http_req_duration{name:concerts}": ["p(95)<50"],
    "http_req_duration{name:seats}": ["p(95)<100"],
  },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
};

export default function () {
  const list = http.get(`${BASE}/api/v1/concerts`, { tags: { name: "concerts" } });
  check(list, { "concerts 200": (r) => r.status === 200 });
  const detail = http.get(`${BASE}/api/v1/concerts/${CONCERT}`, { tags: { name: "concert" } });
  check(detail, { "concert 200": (r) => r.status === 200 });
  const seats = http.get(`${BASE}/api/v1/schedules/${SCHEDULE}/seats`, { tags: { name: "seats" } });
  check(seats, { "seats 200": (r) => r.status === 200 });
}

export function handleSummary(data) {
  return { stdout: JSON.stringify(data.metrics, null, 1), [__ENV.SUMMARY || "reports/catalog.json"]: JSON.stringify(data) };
}
