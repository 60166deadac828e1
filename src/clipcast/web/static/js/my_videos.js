// My videos: live state and progress by polling the API, edit title/visibility, delete.
import { api } from "./api.js";

const POLL_MS = 2000;
const FINAL = new Set(["ready", "failed"]);
const list = document.getElementById("my-videos");

function field(row, name) {
  return row.querySelector(`[data-field="${name}"]`);
}

function updateRow(row, video) {
  row.dataset.state = video.state;
  const state = field(row, "state");
  state.textContent = video.state;
  state.className = `state state-${video.state}`;
  field(row, "progress-box").hidden = FINAL.has(video.state);
  field(row, "progress").value = video.progress;
  field(row, "progress-text").textContent = `${video.progress} %`;
  const failure = field(row, "failure");
  failure.textContent = video.failure_reason || "";
  failure.hidden = !video.failure_reason;
  field(row, "title").textContent = video.title;
  field(row, "visibility").textContent = video.visibility;
}

function pending() {
  return [...list.querySelectorAll(".row")].some((row) => !FINAL.has(row.dataset.state));
}

async function poll() {
  const { page, perPage } = list.dataset;
  try {
    const listing = await api(`/api/v1/videos?mine=true&page=${page}&per_page=${perPage}`);
    for (const video of listing.items) {
      const row = list.querySelector(`.row[data-video-id="${video.id}"]`);
      if (row) updateRow(row, video);
    }
  } catch {
    // A blip (server restarting, network): try again on the next tick.
  }
  if (pending()) window.setTimeout(poll, POLL_MS);
}

async function saveEdit(row, form) {
  const status = form.querySelector("[data-edit-status]");
  const data = new FormData(form);
  status.textContent = "Saving…";
  try {
    const video = await api(`/api/v1/videos/${row.dataset.videoId}`, {
      method: "PATCH",
      json: { title: data.get("title"), visibility: data.get("visibility") },
    });
    updateRow(row, video);
    status.textContent = "Saved.";
  } catch (error) {
    status.textContent = error.message;
  }
}

async function deleteRow(row, button) {
  const title = field(row, "title").textContent;
  if (!window.confirm(`Delete “${title}” for good?`)) return;
  button.disabled = true;
  try {
    await api(`/api/v1/videos/${row.dataset.videoId}`, { method: "DELETE" });
    row.remove();
  } catch (error) {
    button.disabled = false;
    window.alert(error.message);
  }
}

if (list) {
  for (const row of list.querySelectorAll(".row")) {
    const form = row.querySelector("form[data-edit]");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      saveEdit(row, form);
    });
    const button = row.querySelector("[data-delete]");
    button.addEventListener("click", () => deleteRow(row, button));
  }
  if (pending()) window.setTimeout(poll, POLL_MS);
}
