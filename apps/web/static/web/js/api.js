// The REST API, as any client calls it: JSON in and out, a bearer token where the endpoint
// wants one, and errors as application/problem+json with a stable `code`.

import { accessToken, refreshNow, signOut } from "./session.js";

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code || (status === 0 ? "network_error" : "unknown");
    this.errors = problem?.errors || null;
    this.retryAfter = retryAfter;
  }
}

async function send(path, { method, body, headers, auth }) {
  const all = { Accept: "application/json", ...headers };
  if (body !== undefined) all["Content-Type"] = "application/json";
  if (auth) {
    const token = await accessToken();
    if (!token) throw new ApiError(401, { code: "not_authenticated" });
    all.Authorization = `Bearer ${token}`;
  }
  try {
    return await fetch(path, {
      method,
      headers: all,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, { code: "network_error", detail: "No connection to the server." });
  }
}

/**
 * Calls the API; resolves to {status, body, headers} for 2xx and 304, throws ApiError
 * otherwise. A 401 on a signed-in call refreshes the token once and tries again.
 */
export async function api(path, { method = "GET", body, headers = {}, auth = false } = {}) {
  let response = await send(path, { method, body, headers, auth });
  if (response.status === 401 && auth) {
    if (await refreshNow()) response = await send(path, { method, body, headers, auth });
  }
  const text = response.status === 204 || response.status === 304 ? "" : await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (response.ok || response.status === 304) {
    return { status: response.status, body: parsed, headers: response.headers };
  }
  const retryAfter = Number(response.headers.get("Retry-After")) || null;
  const error = new ApiError(response.status, parsed, retryAfter);
  if (auth && error.status === 401) signOut();
  throw error;
}
