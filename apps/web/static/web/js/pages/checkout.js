// Paying for a hold with points. Each payment attempt has its own Idempotency-Key, made once
// and kept (in sessionStorage, so a reload keeps it too) until the attempt gets a final
// answer: a double click sends one request, and a retry after a lost answer replays the
// first payment instead of paying again.

import { api } from "../api.js";
import { forgetAccess, freshAccess } from "../booking_access.js";
import { scheduleDetail } from "../catalog.js";
import { announce, byId, h, hide, show } from "../dom.js";
import { formatClock, formatDateTime, formatPoints, seatLabel } from "../format.js";
import { setUpPage } from "../layout.js";
import { isTransient, messageFor } from "../messages.js";
import { requireSignIn } from "../session.js";

setUpPage();
const reservationId = Number(byId("main").dataset.reservationId);
const attemptStore = `ticketing.payment-attempt.${reservationId}`;

let reservation = null;
let balance = null;
let paying = false;
let finished = false; // paid, expired or refused for good: nothing more to pay
let paid = false;

function message(text, extra) {
  const box = byId("message");
  if (!text) return hide(box);
  box.replaceChildren(text, ...(extra ? [" ", extra] : []));
  show(box);
}

function newAttemptKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `pay-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function attemptKey() {
  let key = sessionStorage.getItem(attemptStore);
  if (!key) {
    key = newAttemptKey();
    sessionStorage.setItem(attemptStore, key);
  }
  return key;
}

function endAttempt() {
  sessionStorage.removeItem(attemptStore);
}

function renderTotals() {
  byId("amount").textContent = formatPoints(reservation.amount);
  byId("balance").textContent = balance === null ? "–" : formatPoints(balance);
  const after = balance === null ? null : balance - reservation.amount;
  byId("after").textContent =
    after === null ? "–" : after >= 0 ? formatPoints(after) : `${formatPoints(-after)} short`;
  byId("after-line").hidden = paid; // the balance shown is already the one after paying
  byId("balance-label").textContent = paid ? "Your balance now" : "Your balance";
  const short = after !== null && after < 0 && !finished;
  byId("top-up").hidden = !short;
  if (short && !byId("top-up-amount").value) byId("top-up-amount").value = String(-after);
  const pay = byId("pay");
  pay.hidden = finished;
  pay.disabled = paying || finished || short;
  pay.setAttribute("aria-busy", String(paying));
  const retrying = Boolean(sessionStorage.getItem(attemptStore));
  pay.textContent = paying
    ? "Paying…"
    : `${retrying ? "Try again: pay" : "Pay"} ${formatPoints(reservation.amount)}`;
}

function showPaid() {
  finished = true;
  paid = true;
  hide(byId("hold-timer"));
  hide(byId("message"));
  byId("reservation-number").textContent = String(reservationId);
  show(byId("paid"));
  byId("checkout").dataset.outcome = "paid";
  announce("Paid. Your tickets are confirmed.");
  renderTotals();
}

function showEnded(text, extra) {
  finished = true;
  hide(byId("hold-timer"));
  message(text, extra);
  renderTotals();
}

function seatMapLink(text = "Back to the seat map") {
  return h("a", { href: `/schedules/${reservation.schedule_id}/seats` }, text);
}

async function pay() {
  if (paying || finished) return; // a second click while the first is under way sends nothing
  paying = true;
  const access = await freshAccess(reservation.schedule_id);
  if (!access) {
    paying = false;
    message(messageFor({ code: "not_admitted" }), h("a", { href: `/schedules/${reservation.schedule_id}/queue` }, "Back to the waiting room"));
    return;
  }
  message(null);
  renderTotals();
  try {
    const { body, headers } = await api("/api/v1/payments", {
      method: "POST",
      auth: true,
      headers: { "Idempotency-Key": attemptKey(), "X-Access-Token": access },
      body: { reservation_id: reservationId },
    });
    endAttempt();
    forgetAccess(reservation.schedule_id); // paying gave the booking slot back
    balance = body.balance_after;
    byId("checkout").dataset.replayed = headers.get("Idempotent-Replayed") || "false";
    showPaid();
  } catch (error) {
    if (isTransient(error)) {
      // Nothing final was said: the same attempt (the same key) goes again.
      message(`${messageFor(error)} Paying again with this attempt can never charge you twice.`);
    } else {
      endAttempt();
      byId("message").dataset.code = error.code;
      if (error.code === "already_paid") showPaid();
      else if (error.code === "insufficient_balance") {
        await loadBalance();
        message(messageFor(error));
      } else if (error.code === "reservation_expired") showEnded(messageFor(error), seatMapLink("Pick seats again"));
      else if (error.code === "not_admitted") {
        forgetAccess(reservation.schedule_id);
        message(messageFor(error), h("a", { href: `/schedules/${reservation.schedule_id}/queue` }, "Back to the waiting room"));
      } else if (error.status === 401) requireSignIn();
      else if (error.code === "not_payable") showEnded(messageFor(error), seatMapLink());
      else message(messageFor(error));
    }
  } finally {
    paying = false;
    if (reservation) renderTotals();
  }
}

function startHoldTimer() {
  const expires = Date.parse(reservation.expires_at);
  show(byId("hold-timer"));
  const tick = () => {
    if (finished) return clearInterval(timer);
    const left = (expires - Date.now()) / 1000;
    byId("hold-countdown").textContent = formatClock(left);
    if (left <= 60) byId("hold-timer").classList.add("urgent");
    if (left <= 0) {
      clearInterval(timer);
      if (!paying) showEnded(messageFor({ code: "reservation_expired" }), seatMapLink("Pick seats again"));
    }
  };
  const timer = setInterval(tick, 1000);
  tick();
}

async function loadBalance() {
  try {
    balance = (await api("/api/v1/me/wallet", { auth: true })).body.balance;
  } catch {
    balance = null;
  }
  renderTotals();
}

byId("top-up").addEventListener("submit", async (event) => {
  event.preventDefault();
  const amount = Number(byId("top-up-amount").value);
  try {
    const { body } = await api("/api/v1/me/wallet/charges", { method: "POST", auth: true, body: { amount } });
    balance = body.balance;
    message(null);
    announce(`Added ${formatPoints(amount)}. Balance ${formatPoints(balance)}.`);
  } catch (error) {
    message(messageFor(error));
  }
  renderTotals();
});

async function start() {
  byId("pay").addEventListener("click", pay);
  try {
    reservation = (await api(`/api/v1/reservations/${reservationId}`, { auth: true })).body;
  } catch (error) {
    if (error.status === 401) return requireSignIn();
    byId("title").textContent = "Order not found";
    message(messageFor(error, { not_found: "There is no such order of yours." }));
    return;
  }
  byId("seats-link").href = `/schedules/${reservation.schedule_id}/seats`;
  const [schedule, seatMap] = await Promise.all([
    scheduleDetail(reservation.schedule_id).catch(() => null),
    api(`/api/v1/schedules/${reservation.schedule_id}/seats`).then((r) => r.body).catch(() => null),
    loadBalance(),
  ]);
  if (schedule) {
    byId("title").textContent = `${schedule.concert.artist}: ${schedule.concert.title}`;
    byId("when").textContent = `${formatDateTime(schedule.starts_at)} · ${schedule.concert.venue}`;
  }
  const seats = new Map((seatMap?.seats || []).map((s) => [s.id, s]));
  byId("seats").replaceChildren(
    ...reservation.seat_ids.map((id) => {
      const seat = seats.get(id);
      return h("li", {}, h("span", {}, seat ? seatLabel(seat) : `Seat ${id}`), h("span", { class: "price" }, seat ? formatPoints(seat.price) : ""));
    }),
  );
  byId("checkout").setAttribute("aria-busy", "false");
  if (reservation.status === "confirmed") return showPaid();
  if (reservation.status === "expired") return showEnded(messageFor({ code: "reservation_expired" }), seatMapLink("Pick seats again"));
  if (reservation.status === "cancelled") return showEnded("This order was cancelled.", seatMapLink());
  startHoldTimer();
  renderTotals();
}

if (requireSignIn()) start();
