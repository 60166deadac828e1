// The player's one control bar: play/pause, seek bar with storyboard preview, time, volume,
// quality menu, full screen, and the keyboard shortcuts (space/k, ←/→, ↑/↓, f, m).
import { SeekBar, formatTime } from "./scrub.js";

const SEEK_STEP = 5;
const VOLUME_STEP = 0.05;
const IDLE_MS = 2500;
const VOLUME_KEY = "clipcast.volume";
// Keys the page keeps for typing: shortcuts never fire from these.
const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);

function clamp(value, low, high) {
  return Math.min(Math.max(value, low), high);
}

export class Controls {
  constructor(box, video, fallbackDuration) {
    this.box = box;
    this.video = video;
    const q = (selector) => box.querySelector(selector);
    this.ui = {
      bar: q("[data-controls]"),
      play: q("[data-play]"),
      mute: q("[data-mute]"),
      volume: q("[data-volume]"),
      current: q("[data-current]"),
      duration: q("[data-duration]"),
      quality: q("[data-quality]"),
      qualityButton: q("[data-quality-button]"),
      qualityLabel: q("[data-quality-label]"),
      qualityList: q("[data-quality-list]"),
      fullscreen: q("[data-fullscreen]"),
    };
    this.seekBar = new SeekBar(video, q("[data-scrub]"), fallbackDuration).listen();
    this.idleTimer = 0;
    this.onPickLevel = null;
  }

  show() {
    this.ui.bar.hidden = false;
  }

  hide() {
    this.ui.bar.hidden = true;
  }

  // --- actions, shared by the buttons and the keys ---

  togglePlay() {
    if (this.video.paused || this.video.ended) {
      this.video.play().catch(() => {});
    } else {
      this.video.pause();
    }
  }

  seekBy(seconds) {
    this.seekBar.seek((this.video.currentTime || 0) + seconds);
    this.wake();
  }

  setVolume(value) {
    this.video.volume = clamp(Math.round(value * 100) / 100, 0, 1);
    this.video.muted = this.video.volume === 0;
    this.wake();
  }

  toggleMute() {
    this.video.muted = !this.video.muted;
    if (!this.video.muted && this.video.volume === 0) this.video.volume = 0.5;
    this.wake();
  }

  toggleFullscreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen().catch(() => {});
    } else if (this.box.requestFullscreen) {
      this.box.requestFullscreen().catch(() => {});
    }
  }

  // --- what the bar shows ---

  renderPlay() {
    const paused = this.video.paused || this.video.ended;
    this.box.classList.toggle("is-paused", paused);
    this.ui.play.setAttribute("aria-label", paused ? "Play" : "Pause");
    this.ui.play.title = paused ? "Play (k)" : "Pause (k)";
  }

  renderVolume() {
    const silent = this.video.muted || this.video.volume === 0;
    this.box.classList.toggle("is-muted", silent);
    this.ui.mute.setAttribute("aria-label", silent ? "Unmute" : "Mute");
    this.ui.mute.title = silent ? "Unmute (m)" : "Mute (m)";
    this.ui.volume.value = String(this.video.muted ? 0 : this.video.volume);
    this.ui.volume.setAttribute("aria-valuetext", `${Math.round(this.video.muted ? 0 : this.video.volume * 100)} %`);
    try {
      window.localStorage.setItem(VOLUME_KEY, JSON.stringify({ volume: this.video.volume, muted: this.video.muted }));
    } catch {
      // Storage refused (private mode, quota): the volume just is not remembered.
    }
  }

  renderTime() {
    this.ui.current.textContent = formatTime(this.video.currentTime || 0);
    this.ui.duration.textContent = formatTime(this.seekBar.duration());
  }

  renderFullscreen() {
    const on = document.fullscreenElement === this.box;
    this.box.classList.toggle("is-fullscreen", on);
    this.ui.fullscreen.setAttribute("aria-label", on ? "Exit full screen" : "Full screen");
    this.ui.fullscreen.title = on ? "Exit full screen (f)" : "Full screen (f)";
  }

  // Hide the bar while playing and the pointer rests; any movement or key brings it back.
  wake() {
    this.box.classList.remove("is-idle");
    window.clearTimeout(this.idleTimer);
    this.idleTimer = window.setTimeout(() => {
      if (!this.video.paused && !this.box.contains(document.activeElement)) {
        this.box.classList.add("is-idle");
      }
    }, IDLE_MS);
  }

  // --- quality menu ---

  // `levels`: [{index, label}] best first; `pick(index)` switches (-1 is automatic).
  setLevels(levels, pick) {
    this.onPickLevel = pick;
    const items = [{ index: -1, label: "Auto" }, ...levels].map((level) => this.levelItem(level));
    this.ui.qualityList.replaceChildren(...items);
    this.ui.quality.hidden = levels.length < 2;
    this.markLevel(-1);
  }

  levelItem({ index, label }) {
    const item = document.createElement("li");
    item.setAttribute("role", "none");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "menu-item";
    button.setAttribute("role", "menuitemradio");
    button.dataset.level = String(index);
    button.dataset.label = label;
    button.textContent = label;
    button.addEventListener("click", () => {
      this.markLevel(index);
      this.closeMenu(true);
      if (this.onPickLevel) this.onPickLevel(index);
    });
    item.append(button);
    return item;
  }

  markLevel(index) {
    let chosen = "Auto";
    for (const button of this.ui.qualityList.querySelectorAll("[data-level]")) {
      const on = Number(button.dataset.level) === index;
      button.setAttribute("aria-checked", String(on));
      if (on) chosen = button.dataset.label;
    }
    this.ui.qualityLabel.textContent = chosen;
    this.ui.qualityButton.setAttribute("aria-label", `Quality: ${chosen}`);
  }

  // The automatic choice names the rung it is playing: "Auto (240p)".
  showAutoLevel(label) {
    const auto = this.ui.qualityList.querySelector('[data-level="-1"]');
    if (!auto) return;
    auto.textContent = label ? `Auto (${label})` : "Auto";
    if (auto.getAttribute("aria-checked") === "true") this.ui.qualityLabel.textContent = auto.textContent;
  }

  openMenu() {
    this.ui.qualityList.hidden = false;
    this.ui.qualityButton.setAttribute("aria-expanded", "true");
    const checked = this.ui.qualityList.querySelector('[aria-checked="true"]');
    if (checked) checked.focus();
  }

  closeMenu(refocus) {
    if (this.ui.qualityList.hidden) return;
    this.ui.qualityList.hidden = true;
    this.ui.qualityButton.setAttribute("aria-expanded", "false");
    if (refocus) this.ui.qualityButton.focus();
  }

  onMenuKey(event) {
    const items = [...this.ui.qualityList.querySelectorAll("[data-level]")];
    const at = items.indexOf(document.activeElement);
    const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (step) {
      event.preventDefault();
      items[(at + step + items.length) % items.length].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      this.closeMenu(true);
    }
  }

  // --- keyboard shortcuts ---

  shortcut(event) {
    const actions = {
      " ": () => this.togglePlay(),
      k: () => this.togglePlay(),
      ArrowLeft: () => this.seekBy(-SEEK_STEP),
      ArrowRight: () => this.seekBy(SEEK_STEP),
      ArrowUp: () => this.setVolume(this.video.volume + VOLUME_STEP),
      ArrowDown: () => this.setVolume(this.video.volume - VOLUME_STEP),
      f: () => this.toggleFullscreen(),
      m: () => this.toggleMute(),
    };
    return actions[event.key.length === 1 ? event.key.toLowerCase() : event.key];
  }

  onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (TYPING.has(target.tagName) || target.isContentEditable) return;
    // Space and Enter on a focused button press that button, as everywhere else.
    if (target.tagName === "BUTTON" && (event.key === " " || event.key === "Enter")) return;
    if (!this.ui.qualityList.hidden) return;
    const action = this.shortcut(event);
    if (!action) return;
    event.preventDefault();
    action();
  }

  restoreVolume() {
    try {
      const saved = JSON.parse(window.localStorage.getItem(VOLUME_KEY) || "null");
      if (saved && Number.isFinite(saved.volume)) {
        this.video.volume = clamp(saved.volume, 0, 1);
        this.video.muted = Boolean(saved.muted);
      }
    } catch {
      // Nothing usable stored: the browser's default volume.
    }
  }

  listen() {
    const { ui, video } = this;
    ui.play.addEventListener("click", () => this.togglePlay());
    video.addEventListener("click", () => this.togglePlay());
    video.addEventListener("dblclick", () => this.toggleFullscreen());
    ui.mute.addEventListener("click", () => this.toggleMute());
    ui.volume.addEventListener("input", () => this.setVolume(Number(ui.volume.value)));
    ui.fullscreen.addEventListener("click", () => this.toggleFullscreen());
    ui.qualityButton.addEventListener("click", () => {
      if (ui.qualityList.hidden) this.openMenu();
      else this.closeMenu(true);
    });
    ui.qualityList.addEventListener("keydown", (event) => this.onMenuKey(event));
    document.addEventListener("click", (event) => {
      if (!ui.quality.contains(event.target)) this.closeMenu(false);
    });
    document.addEventListener("keydown", (event) => this.onKey(event));
    document.addEventListener("fullscreenchange", () => this.renderFullscreen());
    for (const name of ["play", "pause", "ended"]) video.addEventListener(name, () => this.renderPlay());
    for (const name of ["timeupdate", "durationchange", "seeked", "emptied"]) {
      video.addEventListener(name, () => this.renderTime());
    }
    video.addEventListener("volumechange", () => this.renderVolume());
    for (const name of ["pointermove", "pointerdown", "focusin"]) this.box.addEventListener(name, () => this.wake());
    this.restoreVolume();
    this.renderPlay();
    this.renderVolume();
    this.renderTime();
    this.renderFullscreen();
    return this;
  }
}
