// Drawing a seat map and moving around it with the keyboard. Each section is one tab stop;
// inside it the arrow keys move between seats (Home and End to a row's ends), and Enter or
// Space picks a seat, as the seat is a toggle button.

import { h } from "./dom.js";
import { formatNumber, formatPoints } from "./format.js";

const STATUS_WORDS = { available: "available", held: "held by someone", sold: "sold" };

export function seatDescription(seat) {
  return `${seat.section}, row ${seat.row}, seat ${seat.number}, ${seat.grade}, ${formatPoints(seat.price)}`;
}

function sectionsOf(seats) {
  const sections = new Map();
  for (const seat of seats) {
    if (!sections.has(seat.section)) sections.set(seat.section, new Map());
    const rows = sections.get(seat.section);
    if (!rows.has(seat.row)) rows.set(seat.row, []);
    rows.get(seat.row).push(seat);
  }
  for (const rows of sections.values()) {
    for (const row of rows.values()) row.sort((a, b) => a.number - b.number);
  }
  return sections;
}

export class SeatMap {
  /** onToggle(seat) is called when the fan picks or unpicks a seat. */
  constructor(container, { onToggle }) {
    this.container = container;
    this.onToggle = onToggle;
    this.buttons = new Map(); // seat id → button
    this.seats = new Map(); // seat id → seat as last read
  }

  draw(seats, selected) {
    const blocks = [];
    let index = 0;
    for (const [section, rows] of sectionsOf(seats)) {
      const first = rows.values().next().value[0];
      const headingId = `section-${index++}`;
      const rowElements = [];
      for (const [row, rowSeats] of rows) {
        rowElements.push(
          h(
            "div",
            { class: "seat-row", role: "group", "aria-label": `${section}, row ${row}` },
            h("span", { class: "row-label", "aria-hidden": "true" }, row),
            rowSeats.map((seat) => this.button(seat)),
          ),
        );
      }
      const grid = h("div", { class: "seat-grid", onkeydown: (e) => this.move(e) }, rowElements);
      const firstButton = grid.querySelector("button");
      if (firstButton) firstButton.tabIndex = 0;
      blocks.push(
        h(
          "section",
          { class: "seat-section", role: "group", "aria-labelledby": headingId },
          h("h3", { id: headingId }, section, " ", h(
            "span",
            { class: "muted small" },
            // The grade where it says more than the section's name.
            first.grade === section ? formatPoints(first.price) : `${first.grade} · ${formatPoints(first.price)}`,
          )),
          grid,
        ),
      );
    }
    this.container.replaceChildren(...blocks);
    this.update(seats, selected);
  }

  button(seat) {
    const button = h(
      "button",
      {
        type: "button",
        class: "seat",
        tabindex: "-1",
        dataset: { seatId: seat.id },
        onclick: () => this.onToggle(this.seats.get(seat.id)),
        onfocus: () => this.rove(button),
      },
      String(seat.number),
    );
    this.buttons.set(seat.id, button);
    return button;
  }

  /** Statuses and picks change in place: focus and scrolling stay where they are. */
  update(seats, selected) {
    for (const seat of seats) {
      this.seats.set(seat.id, seat);
      const button = this.buttons.get(seat.id);
      if (!button) continue;
      const picked = selected.has(seat.id);
      const free = seat.status === "available";
      button.className = `seat ${picked ? "selected" : seat.status}`;
      button.dataset.status = seat.status;
      button.setAttribute("aria-pressed", String(picked));
      if (free || picked) button.removeAttribute("aria-disabled");
      else button.setAttribute("aria-disabled", "true");
      button.setAttribute(
        "aria-label",
        `${seatDescription(seat)}, ${picked ? "your pick" : STATUS_WORDS[seat.status] || seat.status}`,
      );
    }
  }

  rove(button) {
    const grid = button.closest(".seat-grid");
    for (const other of grid.querySelectorAll('button[tabindex="0"]')) other.tabIndex = -1;
    button.tabIndex = 0;
  }

  move(event) {
    const button = event.target.closest("button.seat");
    if (!button) return;
    const row = button.parentElement;
    const inRow = [...row.querySelectorAll("button.seat")];
    const at = inRow.indexOf(button);
    const rows = [...row.parentElement.querySelectorAll(".seat-row")];
    const rowAt = rows.indexOf(row);
    const sameColumn = (r) => {
      const seats = r ? [...r.querySelectorAll("button.seat")] : [];
      return seats[Math.min(at, seats.length - 1)];
    };
    const target = {
      ArrowLeft: inRow[at - 1],
      ArrowRight: inRow[at + 1],
      ArrowUp: sameColumn(rows[rowAt - 1]),
      ArrowDown: sameColumn(rows[rowAt + 1]),
      Home: inRow[0],
      End: inRow[inRow.length - 1],
    }[event.key];
    if (event.key in { ArrowLeft: 1, ArrowRight: 1, ArrowUp: 1, ArrowDown: 1, Home: 1, End: 1 }) {
      event.preventDefault(); // no page scrolling while moving between seats
    }
    if (target) target.focus();
  }

  count(status) {
    return [...this.seats.values()].filter((s) => s.status === status).length;
  }
}

export function seatsLeftText(map) {
  return `${formatNumber(map.count("available"))} seats available`;
}
