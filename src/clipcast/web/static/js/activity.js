// What the watch page reports: each 2-s clip as it plays, the position when the page is left
// (navigator.sendBeacon, which survives the page closing), likes and comment votes; and where
// the viewer left off, to resume there. Self-contained: `initActivity(video, player)` with the
// page's video data and its <video> element; it returns { react, voteComment, flush }.
//
// Events carry an id of their own and the time they happened, so a batch retried after a
// network error counts once, and the server orders writes by when they were made.

const ENDPOINT = "/api/v1/activity";
const CLIP_SECONDS = 2;
const FLUSH_MS = 10_000;
const FLUSH_AT = 20; // events queued
const MAX_BATCH = 200;
const CSRF_COOKIE = "clipcast_csrf";
const RESUME_MIN_SECONDS = 5;
const RESUME_MAX_PROGRESS = 0.95;

function csrfToken() {
  const prefix = `${CSRF_COOKIE}=`;
  const entry = document.cookie.split("; ").find((part) => part.startsWith(prefix));
  return entry ? decodeURIComponent(entry.slice(prefix.length)) : "";
}

function randomPrefix() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

class Reporter {
  constructor(videoId) {
    this.videoId = videoId;
    this.queue = [];
    this.prefix = randomPrefix();
    this.count = 0;
    this.clockOffset = 0; // server time − our time, learnt from the Date header
    this.pausedUntil = 0; // after a 429, until Retry-After has passed
    this.chain = Promise.resolve(); // flushes run one after another, none is skipped
    this.refused = new Map(); // event id -> the server's reason, for refused batches
  }

  now() {
    return Date.now() + this.clockOffset;
  }

  add(type, fields = {}) {
    this.count += 1;
    const event = { id: `${this.prefix}-${this.count}`, type, video_id: this.videoId };
    this.queue.push(Object.assign(event, fields, { ts: this.now() }));
    if (this.queue.length >= FLUSH_AT) this.flush();
    return event.id;
  }

  // Sends what is queued; resolves once the server has answered for it (or could not be
  // reached: then the events stay queued, with their ids, for the next flush).
  flush() {
    this.chain = this.chain.then(() => this.send());
    return this.chain;
  }

  async send() {
    while (this.queue.length && Date.now() >= this.pausedUntil) {
      const batch = this.queue.slice(0, MAX_BATCH);
      let response;
      try {
        response = await fetch(ENDPOINT, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
          body: JSON.stringify({ events: batch }),
        });
      } catch {
        return; // offline or the server restarting: the same events go again next time
      }
      this.learnClock(response);
      if (!(await this.settle(response, batch))) return;
    }
  }

  async settle(response, batch) {
    if (response.status === 429) {
      const wait = Number(response.headers.get("Retry-After")) || 10;
      this.pausedUntil = Date.now() + wait * 1000;
      return false;
    }
    if (!response.ok && (response.status < 400 || response.status >= 500)) return false;
    if (!response.ok) {
      // Refused for good (nothing about it will change): dropped, its reason kept.
      const body = await response.json().catch(() => null);
      const reason = (body && body.error && body.error.message) || `refused (${response.status})`;
      for (const event of batch) this.refused.set(event.id, reason);
    }
    // By id: a beacon may have emptied the queue meanwhile, and newer events may follow.
    const done = new Set(batch.map((event) => event.id));
    this.queue = this.queue.filter((event) => !done.has(event.id));
    return true;
  }

  // Adds an event and sends it now; throws with the server's reason if it was refused.
  async sendNow(type, fields) {
    const id = this.add(type, fields);
    await this.flush();
    if (this.refused.has(id)) throw new Error(this.refused.get(id));
    if (this.queue.some((event) => event.id === id)) throw new Error("Not sent yet: offline?");
  }

  learnClock(response) {
    const date = Date.parse(response.headers.get("Date") || "");
    if (!Number.isNaN(date)) this.clockOffset = date - Date.now();
  }

  beacon() {
    // The page is going away: one last batch that the browser sends even after it closes.
    // text/plain keeps it a simple request everywhere; the server reads the body as JSON and
    // a signed-in viewer's CSRF token rides inside it (a beacon cannot set headers).
    if (!this.queue.length || !navigator.sendBeacon) return;
    const body = JSON.stringify({ events: this.queue.slice(0, MAX_BATCH), csrf: csrfToken() });
    if (navigator.sendBeacon(ENDPOINT, new Blob([body], { type: "text/plain;charset=UTF-8" }))) {
      this.queue = [];
    }
  }
}

