// One GET back to back: by default the minimal Django JSON view through the API's
// middleware (/bench/reference, bench mode only), the ceiling the queue endpoints are
// compared with in the same run; URL_PATH=/bench/bare is the same view through no middleware,
// and any public path (a schedule's queue state) can be measured the same way.
// Env: BASE_URL, URL_PATH, VUS, DURATION, SUMMARY.
import http from "k6/http";
import { check } from "k6";
import { jsonSummary } from "./lib/summary.js";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";
const PATH = __ENV.URL_PATH || "/bench/reference";

export const options = {
  vus: Number(__ENV.VUS || 64),
  duration: __ENV.DURATION || "20s",
  thresholds: { http_req_failed: ["rate<0.001"] },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  discardResponseBodies: true,
};

export default function () {
  check(http.get(`${BASE}${PATH}`), { "200": (r) => r.status === 200 });
}

export const handleSummary = jsonSummary("reports/reference.json");
