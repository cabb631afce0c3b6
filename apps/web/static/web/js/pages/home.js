import { api } from "../api.js";
import { saleState } from "../catalog.js";
import { byId, h, show } from "../dom.js";
import { formatDateTime } from "../format.js";
import { setUpPage } from "../layout.js";
import { messageFor } from "../messages.js";

setUpPage();
const list = byId("concerts");
const more = byId("more");

function scheduleLine(schedule) {
  const state = saleState(schedule);
  return h(
    "li",
    { class: "schedule-line" },
    h(
      "div",
      {},
      h("p", { class: "when" }, formatDateTime(schedule.starts_at)),
      h(
        "p",
        { class: "sale" },
        h("span", { class: `badge ${state.tone}` }, state.label),
        state.seats ? h("span", { class: "muted small" }, ` ${state.seats}`) : null,
      ),
    ),
    state.bookable
      ? h(
          "a",
          { class: "button small", href: `/schedules/${schedule.id}/queue` },
          "Get tickets",
          h("span", { class: "visually-hidden" }, ` for ${formatDateTime(schedule.starts_at)}`),
        )
      : null,
  );
}

function concertCard(concert) {
  const shows = concert.schedules || [];
  return h(
    "li",
    { class: "card concert-card" },
    h("p", { class: "eyebrow" }, concert.artist),
    h("h3", {}, h("a", { href: `/concerts/${concert.id}` }, concert.title)),
    h("p", { class: "muted" }, concert.venue),
    shows.length
      ? h("ul", { class: "schedule-lines", "aria-label": `Shows of ${concert.title}` }, shows.map(scheduleLine))
      : h("p", { class: "muted" }, "No shows announced yet."),
  );
}

async function load(url) {
  list.setAttribute("aria-busy", "true");
  try {
    const { body } = await api(url);
    // Each concert's schedules: when each sale opens, seats left (cached, public reads).
    const details = await Promise.all(
      body.results.map((c) => api(`/api/v1/concerts/${c.id}`).then((r) => r.body)),
    );
    list.append(...details.map(concertCard));
    if (!details.length && !list.children.length) show(byId("status"), "No concerts yet.");
    more.hidden = !body.next;
    more.onclick = () => load(body.next);
  } catch (error) {
    show(byId("status"), messageFor(error));
  } finally {
    list.setAttribute("aria-busy", "false");
  }
}

load("/api/v1/concerts?limit=12");
