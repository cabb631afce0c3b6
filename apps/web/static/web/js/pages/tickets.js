// My tickets: every reservation, newest first, with what can still be done with it.

import { api } from "../api.js";
import { scheduleDetail } from "../catalog.js";
import { announce, byId, h, show } from "../dom.js";
import { formatDateTime, formatPoints, formatShortDateTime, seatLabel } from "../format.js";
import { setUpPage } from "../layout.js";
import { messageFor } from "../messages.js";
import { requireSignIn } from "../session.js";

setUpPage();
const list = byId("reservations");
const seatMaps = new Map();

function seatsOf(scheduleId) {
  if (!seatMaps.has(scheduleId)) {
    seatMaps.set(
      scheduleId,
      api(`/api/v1/schedules/${scheduleId}/seats`)
        .then((r) => new Map(r.body.seats.map((s) => [s.id, s])))
        .catch(() => new Map()),
    );
  }
  return seatMaps.get(scheduleId);
}

const STATUS = {
  held: (r) => ({ text: `Held until ${formatShortDateTime(r.expires_at)}`, tone: "upcoming" }),
  confirmed: () => ({ text: "Confirmed", tone: "on-sale" }),
  expired: () => ({ text: "Hold expired", tone: "closed" }),
  cancelled: () => ({ text: "Cancelled", tone: "closed" }),
};

function cancelControls(reservation, schedule, card) {
  const paid = reservation.status === "confirmed";
  const refundable = paid && schedule && Date.now() < Date.parse(schedule.refundable_until);
  if (reservation.status === "held") {
    return [
      h("a", { class: "button", href: `/reservations/${reservation.id}/checkout` }, "Continue to checkout"),
      h("button", { type: "button", class: "button secondary", onclick: () => cancel(reservation, card, null) }, "Release the seats"),
    ];
  }
  if (!paid) return [];
  if (!refundable) return [h("p", { class: "muted small" }, "The refund window for this show has closed.")];
  const ask = h(
    "button",
    {
      type: "button",
      class: "button secondary",
      onclick: () => {
        const confirmButton = h(
          "button",
          { type: "button", class: "button danger", onclick: () => cancel(reservation, card, confirmButton) },
          `Yes, cancel and refund ${formatPoints(reservation.amount)}`,
        );
        ask.replaceWith(
          h("span", { class: "confirm" }, confirmButton, h("button", { type: "button", class: "link-button", onclick: () => render(card, reservation) }, "Keep my tickets")),
        );
        confirmButton.focus();
      },
    },
    "Cancel and refund",
  );
  return [ask, h("p", { class: "muted small" }, `Refundable until ${formatDateTime(schedule.refundable_until)}.`)];
}

async function cancel(reservation, card, button) {
  if (button) button.disabled = true;
  try {
    const { body } = await api(`/api/v1/reservations/${reservation.id}`, { method: "DELETE", auth: true });
    const text = body.refund ? `Cancelled. ${formatPoints(body.refund)} are back in your wallet.` : "Released. The seats are back on sale.";
    await render(card, body);
    card.querySelector(".card-message").textContent = text;
    announce(text);
  } catch (error) {
    if (error.status === 401) return requireSignIn();
    await render(card, reservation);
    card.querySelector(".card-message").textContent = messageFor(error);
  }
}

async function render(card, reservation) {
  const [schedule, seats] = await Promise.all([
    scheduleDetail(reservation.schedule_id).catch(() => null),
    seatsOf(reservation.schedule_id),
  ]);
  const status = (STATUS[reservation.status] || (() => ({ text: reservation.status, tone: "closed" })))(reservation);
  card.dataset.status = reservation.status;
  card.replaceChildren(
    h(
      "div",
      { class: "ticket-main" },
      h("p", { class: "eyebrow" }, schedule ? schedule.concert.artist : "Show"),
      h("h2", { class: "ticket-title" }, schedule ? schedule.concert.title : `Schedule ${reservation.schedule_id}`),
      schedule ? h("p", { class: "muted" }, `${formatDateTime(schedule.starts_at)} · ${schedule.concert.venue}`) : null,
      h(
        "ul",
        { class: "ticket-seats" },
        reservation.seat_ids.map((id) => h("li", {}, seats.get(id) ? seatLabel(seats.get(id)) : `Seat ${id}`)),
      ),
    ),
    h(
      "div",
      { class: "ticket-side" },
      h("span", { class: `badge ${status.tone}` }, status.text),
      h("p", { class: "small" }, "Reservation ", h("strong", { class: "reservation-number" }, `#${reservation.id}`)),
      h("p", { class: "strong" }, formatPoints(reservation.amount)),
      ...cancelControls(reservation, schedule, card),
      h("p", { class: "card-message", role: "status" }),
    ),
  );
}

async function load(url) {
  list.setAttribute("aria-busy", "true");
  try {
    const { body } = await api(url, { auth: true });
    for (const reservation of body.results) {
      const card = h("li", { class: "card ticket", dataset: { reservationId: reservation.id } });
      list.append(card);
      await render(card, reservation);
    }
    if (!list.children.length) show(byId("status"), "No tickets yet. Find a concert and get in line!");
    byId("more").hidden = !body.next;
    byId("more").onclick = () => load(body.next);
  } catch (error) {
    if (error.status === 401) return requireSignIn();
    show(byId("status"), messageFor(error));
  } finally {
    list.setAttribute("aria-busy", "false");
  }
}

async function emailForm() {
  const input = byId("email");
  try {
    input.value = (await api("/api/v1/me/email", { auth: true })).body.email;
  } catch {
    /* left empty */
  }
  byId("email-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const { body } = await api("/api/v1/me/email", { method: "PUT", auth: true, body: { email: input.value.trim() } });
      byId("email-status").textContent = body.email ? "Saved." : "Saved: no ticket mails.";
    } catch (error) {
      byId("email-status").textContent = messageFor(error, { invalid: "That doesn't look like an email address." });
    }
  });
}

if (requireSignIn()) {
  emailForm();
  load("/api/v1/me/reservations?limit=10");
}
