// The signed-in fan: JWTs in sessionStorage (gone when the tab closes, never in a cookie),
// and the access token refreshed before it expires.

const KEY = "ticketing.session";
// Refresh this long before the access token runs out, so no call is sent with a dead one.
const REFRESH_MARGIN_MS = 60_000;

let refreshing = null;
let refreshTimer = null;

export function currentSession() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

function store(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  scheduleRefresh();
}

export function signIn({ username, access, refresh }) {
  store({ username, access, refresh });
}

export function signOut() {
  sessionStorage.clear(); // the fan's access tokens and payment attempts go too
  clearTimeout(refreshTimer);
}

export function expiresAtMs(jwt) {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).exp * 1000;
  } catch {
    return 0;
  }
}

/** Refresh tokens rotate: the answer's refresh token replaces the one sent. One refresh at a
 * time, however many calls need it. */
export function refreshNow() {
  const session = currentSession();
  if (!session) return Promise.resolve(null);
  refreshing ??= fetch("/api/v1/auth/token/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh: session.refresh }),
  })
    .then(async (response) => {
      if (response.ok) {
        const tokens = await response.json();
        store({ ...session, access: tokens.access, refresh: tokens.refresh });
        return tokens.access;
      }
      if (response.status === 401) signOut(); // the refresh token is dead: sign in again
      return null;
    })
    .catch(() => null) // offline: the next call tries again
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** The access token, refreshed first when it is about to expire. */
export async function accessToken() {
  const session = currentSession();
  if (!session) return null;
  if (expiresAtMs(session.access) - Date.now() > REFRESH_MARGIN_MS) return session.access;
  return (await refreshNow()) ?? currentSession()?.access ?? null;
}

export function scheduleRefresh() {
  clearTimeout(refreshTimer);
  const session = currentSession();
  if (!session) return;
  const wait = Math.max(0, expiresAtMs(session.access) - Date.now() - REFRESH_MARGIN_MS);
  refreshTimer = setTimeout(async () => {
    await refreshNow();
    scheduleRefresh();
  }, wait);
}

/** Pages for signed-in fans send everyone else to sign in, and back here afterwards. */
export function requireSignIn() {
  if (currentSession()) return true;
  const here = location.pathname + location.search;
  location.replace(`/signin?next=${encodeURIComponent(here)}`);
  return false;
}

/** Where to go after signing in: only a path on this site (no open redirect). */
export function nextPath() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}
