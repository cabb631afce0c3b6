// The waiting room's access token for a schedule, kept for the seat map and the checkout.

import { api } from "./api.js";

const key = (scheduleId) => `ticketing.access.${scheduleId}`;
// A token this close to its expiry is renewed before a request that needs it.
const RENEW_WITHIN_MS = 15_000;

function saved(scheduleId) {
  try {
    return JSON.parse(sessionStorage.getItem(key(scheduleId)));
  } catch {
    return null;
  }
}

export function saveAccess(scheduleId, token, expiresAt) {
  sessionStorage.setItem(key(scheduleId), JSON.stringify({ token, expiresAt }));
}

// Whether this tab was admitted to the schedule at all (the token may have run out since).
export function wasAdmitted(scheduleId) {
  return Boolean(saved(scheduleId)?.token);
}

export function accessFor(scheduleId) {
  const access = saved(scheduleId);
  return access && Date.parse(access.expiresAt) > Date.now() ? access.token : null;
}

/**
 * A token good for the next request, or null once the fan is no longer admitted. Holding
 * seats extends the fan's booking slot past the token it was admitted with, so a token near
 * its end is renewed: the fan's own call to the waiting room answers with a token for the
 * slot as it stands.
 */
export async function freshAccess(scheduleId) {
  const access = saved(scheduleId);
  if (access && Date.parse(access.expiresAt) - Date.now() > RENEW_WITHIN_MS) return access.token;
  try {
    const { body } = await api(`/api/v1/schedules/${scheduleId}/queue`, { auth: true });
    if (body.status === "admitted" && body.access_token) {
      saveAccess(scheduleId, body.access_token, body.access_expires_at);
      return body.access_token;
    }
    return null; // back in line, or in a new place: the waiting room page says where
  } catch (error) {
    if (error.status === 404 || error.status === 409) return null; // no place any more
    return accessFor(scheduleId); // no answer: the token as it is, while it lasts
  }
}

export function forgetAccess(scheduleId) {
  sessionStorage.removeItem(key(scheduleId));
}
