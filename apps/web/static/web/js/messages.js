// What the fan reads for each error code the API returns (docs/ERRORS.md). Pages may say
// something more precise for a code in their own context.

const MESSAGES = {
  invalid: "Some of what you entered is not valid.",
  invalid_amount: "Enter a whole number of points from 1 to 10,000,000.",
  too_many_seats: "That's more seats than one fan may have for this show (your other holds and tickets count too).",
  invalid_idempotency_key: "The payment request was malformed. Reload the page and try again.",
  insufficient_balance: "You don't have enough points for this order. Add points and pay again.",
  malformed_request: "The request was malformed. Reload the page and try again.",
  body_too_large: "The request was too large.",
  not_authenticated: "Please sign in first.",
  token_invalid: "Your session has ended. Please sign in again.",
  bad_credentials: "Wrong username or password.",
  forbidden: "You are not allowed to do that.",
  not_admitted: "Your turn in the booking room has ended. Join the waiting room again; a seat hold you already have stays until it expires.",
  not_found: "We couldn't find that.",
  not_in_queue: "You lost your place in the line: this page stopped hearing from you for too long.",
  method_not_allowed: "That action isn't possible here.",
  username_taken: "That username is taken. Try another one.",
  sale_closed: "The sale for this show is closed.",
  seat_unavailable: "One of your seats was just taken by someone else.",
  reservation_expired: "Your hold ran out before the payment, so the seats went back on sale. No points were taken.",
  already_paid: "This order is paid already.",
  not_payable: "This order was cancelled, so it can't be paid.",
  not_cancellable: "This reservation can't be cancelled any more (the refund window has closed).",
  idempotency_in_flight: "Your payment is still being processed. Try again in a moment: you won't be charged twice.",
  idempotency_key_reused: "This payment attempt was already used for another order. Reload the page.",
  lock_timeout: "The system is busy right now. Try again in a moment.",
  unsupported_media_type: "The request was malformed. Reload the page and try again.",
  rate_limited: "Too many attempts in a short time. Wait a moment and try again.",
  database_unavailable: "We're having trouble on our side. Nothing was changed; try again in a moment.",
  queue_unavailable: "The waiting room is having trouble. Your place is kept; we keep trying.",
  redis_unavailable: "We're having trouble on our side. Try again in a moment.",
  internal_error: "Something went wrong on our side. Try again in a moment.",
  network_error: "No connection to the server. Check your connection and try again.",
};

export function messageFor(error, overrides = {}) {
  const code = error?.code;
  let text = overrides[code] || MESSAGES[code] || error?.message || "Something went wrong.";
  if (error?.retryAfter && ["rate_limited", "lock_timeout"].includes(code)) {
    text += ` (about ${error.retryAfter} s)`;
  }
  return text;
}

/** Field messages of a 400 `invalid`, e.g. {password: ["This password is too common."]}. */
export function fieldErrors(error) {
  const out = {};
  for (const [field, messages] of Object.entries(error?.errors || {})) {
    out[field] = Array.isArray(messages) ? messages.join(" ") : String(messages);
  }
  return out;
}

/** Errors worth retrying with the same request: nothing was decided. */
export function isTransient(error) {
  return (
    error?.status === 0 ||
    error?.status >= 500 ||
    ["lock_timeout", "idempotency_in_flight", "rate_limited"].includes(error?.code)
  );
}
