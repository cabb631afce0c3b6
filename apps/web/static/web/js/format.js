// How numbers, dates and durations read on the pages.

const points = new Intl.NumberFormat("en-US");
const dateTime = new Intl.DateTimeFormat("en-GB", {
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});
const shortDateTime = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
});

export const formatPoints = (n) => `${points.format(n)} points`;
export const formatNumber = (n) => points.format(n);
export const formatDateTime = (iso) => dateTime.format(new Date(iso));
export const formatShortDateTime = (iso) => shortDateTime.format(new Date(iso));

/** 4:05, or 1:02:03 past an hour: a countdown. */
export function formatClock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** "less than a minute", "about 3 minutes", "about 2 hours": an estimate, not a promise. */
export function formatWait(seconds) {
  if (!Number.isFinite(seconds)) return "working it out…";
  if (seconds < 60) return "less than a minute";
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `about ${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.round(minutes / 60);
  return `about ${hours} hours`;
}

export function seatLabel(seat) {
  return `${seat.section} · row ${seat.row} · seat ${seat.number}`;
}
