// The minimal Django JSON view (/bench/reference, bench mode only), back to back: the
// ceiling the queue endpoints are compared with in the same run.
// Env: BASE_URL, VUS, DURATION, SUMMARY.
import http from "k6/http";
import { check } from "k6";
import { jsonSummary } from "./lib/summary.js";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";

export const options = {
  vus: Number(__ENV.VUS || 64),
  duration: __ENV.DURATION || "20s",
  thresholds: { http_req_failed: ["rate<0.001"] },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  discardResponseBodies: true,
};

export default function () {
  check(http.get(`${BASE}/bench/reference`), { "200": (r) => r.status === 200 });
}

export const handleSummary = jsonSummary("reports/reference.json");
