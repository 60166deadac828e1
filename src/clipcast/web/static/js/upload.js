// The upload page: a resumable tus upload with a progress bar, then the video's processing
// followed live on the same page. tus-js-client keeps each unfinished upload's URL in
// localStorage under the file's fingerprint, so choosing the same file again after a reload
// (or a dropped connection) continues from the server's offset.
import { csrfHeaders, formatBytes, showError } from "./api.js";
import { splitTags, watchLimits } from "./limits.js";
import { chosenGroups, watchAudience } from "./audience.js";
import { followProcessing } from "./processing.js";

const ENDPOINT = "/api/v1/uploads";
const CHUNK_SIZE = 5 * 1024 * 1024;

const form = document.getElementById("upload-form");
const ui = {
  error: form.querySelector("[data-error]"),
  start: form.querySelector("[data-start]"),
  pause: form.querySelector("[data-pause]"),
  status: document.querySelector("[data-status]"),
  message: document.querySelector("[data-message]"),
  bar: document.getElementById("upload-progress"),
  percent: document.querySelector("[data-percent]"),
  bytes: document.querySelector("[data-bytes]"),
  processing: document.querySelector("[data-processing]"),
  previous: document.querySelector("[data-previous]"),
  previousList: document.querySelector("[data-previous-list]"),
};
let current = null;
const recheck = watchLimits(form);
watchAudience(form);

function showProgress(sent, total) {
  const percent = total ? Math.floor((sent / total) * 100) : 0;
  ui.bar.value = percent;
  ui.percent.textContent = `${percent} %`;
  ui.bytes.textContent = `${formatBytes(sent)} of ${formatBytes(total)}`;
}

function serverMessage(error) {
  try {
    return JSON.parse(error.originalResponse.getBody()).error.message;
  } catch {
    return "The connection to the server was lost.";
  }
}

function setBusy(busy) {
  for (const field of form.elements) {
    if (field !== ui.pause) field.disabled = busy;
  }
  ui.pause.hidden = !busy;
}

function finished(upload, file) {
  showProgress(file.size, file.size);
  ui.message.textContent = "Upload complete.";
  ui.pause.hidden = true;
  // The upload's id is its video's id: follow it here until it is ready (or failed).
  const videoId = decodeURIComponent(new URL(upload.url, window.location.href).pathname.split("/").pop());
  followProcessing(ui.processing, videoId);
}

function makeUpload(file, data) {
  const upload = new window.tus.Upload(file, {
    endpoint: ENDPOINT,
    chunkSize: CHUNK_SIZE,
    retryDelays: [0, 1000, 3000, 5000],
    headers: csrfHeaders(),
    metadata: {
      filename: file.name,
      filetype: file.type,
      title: data.get("title").trim(),
      description: data.get("description"),
      tags: splitTags(data.get("tags")).join(","),
      visibility: data.get("visibility"),
      groups: chosenGroups(form).join(","),
    },
    removeFingerprintOnSuccess: true,
    onProgress: showProgress,
    onSuccess: () => finished(upload, file),
    onError: (error) => {
      setBusy(false);
      ui.pause.hidden = true;
      showError(ui.error, `Upload stopped: ${serverMessage(error)} Press Upload to continue from where it stopped.`);
    },
  });
  return upload;
}

function defaultTitle(file) {
  return file.name.replace(/\.[^.]+$/, "");
}

async function startUpload() {
  const file = form.elements.file.files[0];
  if (!(file instanceof File) || file.size === 0) {
    showError(ui.error, "Choose a video file first.");
    return;
  }
  // An empty title is the file's name: check that against the limit too, in the form.
  if (!form.elements.title.value.trim()) form.elements.title.value = defaultTitle(file);
  if (!recheck()) {
    form.reportValidity();
    return;
  }
  const data = new FormData(form);
  showError(ui.error, "");
  setBusy(true);
  ui.status.hidden = false;
  showProgress(0, file.size);
  current = makeUpload(file, data);
  const previous = await current.findPreviousUploads();
  if (previous.length > 0) {
    previous.sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime));
    current.resumeFromPreviousUpload(previous[0]);
    ui.message.textContent = `Resuming the earlier upload of ${file.name}…`;
  } else {
    ui.message.textContent = `Uploading ${file.name}…`;
  }
  current.start();
}

function togglePause() {
  if (!current) return;
  if (ui.pause.textContent === "Pause") {
    current.abort();
    ui.pause.textContent = "Resume";
    ui.message.textContent = "Paused.";
  } else {
    current.start();
    ui.pause.textContent = "Pause";
    ui.message.textContent = "Uploading…";
  }
}

async function discard(entry, item) {
  try {
    await window.tus.Upload.terminate(entry.uploadUrl, { headers: csrfHeaders() });
  } catch {
    // Already gone on the server (finished, expired or another account's): forget it anyway.
  }
  await window.tus.defaultOptions.urlStorage.removeUpload(entry.urlStorageKey);
  item.remove();
  ui.previous.hidden = ui.previousList.children.length === 0;
}

function previousItem(entry) {
  const item = document.createElement("li");
  const meta = entry.metadata || {};
  const label = document.createElement("span");
  label.textContent = `${meta.title || meta.filename || "Untitled"} (${meta.filename || "?"}, ${formatBytes(entry.size || 0)})`;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button ghost small";
  button.textContent = "Discard";
  button.addEventListener("click", () => discard(entry, item));
  item.append(label, " ", button);
  return item;
}

async function listPrevious() {
  const storage = window.tus.defaultOptions.urlStorage;
  if (!storage || !storage.findAllUploads) return;
  const entries = await storage.findAllUploads();
  const ours = entries.filter((e) => String(e.uploadUrl || "").includes(`${ENDPOINT}/`));
  ui.previousList.replaceChildren(...ours.map(previousItem));
  ui.previous.hidden = ours.length === 0;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  startUpload().catch((error) => {
    setBusy(false);
    showError(ui.error, error.message);
  });
});
ui.pause.addEventListener("click", togglePause);
form.elements.file.addEventListener("change", () => {
  const file = form.elements.file.files[0];
  if (file && !form.elements.title.value) {
    form.elements.title.value = defaultTitle(file);
    recheck();
  }
});
listPrevious();
