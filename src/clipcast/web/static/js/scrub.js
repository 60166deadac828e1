// A seek bar under the player that shows the storyboard tile of the time under the pointer.
// Native controls cannot be hooked for hover previews, so this bar seeks by itself: click or
// drag with a mouse, pen or finger, or use the arrow keys once it has focus.

const KEY_STEP_SECONDS = 5;
const TIMING = /^(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})\s+-->\s+(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})/;

function seconds(hours, minutes, secs, millis) {
  return Number(hours || 0) * 3600 + Number(minutes) * 60 + Number(secs) + Number(millis) / 1000;
}

// The cues of a WebVTT thumbnails track: `sheet.jpg#xywh=x,y,w,h`, resolved against the VTT's
// own URL (so a signed token path carries over to the sheets).
export function parseThumbnailsVtt(text, baseUrl) {
  const cues = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i += 1) {
    const timing = TIMING.exec(lines[i]);
    const target = lines[i + 1];
    if (!timing || !target) continue;
    const [href, fragment = ""] = target.trim().split("#xywh=");
    const box = fragment.split(",").map(Number);
    if (box.length !== 4 || box.some((n) => !Number.isFinite(n))) continue;
    cues.push({
      start: seconds(...timing.slice(1, 5)),
      end: seconds(...timing.slice(5, 9)),
      url: new URL(href, baseUrl).href,
      x: box[0],
      y: box[1],
      w: box[2],
      h: box[3],
    });
  }
  return cues;
}

export function cueAt(cues, time) {
  // Binary search: the last cue starting at or before `time`.
  let low = 0;
  let high = cues.length - 1;
  let found = null;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (cues[mid].start <= time) {
      found = cues[mid];
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

export function formatTime(total) {
  const whole = Math.max(0, Math.floor(total));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = String(whole % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
}

function cssUrl(url) {
  return `url("${url.replace(/["\\\n]/g, (c) => `\\${c}`)}")`;
}

class ScrubBar {
  constructor(video, root, cues, fallbackDuration) {
    this.video = video;
    this.root = root;
    this.cues = cues;
    this.fallbackDuration = fallbackDuration;
    this.track = root.querySelector("[data-scrub-track]");
    this.played = root.querySelector("[data-scrub-played]");
    this.buffered = root.querySelector("[data-scrub-buffered]");
    this.preview = root.querySelector("[data-scrub-preview]");
    this.tile = root.querySelector("[data-scrub-tile]");
    this.label = root.querySelector("[data-scrub-time]");
    this.dragging = false;
  }

  duration() {
    const own = this.video.duration;
    return Number.isFinite(own) && own > 0 ? own : this.fallbackDuration;
  }

  timeAt(clientX) {
    const rect = this.track.getBoundingClientRect();
    const fraction = Math.min(Math.max((clientX - rect.left) / rect.width, 0), 1);
    return { fraction, time: fraction * this.duration(), rect };
  }

  show(clientX) {
    const { fraction, time, rect } = this.timeAt(clientX);
    const cue = cueAt(this.cues, time);
    if (cue) {
      this.tile.style.width = `${cue.w}px`;
      this.tile.style.height = `${cue.h}px`;
      this.tile.style.backgroundImage = cssUrl(cue.url);
      this.tile.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    }
    this.tile.hidden = !cue;
    this.label.textContent = formatTime(time);
    this.preview.hidden = false;
    // Centre the preview on the pointer, kept inside the bar.
    const half = this.preview.offsetWidth / 2;
    const left = Math.min(Math.max(fraction * rect.width, half), rect.width - half);
    this.preview.style.left = `${left}px`;
    return time;
  }

  hide() {
    if (!this.dragging) this.preview.hidden = true;
  }

  seek(time) {
    if (Number.isFinite(time)) this.video.currentTime = time;
    this.render();
  }

  render() {
    const total = this.duration();
    const now = this.video.currentTime || 0;
    this.played.style.width = `${total ? (100 * now) / total : 0}%`;
    const ranges = this.video.buffered;
    const end = ranges.length ? ranges.end(ranges.length - 1) : 0;
    this.buffered.style.width = `${total ? Math.min(100, (100 * end) / total) : 0}%`;
    this.track.setAttribute("aria-valuemax", String(Math.round(total)));
    this.track.setAttribute("aria-valuenow", String(Math.round(now)));
    this.track.setAttribute("aria-valuetext", `${formatTime(now)} of ${formatTime(total)}`);
  }

  onKey(event) {
    const moves = { ArrowLeft: -KEY_STEP_SECONDS, ArrowRight: KEY_STEP_SECONDS };
    if (event.key in moves) {
      event.preventDefault();
      this.seek(Math.min(Math.max(this.video.currentTime + moves[event.key], 0), this.duration()));
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      this.seek(event.key === "Home" ? 0 : this.duration());
    }
  }

  listen() {
    const { track } = this;
    track.addEventListener("pointermove", (event) => {
      const time = this.show(event.clientX);
      if (this.dragging) this.seek(time);
    });
    track.addEventListener("pointerleave", () => this.hide());
    track.addEventListener("pointerdown", (event) => {
      this.dragging = true;
      track.setPointerCapture(event.pointerId);
      this.seek(this.show(event.clientX));
    });
    const stop = () => {
      this.dragging = false;
      this.hide();
    };
    track.addEventListener("pointerup", stop);
    track.addEventListener("pointercancel", stop);
    track.addEventListener("keydown", (event) => this.onKey(event));
    for (const name of ["timeupdate", "progress", "durationchange", "seeked"]) {
      this.video.addEventListener(name, () => this.render());
    }
    this.render();
  }
}

// Fetch the storyboard and show the bar; without a usable storyboard the bar stays hidden
// and the native controls alone seek.
export async function attachScrub(video, root, storyboard, fallbackDuration) {
  if (!root || !storyboard || root.dataset.attached) return false;
  root.dataset.attached = "1";
  try {
    const response = await fetch(storyboard.vtt_url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`storyboard: ${response.status}`);
    const cues = parseThumbnailsVtt(await response.text(), response.url || storyboard.vtt_url);
    if (!cues.length) throw new Error("storyboard: no cues");
    new ScrubBar(video, root, cues, fallbackDuration || 0).listen();
    root.hidden = false;
    return true;
  } catch {
    delete root.dataset.attached; // a blip: a later poll may try again
    return false;
  }
}
