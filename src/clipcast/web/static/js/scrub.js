// The player's seek bar: click or drag with a mouse, pen or finger, or use the keys once it has
// focus. Hovering shows the time under the pointer and, once the storyboard is loaded, its tile.

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

export class SeekBar {
  constructor(video, root, fallbackDuration) {
    this.video = video;
    this.root = root;
    this.cues = [];
    this.fallbackDuration = fallbackDuration || 0;
    this.track = root.querySelector("[data-scrub-track]");
    this.played = root.querySelector("[data-scrub-played]");
    this.buffered = root.querySelector("[data-scrub-buffered]");
    this.preview = root.querySelector("[data-scrub-preview]");
    this.tile = root.querySelector("[data-scrub-tile]");
    this.label = root.querySelector("[data-scrub-time]");
    this.dragging = false;
    this.storyboard = null;
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

  showTile(time) {
    const cue = cueAt(this.cues, time);
    if (cue) {
      this.tile.style.width = `${cue.w}px`;
      this.tile.style.height = `${cue.h}px`;
      this.tile.style.backgroundImage = cssUrl(cue.url);
      this.tile.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    }
    this.tile.hidden = !cue;
  }

  show(clientX) {
    const { fraction, time, rect } = this.timeAt(clientX);
    this.showTile(time);
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
    if (Number.isFinite(time)) this.video.currentTime = Math.min(Math.max(time, 0), this.duration());
    this.render();
  }

  render() {
    const total = this.duration();
    const now = this.video.currentTime || 0;
    this.played.style.width = `${total ? Math.min(100, (100 * now) / total) : 0}%`;
    const ranges = this.video.buffered;
    const end = ranges.length ? ranges.end(ranges.length - 1) : 0;
    this.buffered.style.width = `${total ? Math.min(100, (100 * end) / total) : 0}%`;
    this.track.setAttribute("aria-valuemax", String(Math.round(total)));
    this.track.setAttribute("aria-valuenow", String(Math.round(now)));
    this.track.setAttribute("aria-valuetext", `${formatTime(now)} of ${formatTime(total)}`);
  }

  onKey(event) {
    // The arrows are the player's shortcuts (they seek wherever the focus is); the slider adds
    // Home, End and the page keys.
    const moves = { PageUp: 10 * KEY_STEP_SECONDS, PageDown: -10 * KEY_STEP_SECONDS };
    if (event.key in moves) {
      event.preventDefault();
      this.seek(this.video.currentTime + moves[event.key]);
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
    for (const name of ["timeupdate", "progress", "durationchange", "seeked", "emptied"]) {
      this.video.addEventListener(name, () => this.render());
    }
    this.render();
    return this;
  }

  // Load the storyboard's cues; until then (or without one) the preview shows the time alone.
  async useStoryboard(storyboard) {
    if (!storyboard || this.storyboard === storyboard.vtt_url) return this.cues.length > 0;
    this.storyboard = storyboard.vtt_url;
    try {
      const response = await fetch(storyboard.vtt_url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`storyboard: ${response.status}`);
      const cues = parseThumbnailsVtt(await response.text(), response.url || storyboard.vtt_url);
      if (!cues.length) throw new Error("storyboard: no cues");
      this.cues = cues;
      this.root.dataset.storyboard = "1";
      return true;
    } catch {
      this.storyboard = null; // a blip: a later poll may try again
      return false;
    }
  }
}
