// The wallet: balance, the ledger (every change, newest first) and adding points.

import { api } from "../api.js";
import { announce, byId, h, hide, show } from "../dom.js";
import { formatDateTime, formatNumber, formatPoints } from "../format.js";
import { setUpPage } from "../layout.js";
import { messageFor } from "../messages.js";
import { requireSignIn } from "../session.js";

setUpPage();
const KIND = { charge: "Points added", payment: "Payment", refund: "Refund" };

function entryRow(entry) {
  const sign = entry.kind === "payment" ? "−" : "+";
  return h(
    "tr",
    { dataset: { kind: entry.kind } },
    h("td", {}, formatDateTime(entry.created_at)),
    h("td", {}, KIND[entry.kind] || entry.kind),
    h("td", { class: `num ${entry.kind === "payment" ? "debit" : "credit"}` }, `${sign}${formatNumber(entry.amount)}`),
    h("td", { class: "num" }, formatNumber(entry.balance_after)),
    h("td", { class: "muted" }, entry.reference),
  );
}

async function loadBalance() {
  const { body } = await api("/api/v1/me/wallet", { auth: true });
  byId("balance").textContent = formatNumber(body.balance);
}

async function loadLedger(url, { replace = false } = {}) {
  const { body } = await api(url, { auth: true });
  const rows = body.results.map(entryRow);
  if (replace) byId("ledger").replaceChildren(...rows);
  else byId("ledger").append(...rows);
  if (!body.results.length && replace) {
    byId("ledger").replaceChildren(h("tr", {}, h("td", { colspan: "5", class: "muted" }, "Nothing yet.")));
  }
  byId("more").hidden = !body.next;
  byId("more").onclick = () => loadLedger(body.next);
}

async function refresh() {
  try {
    await Promise.all([loadBalance(), loadLedger("/api/v1/me/wallet/transactions?limit=20", { replace: true })]);
  } catch (error) {
    if (error.status === 401) return requireSignIn();
    show(byId("charge-message"), messageFor(error));
  }
}

byId("charge").addEventListener("submit", async (event) => {
  event.preventDefault();
  const note = byId("charge-message");
  const raw = byId("amount").value;
  const amount = Number(raw);
  hide(note);
  note.classList.remove("error");
  if (!/^\d+$/.test(raw) || amount < 1 || amount > 10_000_000) {
    note.classList.add("error");
    show(note, messageFor({ code: "invalid_amount" }));
    return;
  }
  const button = event.target.querySelector("button");
  button.disabled = true;
  try {
    const { body } = await api("/api/v1/me/wallet/charges", { method: "POST", auth: true, body: { amount } });
    const text = `Added ${formatPoints(amount)}. Your balance is ${formatPoints(body.balance)}.`;
    show(note, text);
    announce(text);
    byId("amount").value = "";
    await refresh();
  } catch (error) {
    note.classList.add("error");
    show(note, messageFor(error));
  } finally {
    button.disabled = false;
  }
});

if (requireSignIn()) refresh();
