// The signed-in fan: JWTs in sessionStorage (gone when the tab closes, never in a cookie),
// and the access token refreshed before it expires.

const KEY = "ticketing.session";
// Refresh this long before the access token runs out, so no call is sent with a dead one
// (a fifth of a short token's life at most, so a one-minute token is not refreshed nonstop).
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

function claims(jwt) {
  try {
    return JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return {};
  }
}

export function expiresAtMs(jwt) {
  return (claims(jwt).exp || 0) * 1000;
}

/** How long before its expiry a token is refreshed. */
function marginMs(jwt) {
  const { exp, iat } = claims(jwt);
  return exp && iat ? Math.min(REFRESH_MARGIN_MS, ((exp - iat) * 1000) / 5) : REFRESH_MARGIN_MS;
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
  if (expiresAtMs(session.access) - Date.now() > marginMs(session.access)) return session.access;
  return (await refreshNow()) ?? currentSession()?.access ?? null;
}

export function scheduleRefresh() {
  clearTimeout(refreshTimer);
  const session = currentSession();
  if (!session) return;
  const wait = Math.max(5000, expiresAtMs(session.access) - Date.now() - marginMs(session.access));
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
