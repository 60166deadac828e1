// The go-live page: create the stream (metadata first, so it is found at once; then the
// optional poster), capture the camera or a screen, record it with MediaRecorder and send the
// recording over the ingest WebSocket as it is made. A dropped connection reconnects with a
// new recorder (a new feed: the server marks the gap). The server's status messages say how
// it goes: each published clip, warnings, and the reason when it refuses the feed.
import { api, csrfHeaders, showError } from "./api.js";
import { splitTags, watchLimits } from "./limits.js";
import { chosenGroups, watchAudience } from "./audience.js";

const TIMESLICE_MS = 100; // small pieces: each adds its length to the latency
const KEYFRAME_MS = 2000; // one keyframe per clip (VP8 would default to ~3.4 s)
const FATAL = new Set([1003, 1008, 1009, 4409, 4410]); // reconnecting would not help

const form = document.getElementById("go-live-form");
const ui = {
  error: form.querySelector("[data-error]"),
  start: form.querySelector("[data-start]"),
  onAir: document.querySelector("[data-on-air]"),
  preview: document.querySelector("[data-preview]"),
  state: document.querySelector("[data-feed-state]"),
  clips: document.querySelector("[data-clips]"),
  viewers: document.querySelector("[data-viewers]"),
  warning: document.querySelector("[data-warning]"),
  watch: document.querySelector("[data-watch-link]"),
  end: document.querySelector("[data-end]"),
  ended: document.querySelector("[data-ended]"),
  vod: document.querySelector("[data-vod-link]"),
  key: document.querySelector("[data-key]"),
  command: document.querySelector("[data-ffmpeg-command]"),
};
watchLimits(form);
watchAudience(form);

let stream = null;
let media = null;
let socket = null;
let recorder = null;
let ending = false;
let clips = 0;

function recorderOptions() {
  const types = ["video/webm;codecs=h264,opus", "video/webm;codecs=vp8,opus", "video/webm"];
  const mimeType = types.find((t) => MediaRecorder.isTypeSupported(t)) || "";
  return {
    mimeType,
    videoBitsPerSecond: 2_500_000,
    audioBitsPerSecond: 128_000,
    videoKeyFrameIntervalDuration: KEYFRAME_MS,
  };
}

async function capture(source) {
  if (source === "screen") {
    return navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 30 }, audio: true });
  }
  return navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
    audio: true,
  });
}

async function createStream(data) {
  return api("/api/v1/streams", {
    method: "POST",
    json: {
      title: data.get("title").trim(),
      description: data.get("description"),
      tags: splitTags(data.get("tags")),
      visibility: data.get("visibility"),
      groups: chosenGroups(form),
    },
  });
}

async function sendPoster(file) {
  if (!file || !file.size) return;
  const response = await fetch(`/api/v1/videos/${stream.id}/poster`, {
    method: "PUT",
    headers: { ...csrfHeaders(), "Content-Type": file.type || "application/octet-stream" },
    credentials: "same-origin",
    body: file,
  });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    ui.warning.hidden = false;
    ui.warning.textContent = `The poster was not kept: ${body?.error?.message ?? response.status}`;
  }
}

function setState(text) {
  ui.state.textContent = text;
}

function connect() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${window.location.host}/api/v1/streams/${stream.id}/ingest`);
  socket.binaryType = "arraybuffer";
  socket.addEventListener("open", () => {
    setState("Connected: sending…");
    recorder = new MediaRecorder(media, recorderOptions());
    recorder.addEventListener("dataavailable", ({ data }) => {
      if (data.size && socket.readyState === WebSocket.OPEN) socket.send(data);
    });
    recorder.start(TIMESLICE_MS);
  });
  socket.addEventListener("message", ({ data }) => onMessage(JSON.parse(data)));
  socket.addEventListener("close", ({ code }) => {
    if (recorder && recorder.state !== "inactive") recorder.stop();
    if (ending) return;
    if (FATAL.has(code)) {
      setState("The server stopped the feed.");
      return;
    }
    setState("Connection lost: reconnecting…");
    setTimeout(connect, 1000);
  });
}

function onMessage(message) {
  if (message.type === "ready") {
    setState(message.mode === "copy" ? "Live (sent as is)" : "Live (encoded by the server)");
  } else if (message.type === "clip") {
    clips += 1;
    ui.clips.textContent = String(clips);
    if (typeof message.viewers === "number") ui.viewers.textContent = String(message.viewers);
    document.body.dataset.liveClips = String(clips);
  } else if (message.type === "warning") {
    ui.warning.hidden = false;
    ui.warning.textContent = message.message;
  } else if (message.type === "error") {
    ui.warning.hidden = false;
    ui.warning.textContent = message.message;
  }
}

async function endStream() {
  ending = true;
  ui.end.disabled = true;
  setState("Ending…");
  if (recorder && recorder.state !== "inactive") recorder.stop();
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "end" }));
  for (const track of media.getTracks()) track.stop();
  await api(`/api/v1/streams/${stream.id}/end`, { method: "POST" });
  ui.onAir.hidden = true;
  ui.ended.hidden = false;
  ui.vod.href = `/watch/${stream.id}`;
}

function showEncoderHelp() {
  ui.key.textContent = stream.stream_key;
  const server = window.location.origin;
  ui.command.textContent =
    "ffmpeg -re -i INPUT -c:v libx264 -preset veryfast -tune zerolatency -g 60 \\\n" +
    '  -force_key_frames "expr:gte(t,n_forced*2)" -c:a aac \\\n' +
    "  -f mpegts -muxdelay 0 -muxpreload 0 - \\\n" +
    `  | clipcast live push ${stream.id} --key ${stream.stream_key} --server ${server}`;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  ui.error.hidden = true;
  ui.start.disabled = true;
  const data = new FormData(form);
  try {
    media = await capture(data.get("source"));
    stream = await createStream(data);
    await sendPoster(data.get("poster"));
  } catch (error) {
    ui.start.disabled = false;
    if (media) for (const track of media.getTracks()) track.stop();
    showError(ui.error, error.message || String(error));
    return;
  }
  form.hidden = true;
  ui.onAir.hidden = false;
  ui.preview.srcObject = media;
  ui.watch.href = `/live/${stream.id}`;
  document.body.dataset.streamId = stream.id;
  showEncoderHelp();
  connect();
});

ui.end.addEventListener("click", () => {
  endStream().catch((error) => showError(ui.warning, error.message));
});
