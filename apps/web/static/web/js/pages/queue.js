// The waiting room, as the API contract asks (docs/WAITING_ROOM.md): enter once, watch the
// public state, send a heartbeat every `heartbeat_seconds`, and claim the access token with
// the same heartbeat as soon as `serving` reaches the fan's entry number.

import { api } from "../api.js";
import { saveAccess } from "../booking_access.js";
import { scheduleDetail } from "../catalog.js";
import { announce, byId, hide, show } from "../dom.js";
import { formatClock, formatDateTime, formatNumber, formatWait } from "../format.js";
import { setUpPage } from "../layout.js";
import { messageFor } from "../messages.js";
import { requireSignIn } from "../session.js";
import { onTick } from "../ticker.js";

setUpPage();
const scheduleId = Number(byId("main").dataset.scheduleId);
const placeUrl = `/api/v1/schedules/${scheduleId}/queue`;
const stateUrl = `${placeUrl}/state`;
// Close to the front the line is watched every second, further back every few seconds.
const WATCH_NEAR_MS = 1000;
const WATCH_FAR_MS = 3000;
const NEAR = 50;
// Screen readers hear the position at most this often, and every change near the front.
const ANNOUNCE_EVERY_MS = 15_000;

const room = {
  entryNumber: null, // null until the fan has a place in the line (pre-queue)
  // The receipt of the place from the last answer, sent back with each heartbeat: a server
  // then answers a fan still waiting without asking Redis.
  queueToken: null,
  heartbeatSeconds: 10,
  startPosition: null, // the position first seen: where the progress bar starts
  lastEta: null, // the server's estimate from the fan's own last answer
  opensAt: null,
  state: null,
  etag: null,
  over: false, // admitted, sale closed or place lost: nothing more to send
  // Seats free to hold, as the public state last said (null: not counted yet). At 0 every
  // seat is held: the line moves only as seats come back.
  seatsLeft: null,
};
const due = { heartbeat: Infinity, watch: 0 };
const busy = { heartbeat: false, watch: false };
let lastAnnounced = { position: null, at: 0 };
let stopTicking = null;

function trouble(text) {
  if (text) show(byId("trouble"), text);
  else hide(byId("trouble"));
}

function end(text, { canRejoin }) {
  room.over = true;
  hide(byId("in-line"));
  hide(byId("pre-queue"));
  hide(byId("paused"));
  hide(byId("all-held"));
  hide(byId("beyond-seats"));
  trouble(null);
  byId("ended-text").textContent = text;
  byId("rejoin").hidden = !canRejoin;
  show(byId("ended"));
  byId("main").dataset.roomState = canRejoin ? "lost" : "closed";
}

function admitted(place) {
  room.over = true;
  saveAccess(scheduleId, place.access_token, place.access_expires_at);
  byId("main").dataset.roomState = "admitted";
  announce("It's your turn. Opening the seat map.");
  location.assign(`/schedules/${scheduleId}/seats`);
}

function renderPreQueue() {
  hide(byId("in-line"));
  show(byId("pre-queue"));
  byId("main").dataset.roomState = "pre_queue";
  if (room.opensAt) byId("opens-at").textContent = `(${formatDateTime(room.opensAt)})`;
  renderCountdown();
}

function renderCountdown() {
  if (!room.opensAt || byId("pre-queue").hidden) return;
  const seconds = (Date.parse(room.opensAt) - Date.now()) / 1000;
  byId("countdown").textContent = seconds > 0 ? formatClock(seconds) : "Opening…";
}

function aheadText(position) {
  const ahead = position - 1;
  if (ahead < 0) return "";
  if (ahead === 0) return "Nobody is ahead of you: you're next";
  return `${formatNumber(ahead)} fan${ahead === 1 ? "" : "s"} ahead of you`;
}

function renderLine(position, rate) {
  hide(byId("pre-queue"));
  show(byId("in-line"));
  byId("main").dataset.roomState = "waiting";
  // The position counts the fan: place 1 is the head of the line, with nobody ahead.
  const place = byId("place");
  place.textContent = position === 0 ? "✓" : formatNumber(position);
  place.dataset.position = String(position);
  byId("place-label").textContent =
    position === 0 ? "It's your turn: opening the seat map…" : "your place in line";
  byId("ahead").textContent = aheadText(position);
  const start = room.startPosition || 1;
  byId("progress").value = Math.max(0, Math.min(100, Math.round((100 * (start - position)) / start)));
  byId("entry-number").textContent = `#${formatNumber(room.entryNumber)}`;
  // At least as many fans ahead as seats left: even if each of them takes only one, none is
  // left by this fan's turn, which then comes only if seats come back (fans ahead leave,
  // holds lapse). A time would promise what the line can't keep.
  const allHeld = room.seatsLeft === 0;
  const beyond = !allHeld && room.seatsLeft !== null && position - 1 >= room.seatsLeft;
  byId("beyond-seats").hidden = !beyond;
  if (beyond) byId("seats-left").textContent = formatNumber(room.seatsLeft);
  // The ETA from the measured pace of the line; before anything was measured, the server's.
  const eta = rate > 0 ? position / rate : room.lastEta;
  byId("eta").textContent =
    position === 0
      ? "any moment"
      : allHeld
        ? "when seats come back"
        : beyond
          ? "only if seats come back"
          : formatWait(eta ?? NaN);
  byId("rate").textContent = rate > 0 ? `${formatNumber(rate)} fans a second` : "measuring…";

  const now = Date.now();
  if (
    position !== lastAnnounced.position &&
    (position <= 5 || now - lastAnnounced.at >= ANNOUNCE_EVERY_MS)
  ) {
    announce(position === 0 ? "It's your turn." : `Place ${formatNumber(position)} in line. ${aheadText(position)}.`);
    lastAnnounced = { position, at: now };
  }
}

