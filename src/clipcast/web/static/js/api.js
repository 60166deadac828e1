// How our pages call the API: JSON in and out, and the CSRF header on every unsafe request
// (the session cookie alone is not enough; only a page of ours can read the CSRF cookie).

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const CSRF_COOKIE = "clipcast_csrf";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function csrfToken() {
  const prefix = `${CSRF_COOKIE}=`;
  const entry = document.cookie.split("; ").find((part) => part.startsWith(prefix));
  return entry ? decodeURIComponent(entry.slice(prefix.length)) : "";
}

export function csrfHeaders() {
  return { "X-CSRF-Token": csrfToken() };
}

export async function api(path, { method = "GET", json } = {}) {
  const headers = { Accept: "application/json" };
  if (!SAFE_METHODS.has(method)) Object.assign(headers, csrfHeaders());
  if (json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  if (response.status === 204) return null;
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (body && body.error) || {};
    throw new ApiError(
      response.status,
      error.code || "http_error",
      error.message || `The server answered ${response.status}.`,
    );
  }
  return body;
}

export function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function showError(box, message) {
  box.textContent = message;
  box.hidden = !message;
}
