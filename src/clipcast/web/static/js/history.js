// The history page: remove one video, or clear everything (a second press confirms), through
// the API. The page itself is rendered by the server from the same read as the API.
import { api, showError } from "./api.js";

const root = document.querySelector("[data-history]");
const list = root.querySelector("[data-history-list]");
const clear = root.querySelector("[data-clear-history]");
const empty = root.querySelector("[data-history-empty]");
const total = root.querySelector("[data-history-total]");
const error = root.querySelector("[data-history-error]");
const CONFIRM_MS = 4000;

function shownCount() {
  return list ? list.querySelectorAll("[data-video-id]").length : 0;
}

function showEmpty() {
  const parts = root.querySelectorAll("[data-history-list], [data-history-total], .pager");
  for (const node of parts) node.remove();
  if (clear) clear.remove();
  empty.hidden = false;
}

function setTotal(n) {
  total.dataset.count = String(n);
  total.textContent = `${n} video${n === 1 ? "" : "s"} watched`;
}

async function remove(row, button) {
  button.disabled = true;
  try {
    const path = `/api/v1/me/history/${encodeURIComponent(row.dataset.videoId)}`;
    await api(path, { method: "DELETE" });
  } catch (failure) {
    button.disabled = false;
    showError(error, failure.message);
    return;
  }
  row.remove();
  const left = Math.max(0, Number(total.dataset.count) - 1);
  setTotal(left);
  // The last one on this page: show this page again if later videos move up into it, else
  // the page before.
  if (!shownCount()) {
    if (!left) showEmpty();
    else if (root.querySelector(".pager [rel=next]")) window.location.reload();
    else window.location.assign(root.querySelector(".pager [rel=prev]")?.href || "/me/history");
  }
}

let armed = null;

async function clearAll() {
  if (!armed) {
    clear.textContent = "Press again to clear all";
    clear.setAttribute("aria-pressed", "true");
    armed = window.setTimeout(() => {
      armed = null;
      clear.textContent = "Clear all history";
      clear.removeAttribute("aria-pressed");
    }, CONFIRM_MS);
    return;
  }
  window.clearTimeout(armed);
  armed = null;
  clear.disabled = true;
  try {
    await api("/api/v1/me/history", { method: "DELETE" });
  } catch (failure) {
    clear.disabled = false;
    showError(error, failure.message);
    return;
  }
  showEmpty();
}

if (list) {
  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove]");
    if (button) remove(button.closest("[data-video-id]"), button);
  });
}
if (clear) clear.addEventListener("click", clearAll);
