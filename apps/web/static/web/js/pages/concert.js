import { api } from "../api.js";
import { saleState } from "../catalog.js";
import { byId, h, show } from "../dom.js";
import { formatDateTime } from "../format.js";
import { setUpPage } from "../layout.js";
import { messageFor } from "../messages.js";

setUpPage();
const concertId = document.getElementById("main").dataset.concertId;

function scheduleRow(schedule) {
  const state = saleState(schedule);
  return h(
    "li",
    { class: "card schedule-row" },
    h(
      "div",
      {},
      h("p", { class: "when strong" }, formatDateTime(schedule.starts_at)),
      h("p", { class: "muted small" }, `Sale ${formatDateTime(schedule.sale_opens_at)} – ${formatDateTime(schedule.sale_closes_at)}`),
    ),
    h("div", { class: "row-end" },
      h("span", { class: `badge ${state.tone}` }, state.label),
      state.seats ? h("span", { class: "muted small" }, state.seats) : null,
      state.bookable
        ? h("a", { class: "button", href: `/schedules/${schedule.id}/queue` }, "Get tickets")
        : null,
    ),
  );
}

try {
  const { body: concert } = await api(`/api/v1/concerts/${concertId}`);
  document.title = `${concert.title} · Ticketing`;
  byId("concert").replaceChildren(
    h("p", { class: "eyebrow" }, concert.artist),
    h("h1", { id: "title" }, concert.title),
    h("p", { class: "muted" }, concert.venue),
    concert.description ? h("p", {}, concert.description) : null,
  );
  byId("schedules").append(...concert.schedules.map(scheduleRow));
  if (!concert.schedules.length) show(byId("status"), "No shows announced yet.");
} catch (error) {
  byId("title").textContent = "Concert not found";
  show(byId("status"), messageFor(error, { not_found: "There is no such concert." }));
} finally {
  byId("concert").setAttribute("aria-busy", "false");
}
