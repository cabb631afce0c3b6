// The public catalog: concerts, schedules and seat maps, and how a schedule's sale reads.

import { api } from "./api.js";
import { formatNumber, formatShortDateTime } from "./format.js";

const schedules = new Map();

/** GET /api/v1/schedules/{id}, once per page load and schedule. */
export function scheduleDetail(scheduleId) {
  if (!schedules.has(scheduleId)) {
    const loading = api(`/api/v1/schedules/${scheduleId}`).then((r) => r.body);
    loading.catch(() => schedules.delete(scheduleId));
    schedules.set(scheduleId, loading);
  }
  return schedules.get(scheduleId);
}

/** Whether a fan can join the waiting room now, and the words for the sale's state. */
export function saleState(schedule) {
  const left = schedule.seats_available;
  switch (schedule.sale_status) {
    case "on_sale":
      if (left === 0) return { bookable: false, label: "Sold out", tone: "sold-out" };
      return {
        bookable: true,
        label: "On sale",
        tone: "on-sale",
        seats: `${formatNumber(left)} of ${formatNumber(schedule.seats_total)} seats left`,
      };
    case "upcoming":
      return {
        bookable: true,
        label: `Sale opens ${formatShortDateTime(schedule.sale_opens_at)}`,
        tone: "upcoming",
        seats: `${formatNumber(schedule.seats_total)} seats`,
      };
    case "cancelled":
      return { bookable: false, label: "Cancelled", tone: "closed" };
    default:
      return { bookable: false, label: "Sale closed", tone: "closed" };
  }
}
