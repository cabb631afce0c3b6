// The seat map: pick up to the show's limit, hold them, then on to the checkout. A seat
// someone else took meanwhile (409) refreshes the map in place, and the fan picks again.

import { api } from "../api.js";
import { forgetAccess, freshAccess, wasAdmitted } from "../booking_access.js";
import { scheduleDetail } from "../catalog.js";
import { announce, byId, h, hide, show } from "../dom.js";
import { formatDateTime, formatPoints, seatLabel } from "../format.js";
import { setUpPage } from "../layout.js";
import { messageFor } from "../messages.js";
import { requireSignIn } from "../session.js";
import { SeatMap, seatDescription } from "../seat_map.js";

setUpPage();
const scheduleId = Number(byId("main").dataset.scheduleId);
const REFRESH_MS = 5000;
const STATUSES = { a: "available", h: "held", s: "sold" }; // the letters of .../seats/statuses

const selected = new Set();
let limit = 4;
let etag = null;
let holding = false;
let seatsById = new Map();
const map = new SeatMap(byId("seat-map"), { onToggle: toggle });

function message(text, extra) {
  const box = byId("message");
  if (!text) return hide(box);
  box.replaceChildren(text, ...(extra ? [" ", extra] : []));
  show(box);
}

function toggle(seat) {
  message(null);
  if (selected.has(seat.id)) {
    selected.delete(seat.id);
    announce(`${seatLabel(seat)} removed. ${selected.size} of ${limit} seats picked.`);
  } else if (seat.status !== "available") {
    announce(`${seatLabel(seat)} is not available.`);
    return;
  } else if (selected.size >= limit) {
    message(`You can pick up to ${limit} seats for this show.`);
    return;
  } else {
    selected.add(seat.id);
    announce(`${seatLabel(seat)} picked. ${selected.size} of ${limit} seats picked.`);
  }
  render();
}

function render() {
  map.update([...seatsById.values()], selected);
  const picked = [...selected].map((id) => seatsById.get(id));
  byId("picked").replaceChildren(
    ...(picked.length
      ? picked.map((seat) =>
          h(
            "li",
            {},
            h("span", {}, seatLabel(seat)),
            h("span", { class: "price" }, formatPoints(seat.price)),
            h(
              "button",
              {
                type: "button",
                class: "link-button",
                "aria-label": `Remove ${seatDescription(seat)}`,
                onclick: () => toggle(seat),
              },
              "Remove",
            ),
          ),
        )
      : [h("li", { class: "muted" }, "No seats picked yet. Choose on the map.")]),
  );
  byId("total").textContent = formatPoints(picked.reduce((sum, s) => sum + s.price, 0));
  const hold = byId("hold");
  hold.disabled = holding || picked.length === 0;
  hold.textContent = holding
    ? "Holding…"
    : picked.length
      ? `Hold ${picked.length} seat${picked.length === 1 ? "" : "s"}`
      : "Hold seats";
}

/** Reads the map (a 304 when nothing changed) and drops picks someone else took; returns
 * the seats dropped. Once the map is drawn, only its statuses come again: a letter a seat,
 * in the map's order, instead of the whole map. */
async function refreshMap() {
  const headers = etag ? { "If-None-Match": etag } : {};
  const first = seatsById.size === 0;
  const url = `/api/v1/schedules/${scheduleId}/seats${first ? "" : "/statuses"}`;
  const answer = await api(url, { headers });
  if (answer.status === 304) return [];
  etag = answer.headers.get("ETag");
  if (first) {
    seatsById = new Map(answer.body.seats.map((s) => [s.id, s]));
    map.draw(answer.body.seats, selected);
  } else {
    const letters = answer.body.statuses;
    if (letters.length !== seatsById.size) {
      // Seats were added or removed: the layout changed, so the whole map again.
      seatsById = new Map();
      etag = null;
      return refreshMap();
    }
    seatsById = new Map([...seatsById.values()].map((seat, at) => [seat.id, { ...seat, status: STATUSES[letters[at]] }]));
  }
  const lost = [...selected].map((id) => seatsById.get(id)).filter((s) => !s || s.status !== "available");
  for (const seat of lost) selected.delete(seat.id);
  render();
  byId("seat-map").dataset.version = etag || String(Date.now());
  return lost;
}