// The next heartbeat comes at a random point of the interval's last quarter: fans who got
// their places together (everyone who came before the opening) would otherwise all beat in
// the same second, every interval. Early never costs the place; late could.
function nextHeartbeat() {
  return Date.now() + room.heartbeatSeconds * 1000 * (0.75 + 0.25 * Math.random());
}

function onPlace(place) {
  room.heartbeatSeconds = place.heartbeat_seconds || room.heartbeatSeconds;
  due.heartbeat = nextHeartbeat();
  if (place.status === "admitted" && place.access_token) return admitted(place);
  if (place.status === "pre_queue") {
    room.opensAt = place.opens_at || room.opensAt;
    return renderPreQueue();
  }
  room.entryNumber = place.entry_number;
  room.queueToken = place.queue_token || null;
  room.lastEta = place.eta_seconds;
  if (room.startPosition === null) room.startPosition = Math.max(place.position, 1);
  const rate = room.state?.admitted_per_second ?? 0;
  renderLine(place.position, rate);
}

function onState(state) {
  byId("paused").hidden = state.phase !== "paused";
  if (state.phase === "closed") return end("The sale for this show has closed.", { canRejoin: false });
  // Nobody else will be let in: say so rather than keep the fan waiting for nothing.
  if (state.sold_out) return end("Sold out: every seat for this show has been sold.", { canRejoin: false });
  room.seatsLeft = state.seats_available ?? null;
  byId("all-held").hidden = room.seatsLeft !== 0;
  if (state.phase === "pre_queue") {
    room.opensAt = state.opens_at;
    if (room.entryNumber === null) renderPreQueue();
    return;
  }
  if (room.entryNumber === null) {
    due.heartbeat = 0; // the sale has opened: ask for our entry number now
    return;
  }
  const position = Math.max(0, room.entryNumber - state.serving);
  renderLine(position, state.admitted_per_second);
  if (state.serving >= room.entryNumber) due.heartbeat = 0; // our turn: claim the token
}

async function heartbeat() {
  busy.heartbeat = true;
  try {
    const headers = room.queueToken ? { "X-Queue-Token": room.queueToken } : {};
    const { body } = await api(placeUrl, { auth: true, headers });
    trouble(null);
    onPlace(body);
  } catch (error) {
    if (error.code === "not_in_queue") {
      end(messageFor(error), { canRejoin: true });
    } else if (error.code === "sale_closed") {
      end(messageFor(error), { canRejoin: false }); // the line moves no more
    } else if (error.status === 401) {
      requireSignIn();
    } else {
      trouble(messageFor(error));
      due.heartbeat = Date.now() + 1000 * Math.min(room.heartbeatSeconds, error.retryAfter || 2);
    }
  } finally {
    busy.heartbeat = false;
  }
}

async function watch() {
  busy.watch = true;
  const near = room.entryNumber !== null && room.state && room.entryNumber - room.state.serving <= NEAR;
  due.watch = Date.now() + (near ? WATCH_NEAR_MS : WATCH_FAR_MS);
  try {
    const headers = room.etag ? { "If-None-Match": room.etag } : {};
    const answer = await api(stateUrl, { headers });
    if (answer.status === 200) {
      room.state = answer.body;
      room.etag = answer.headers.get("ETag");
    }
    if (room.state && !room.over) onState(room.state);
  } catch (error) {
    if (error.code === "not_found") end("There is no such show.", { canRejoin: false });
    else trouble(messageFor(error));
  } finally {
    busy.watch = false;
  }
}

function tick() {
  renderCountdown();
  if (room.over) return stopTicking?.();
  const now = Date.now();
  if (!busy.watch && now >= due.watch) watch();
  if (!busy.heartbeat && now >= due.heartbeat) heartbeat();
}

async function enter() {
  try {
    const { body } = await api(placeUrl, { method: "POST", auth: true });
    trouble(null);
    onPlace(body);
    if (!room.over) stopTicking = onTick(250, tick);
  } catch (error) {
    if (error.code === "sale_closed") return end(messageFor(error), { canRejoin: false });
    if (error.status === 401) return requireSignIn();
    if (error.code === "not_found") return end("There is no such show.", { canRejoin: false });
    trouble(messageFor(error));
    setTimeout(enter, 1000 * (error.retryAfter || 3));
  }
}

byId("rejoin").addEventListener("click", () => {
  Object.assign(room, { entryNumber: null, startPosition: null, lastEta: null, over: false });
  Object.assign(due, { heartbeat: Infinity, watch: 0 });
  hide(byId("ended"));
  enter();
});

async function showTitle() {
  try {
    const schedule = await scheduleDetail(scheduleId);
    byId("title").textContent = `${schedule.concert.artist}: ${schedule.concert.title}`;
    byId("when").textContent = `${formatDateTime(schedule.starts_at)} · ${schedule.concert.venue}`;
    const link = byId("concert-link");
    link.textContent = schedule.concert.title;
    link.href = `/concerts/${schedule.concert.id}`;
    document.title = `Waiting room: ${schedule.concert.title} · Ticketing`;
  } catch {
    byId("title").textContent = "Waiting room";
  }
}

if (requireSignIn()) {
  showTitle();
  enter();
}
