// The waiting room's access token for a schedule, kept for the seat map and the checkout.

const key = (scheduleId) => `ticketing.access.${scheduleId}`;

export function saveAccess(scheduleId, token, expiresAt) {
  sessionStorage.setItem(key(scheduleId), JSON.stringify({ token, expiresAt }));
}

export function accessFor(scheduleId) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(key(scheduleId)));
    if (saved && Date.parse(saved.expiresAt) > Date.now()) return saved.token;
  } catch {
    /* nothing kept */
  }
  return null;
}

export function forgetAccess(scheduleId) {
  sessionStorage.removeItem(key(scheduleId));
}