// Counts a clip once it has played for real: a second of it (or all of a shorter last clip)
// while playing, not while seeking across it.
class ClipWatcher {
  constructor(player, duration, onClip) {
    this.player = player;
    this.duration = duration;
    this.onClip = onClip;
    this.reported = new Set();
    this.clip = -1;
    this.played = 0;
    this.last = null;
  }

  tick() {
    const time = this.player.currentTime;
    const clip = Math.floor(time / CLIP_SECONDS);
    // At the very end (currentTime == duration, often a little past the stored length) the
    // index is one past the last clip: the server refuses such a batch whole, so never add it.
    if (clip >= this.clips()) return;
    if (clip !== this.clip) {
      this.clip = clip;
      this.played = 0;
    } else if (this.last !== null && !this.player.paused && !this.player.seeking) {
      const step = time - this.last;
      if (step > 0 && step < 1.5) this.played += step;
    }
    this.last = time;
    if (this.played >= this.needed(clip) && !this.reported.has(clip)) {
      this.reported.add(clip);
      this.onClip(clip);
    }
  }

  clips() {
    // As the server counts them (rules.clip_count); unknown length: no limit here.
    if (!this.duration) return Infinity;
    return Math.max(1, Math.ceil(this.duration / CLIP_SECONDS - 1e-9));
  }

  needed(clip) {
    const length = Math.min(CLIP_SECONDS, Math.max(0, (this.duration || 0) - clip * CLIP_SECONDS));
    return Math.min(1, length * 0.9);
  }

  seeked() {
    this.last = null;
    this.played = 0;
  }
}

function resolution(player) {
  return Math.min(player.videoWidth || 0, player.videoHeight || 0);
}

async function resume(videoId, player) {
  let state = null;
  try {
    const response = await fetch(`/api/v1/me/history/${encodeURIComponent(videoId)}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (response.ok) state = await response.json();
  } catch {
    return;
  }
  const position = state && state.position;
  if (!position || position < RESUME_MIN_SECONDS || state.progress >= RESUME_MAX_PROGRESS) return;
  const seek = () => {
    if (player.currentTime < 1) player.currentTime = position; // unless they already moved
  };
  if (player.readyState >= 1) seek();
  else player.addEventListener("loadedmetadata", seek, { once: true });
}

export function initActivity(video, player) {
  if (!video || !player || player.dataset.activity === "on") return null;
  player.dataset.activity = "on";
  const reporter = new Reporter(video.id);
  const watcher = new ClipWatcher(player, video.duration, (clip) => {
    reporter.add("clip_view", { clip, resolution: resolution(player) });
  });
  player.addEventListener("timeupdate", () => watcher.tick());
  player.addEventListener("seeking", () => watcher.seeked());
  const leave = () => {
    reporter.add("page_leave", { position: player.currentTime || 0 });
    reporter.beacon();
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") leave();
  });
  window.addEventListener("pagehide", leave);
  window.setInterval(() => reporter.flush(), FLUSH_MS);
  resume(video.id, player);
  return {
    // kind: "like", "dislike" or "clear" (signed-in viewers only); sent at once, and the
    // promise rejects with the server's reason if it was refused.
    react: (kind) => reporter.sendNow(kind, {}),
    voteComment(commentId, kind) {
      const type = kind === "clear" ? "clear" : `comment_${kind}`;
      return reporter.sendNow(type, { comment_id: commentId });
    },
    flush: () => reporter.flush(),
  };
}

// On the watch page it starts by itself; other modules use window.clipcastActivity (a second
// initActivity on the same player returns null).
const player = document.getElementById("player");
const data = document.getElementById("video-data");
if (player && data) {
  window.clipcastActivity = initActivity(JSON.parse(data.textContent), player);
}
