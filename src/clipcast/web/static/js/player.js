// The watch page: hls.js on MSE with a quality picker, native HLS where MSE is missing, and
// a poll of the API while the video is still processing (it starts playing once playable).
// The poster and the storyboard's scrub bar come with the thumbnails, shortly after `ready`.
import { api } from "./api.js";
import { attachScrub } from "./scrub.js";

const POLL_MS = 2000;
// Thumbnails are made after the video is ready: a page that saw it processing, or opened just
// after, keeps asking a little while for them.
const THUMBNAIL_POLLS = 15;
const FRESH_MS = 5 * 60 * 1000;
const video = document.getElementById("player");
const picker = document.getElementById("quality");
const ui = {
  wait: document.querySelector("[data-wait]"),
  waitText: document.querySelector("[data-wait-text]"),
  waitProgress: document.querySelector("[data-wait-progress]"),
  waitPercent: document.querySelector("[data-wait-percent]"),
  still: document.querySelector("[data-still-processing]"),
  stillPercent: document.querySelector("[data-still-percent]"),
  failure: document.querySelector("[data-failure]"),
};
const scrub = document.querySelector("[data-scrub]");
let data = JSON.parse(document.getElementById("video-data").textContent);
let started = false;
let thumbnailPolls = 0;
const expectThumbnails =
  data.state !== "ready" || Date.now() - Date.parse(data.updated_at) < FRESH_MS;

function option(value, label) {
  const element = document.createElement("option");
  element.value = String(value);
  element.textContent = label;
  return element;
}

function levelLabel(level) {
  // Name a level like its rendition (the ladder's "720p"), matched on its picture size.
  const match = data.renditions.find((r) => r.width === level.width && r.height === level.height);
  return `${match ? match.resolution : level.height}p`;
}

function buildPicker(hls) {
  const levels = hls.levels
    .map((level, index) => ({ level, index }))
    .filter(({ level }) => level.height > 0)
    .sort((a, b) => b.level.height - a.level.height);
  picker.replaceChildren(option(-1, "Auto"), ...levels.map(({ level, index }) => option(index, levelLabel(level))));
  picker.value = "-1";
  picker.disabled = false;
  picker.addEventListener("change", () => {
    hls.currentLevel = Number(picker.value);
  });
  hls.on(window.Hls.Events.LEVEL_SWITCHED, (_event, { level }) => {
    const auto = picker.querySelector('option[value="-1"]');
    auto.textContent = hls.autoLevelEnabled ? `Auto (${levelLabel(hls.levels[level])})` : "Auto";
  });
}

function onHlsError(hls, details) {
  if (!details.fatal) return;
  const { ErrorTypes } = window.Hls;
  if (details.type === ErrorTypes.NETWORK_ERROR) {
    hls.startLoad();
  } else if (details.type === ErrorTypes.MEDIA_ERROR) {
    hls.recoverMediaError();
  } else {
    hls.destroy();
    showWait("This video cannot be played here.", null);
  }
}

function attachHls(source) {
  const { Hls } = window;
  // startPosition 0: a video still being encoded has growing EVENT playlists, which hls.js
  // would otherwise join at the newest clip, as it does a live stream.
  const hls = new Hls({ enableWorker: true, startPosition: 0 });
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    buildPicker(hls);
    video.play().catch(() => {
      // Autoplay was refused (no user gesture yet): the controls are there to start it.
    });
  });
  hls.on(Hls.Events.ERROR, (_event, details) => onHlsError(hls, details));
  hls.loadSource(source);
  hls.attachMedia(video);
}

function attachNative(source) {
  picker.replaceChildren(option(-1, "Auto"));
  picker.disabled = true;
  video.src = source;
  video.play().catch(() => {});
}

function startPlayer() {
  if (started || !data.playable || !data.playback.hls) return;
  started = true;
  ui.wait.hidden = true;
  video.hidden = false;
  if (window.Hls && window.Hls.isSupported()) {
    attachHls(data.playback.hls);
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    attachNative(data.playback.hls);
  } else {
    showWait("This browser cannot play HLS video.", null);
  }
}

function showWait(text, progress) {
  video.hidden = true;
  ui.wait.hidden = false;
  ui.waitText.textContent = text;
  ui.waitProgress.hidden = progress === null;
  ui.waitPercent.hidden = progress === null;
  if (progress !== null) {
    ui.waitProgress.value = progress;
    ui.waitPercent.textContent = `${progress} %`;
  }
}

function showThumbnails() {
  const { poster, storyboard } = data.thumbnails || {};
  if (poster && !video.getAttribute("poster")) video.poster = poster.player.url;
  if (storyboard && data.playable) attachScrub(video, scrub, storyboard, data.duration);
}

function waitingForThumbnails() {
  const thumbs = data.thumbnails || {};
  return (
    expectThumbnails &&
    data.state === "ready" &&
    !thumbs.storyboard &&
    thumbnailPolls < THUMBNAIL_POLLS
  );
}

function shouldPoll() {
  return data.state === "uploading" || data.state === "processing" || waitingForThumbnails();
}

function render() {
  showThumbnails();
  ui.failure.textContent = data.failure_reason || "";
  ui.failure.hidden = !data.failure_reason;
  ui.still.hidden = !(data.state === "processing" && data.playable);
  ui.stillPercent.textContent = String(data.progress);
  if (data.playable) {
    startPlayer();
  } else if (data.state === "failed") {
    showWait("Processing failed.", null);
  } else {
    showWait("Processing… the video plays as soon as its first clips are ready.", data.progress);
  }
}

async function poll() {
  if (data.state === "ready") thumbnailPolls += 1;
  try {
    data = await api(`/api/v1/videos/${encodeURIComponent(data.id)}`);
    render();
  } catch {
    // A blip (server restarting, network): try again on the next tick.
  }
  if (shouldPoll()) window.setTimeout(poll, POLL_MS);
}

render();
if (shouldPoll()) window.setTimeout(poll, POLL_MS);
