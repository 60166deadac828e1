// The your-tags page: mute ("not interested"), unmute and follow tags through the API, then
// show the page again (the server renders the list as the API now has it).
import { api, showError } from "./api.js";

const errorBox = document.querySelector("[data-tags-error]");

async function edit(tag, change) {
  showError(errorBox, "");
  try {
    await api(`/api/v1/me/tags/${encodeURIComponent(tag)}`, { method: "PUT", json: change });
    window.location.reload();
  } catch (error) {
    showError(errorBox, error.message);
  }
}

for (const item of document.querySelectorAll("[data-tag]")) {
  item.querySelector("[data-mute]")?.addEventListener("click", () => edit(item.dataset.tag, { muted: true }));
  item.querySelector("[data-unmute]")?.addEventListener("click", () => edit(item.dataset.tag, { muted: false }));
}

document.querySelector("[data-tag-follow]")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const tag = new FormData(event.target).get("tag");
  showError(errorBox, "");
  try {
    await api("/api/v1/me/tags", { method: "POST", json: { tag } });
    window.location.reload();
  } catch (error) {
    showError(errorBox, error.message);
  }
});
