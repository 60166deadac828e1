// The watch page: hls.js on MSE (its levels feed the quality menu), native HLS where MSE is
// missing, and a poll of the API while the video is still processing (it starts playing once
// playable). The poster and the storyboard's previews come with the thumbnails, after `ready`.
import { api } from "./api.js";
import { Controls } from "./controls.js";

const POLL_MS = 2000;
// Thumbnails are made after the video is ready: a page that saw it processing, or opened just
// after, keeps asking a little while for them.
const THUMBNAIL_POLLS = 15;
const FRESH_MS = 5 * 60 * 1000;
const video = document.getElementById("player");
const ui = {
  wait: document.querySelector("[data-wait]"),
  waitText: document.querySelector("[data-wait-text]"),
  waitProgress: document.querySelector("[data-wait-progress]"),
  waitPercent: document.querySelector("[data-wait-percent]"),
  still: document.querySelector("[data-still-processing]"),
  stillPercent: document.querySelector("[data-still-percent]"),
  failure: document.querySelector("[data-failure]"),
};
let data = JSON.parse(document.getElementById("video-data").textContent);
const controls = new Controls(document.querySelector("[data-player]"), video, data.duration).listen();
let started = false;
let thumbnailPolls = 0;
const expectThumbnails =
  data.state !== "ready" || Date.now() - Date.parse(data.updated_at) < FRESH_MS;

function levelLabel(level) {
  // Name a level like its rendition (the ladder's "720p"), matched on its picture size.
  const match = data.renditions.find((r) => r.width === level.width && r.height === level.height);
  return `${match ? match.resolution : level.height}p`;
}

function offerLevels(hls) {
  const levels = hls.levels
    .map((level, index) => ({ level, index }))
    .filter(({ level }) => level.height > 0)
    .sort((a, b) => b.level.height - a.level.height)
    .map(({ level, index }) => ({ index, label: levelLabel(level) }));
  controls.setLevels(levels, (index) => {
    hls.currentLevel = index;
  });
  hls.on(window.Hls.Events.LEVEL_SWITCHED, (_event, { level }) => {
    controls.showAutoLevel(hls.autoLevelEnabled ? levelLabel(hls.levels[level]) : "");
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
    offerLevels(hls);
    video.play().catch(() => {
      // Autoplay was refused (no user gesture yet): the play button is there to start it.
    });
  });
  hls.on(Hls.Events.ERROR, (_event, details) => onHlsError(hls, details));
  hls.loadSource(source);
  hls.attachMedia(video);
}

function attachNative(source) {
  // Safari's own HLS picks the rung itself: there is no menu to offer.
  controls.setLevels([], null);
  video.src = source;
  video.play().catch(() => {});
}

function startPlayer() {
  if (started || !data.playable || !data.playback.hls) return;
  started = true;
  ui.wait.hidden = true;
  video.hidden = false;
  controls.show();
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
  controls.hide();
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
  if (storyboard) controls.seekBar.useStoryboard(storyboard);
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
