// My videos: live state and progress by polling the API (a failed video says so, and why),
// delete. Editing is on each video's edit page.
import { api } from "./api.js";

const POLL_MS = 2000;
const FINAL = new Set(["ready", "failed"]);
const list = document.getElementById("my-videos");
const labels = list ? JSON.parse(list.dataset.stateLabels) : {};

function field(row, name) {
  return row.querySelector(`[data-field="${name}"]`);
}

function updateRow(row, video) {
  row.dataset.state = video.state;
  const state = field(row, "state");
  state.textContent = labels[video.state] || video.state;
  state.className = `state state-${video.state}`;
  field(row, "progress-box").hidden = FINAL.has(video.state);
  field(row, "progress").value = video.progress;
  field(row, "progress-text").textContent = `${video.progress} %`;
  const failed = video.state === "failed";
  const failure = field(row, "failure");
  failure.textContent = failed ? video.failure_reason || "The server gave no reason." : "";
  failure.hidden = !failed;
  field(row, "failed-mark").hidden = !failed;
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
    const button = row.querySelector("[data-delete]");
    button.addEventListener("click", () => deleteRow(row, button));
  }
  if (pending()) window.setTimeout(poll, POLL_MS);
}
