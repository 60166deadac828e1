// The live watch page: starts the pointer-walking player and shows what it reports: the
// latency (seconds from the camera to this screen), a "Go to live" button when playback has
// fallen behind, the viewer count, and interruptions. `?player=hls` uses hls.js instead.
import { LivePlayer } from "./live_player.js";

const root = document.querySelector("[data-live-watch]");
const video = document.getElementById("live-player");
const ui = {
  state: root.querySelector("[data-live-state]"),
  play: root.querySelector("[data-live-play]"),
  mute: root.querySelector("[data-live-mute]"),
  badge: root.querySelector("[data-live-badge]"),
  latency: root.querySelector("[data-live-latency]"),
  edge: root.querySelector("[data-live-edge]"),
  viewers: root.querySelector("[data-live-viewers]"),
  viewerCount: root.querySelector("[data-live-viewer-count]"),
};
const STATES = {
  waiting: "Waiting for the stream to start…",
  reconnecting: "Connection lost: reconnecting…",
  interrupted: "The stream is interrupted; it continues when the streamer is back.",
  playing: "",
};

const stream = root.dataset.stream;
const params = new URLSearchParams(window.location.search);
const player = new LivePlayer(video, {
  currentUrl: `/api/v1/streams/${stream}/current`,
  forceHls: params.get("player") === "hls",
});
window.livePlayer = player; // for the chat feature and for measurements

player.addEventListener("status", ({ detail }) => {
  root.dataset.state = detail.state;
  if (detail.state === "ended") {
    ui.state.replaceChildren("The stream has ended. ");
    const link = document.createElement("a");
    link.href = `/watch/${stream}`;
    link.textContent = "Watch the recording";
    ui.state.append(link);
  } else if (detail.state === "failed") {
    ui.state.textContent = detail.message;
  } else {
    ui.state.textContent = STATES[detail.state] ?? "";
  }
  ui.state.hidden = !ui.state.textContent;
});

player.addEventListener("stats", ({ detail }) => {
  const { latency, target, viewers } = detail;
  ui.latency.textContent = latency === null ? "" : `${latency.toFixed(1)} s`;
  const behind = latency !== null && latency > target + 1.5;
  ui.badge.classList.toggle("behind", behind || video.paused);
  ui.edge.hidden = !(behind || video.paused);
  if (typeof viewers === "number") {
    ui.viewers.hidden = false;
    ui.viewerCount.textContent = String(viewers);
  }
});

ui.edge.addEventListener("click", () => player.goLive());
ui.play.addEventListener("click", () => {
  if (video.paused) {
    player.goLive();
  } else {
    player.pause();
  }
});
video.addEventListener("play", () => {
  ui.play.textContent = "Pause";
  ui.play.setAttribute("aria-label", "Pause");
});
video.addEventListener("pause", () => {
  ui.play.textContent = "Play";
  ui.play.setAttribute("aria-label", "Play");
});
ui.mute.addEventListener("click", () => {
  video.muted = !video.muted;
  ui.mute.textContent = video.muted ? "Unmute" : "Mute";
  ui.mute.setAttribute("aria-label", ui.mute.textContent);
});

player.start().catch((error) => {
  ui.state.hidden = false;
  ui.state.textContent = error.message;
});