async function hold() {
  if (holding || selected.size === 0) return;
  holding = true;
  const access = await freshAccess(scheduleId);
  if (!access) return location.replace(`/schedules/${scheduleId}/queue`);
  const asked = [...selected];
  message(null);
  render();
  try {
    const { body } = await api("/api/v1/reservations", {
      method: "POST",
      auth: true,
      headers: { "X-Access-Token": access },
      body: { schedule_id: scheduleId, seat_ids: [...selected] },
    });
    announce("Seats held. Opening the checkout.");
    location.assign(`/reservations/${body.id}/checkout`);
    return;
  } catch (error) {
    if (error.code === "seat_unavailable") {
      await refreshMap().catch(() => []);
      // Named from what was asked for: a refresh meanwhile may have dropped them already.
      const lost = asked.map((id) => seatsById.get(id)).filter((s) => s && s.status !== "available");
      const names = lost.length ? ` (${lost.map(seatLabel).join(", ")})` : "";
      message(`${messageFor(error)}${names} The map is up to date: pick again.`);
      byId("message").dataset.code = error.code;
    } else if (error.code === "not_admitted") {
      forgetAccess(scheduleId);
      message(messageFor(error), h("a", { href: `/schedules/${scheduleId}/queue` }, "Back to the waiting room"));
    } else if (error.status === 401) {
      requireSignIn();
    } else {
      message(messageFor(error));
    }
  } finally {
    holding = false;
    render();
  }
}

async function showExistingHold() {
  try {
    const { body } = await api("/api/v1/me/reservations?limit=20", { auth: true });
    const live = body.results.find((r) => r.schedule_id === scheduleId && r.status === "held");
    if (live) {
      byId("existing-hold").replaceChildren(
        `You're already holding ${live.seat_ids.length} seat${live.seat_ids.length === 1 ? "" : "s"} for this show. `,
        h("a", { href: `/reservations/${live.id}/checkout` }, "Continue to checkout"),
      );
      show(byId("existing-hold"));
    }
  } catch {
    /* the map works without it */
  }
}

async function start() {
  if (!wasAdmitted(scheduleId)) return location.replace(`/schedules/${scheduleId}/queue`);
  byId("hold").addEventListener("click", hold);
  try {
    const schedule = await scheduleDetail(scheduleId);
    limit = schedule.max_seats_per_fan;
    byId("title").textContent = `${schedule.concert.artist}: ${schedule.concert.title}`;
    byId("when").textContent = `${formatDateTime(schedule.starts_at)} · ${schedule.concert.venue}`;
    const link = byId("concert-link");
    link.textContent = schedule.concert.title;
    link.href = `/concerts/${schedule.concert.id}`;
    document.title = `Seats: ${schedule.concert.title} · Ticketing`;
  } catch {
    /* the default limit applies; the hold says if it is lower */
  }
  byId("limit").textContent = `Pick up to ${limit} seats.`;
  try {
    await refreshMap();
  } catch (error) {
    message(messageFor(error, { not_found: "There is no such show." }));
  } finally {
    byId("seat-map").setAttribute("aria-busy", "false");
  }
  showExistingHold();
  setInterval(() => {
    if (document.hidden || holding) return;
    refreshMap()
      .then((lost) => {
        if (lost.length) message(`Just taken by someone else: ${lost.map(seatLabel).join(", ")}. Pick again.`);
      })
      .catch(() => {});
  }, REFRESH_MS);
}

if (requireSignIn()) start();
