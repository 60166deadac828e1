// The live player: asks the service once for the current clip document, then walks clip
// documents and clips on the CDN, each document naming the next one's URL and when it is due.
// It fetches the next document at that moment (a few quick retries if it is a little late,
// never a hard poll), appends each clip to Media Source Extensions, and holds playback a
// set distance behind the live edge. A network loss asks `current` again and jumps to the
// live edge. Where MSE is missing it falls back to HLS (the browser's own, or hls.js).
//
// Events (a LivePlayer is an EventTarget):
//   "status"  {state: "waiting"|"playing"|"reconnecting"|"interrupted"|"ended", vod?}
//   "stats"   {latency, buffer, index, viewers, resolution} four times a second
//   "document" {document}: every clip document as it arrives (its `chat` array included),
//             the seam the chat feature hooks into: it shows a message when `position()`
//             reaches the message's clip and offset.

const RETRY_MS = 50; // a document not there yet: ask again this soon, then less often
const RETRY_MAX_MS = 1000;
const PATIENCE_CLIPS = 4; // late by this many clips: ask `current` where the edge is
const KEEP_BEHIND_S = 30; // media kept behind the playhead (memory stays bounded)
// Where a join starts: this far behind "clip published", on the clip documents' wall clock.
const EDGE_MARGIN_S = 0.25;
// Then the distance is held by what matters for stalls: the media left in the buffer when a
// clip arrives, as it would have been had the clip come when due ("slack"). It is held a
// little above how late clips have been coming (the 90th percentile of the last LATE_KEPT),
// by playing a few percent slower or faster: on a quiet network and server, a tenth of a
// second; when clips come late, as much more as needed to play on without stalls.
const SLACK_FLOOR_S = 0.1;
const SLACK_BAND_S = 0.2; // above the wanted slack by more than this: a little faster
const LATE_KEPT = 15; // 30 s of clips
const JUMP_BEHIND_S = 3; // further behind than target + this: jump instead of speeding up

export class LivePlayer extends EventTarget {
  constructor(video, { currentUrl, hlsConfig = null, forceHls = false } = {}) {
    super();
    this.video = video;
    this.currentUrl = currentUrl;
    this.hlsConfig = hlsConfig;
    this.forceHls = forceHls;
    this.running = false;
    this.spans = []; // [{start, end, pdt (ms, server clock), index, mediaStart}]
    this.skew = null; // local clock minus server clock, ms (upper bound, the smallest delay seen)
    this.clipSeconds = 2;
    this.target = 2 + EDGE_MARGIN_S;
    this.rendition = null;
    this.initKey = null;
    this.bandwidth = 0;
    this.lastDoc = null;
    this.viewers = null;
    this.hls = null;
    this.lates = []; // seconds each recent clip came after it was due
    this.slack = null; // the latest clip's slack, as if it had come when due
  }

  async start() {
    this.running = true;
    // Joining fast: the Media Source opens while `current` is asked, and the first document
    // is fetched while it opens.
    const mse = !this.forceHls && this._mseUsable();
    const opening = mse ? this._openSource() : null;
    const current = await this._current();
    if (mse) {
      const first = this._document(current.document);
      first.catch(() => {}); // a failure is handled where it is awaited, in the walk
      this._walk(current.document, opening, first).catch((error) => this._fail(error));
    } else {
      this._fallback(current);
    }
    this._statsTimer = setInterval(() => this._tick(), 250);
  }

  stop() {
    this.running = false;
    clearInterval(this._statsTimer);
    if (this.hls) this.hls.destroy();
  }

  // Where playback is: the clip index and the offset in it (seconds), for in-step chat.
  position() {
    const t = this.video.currentTime;
    const span = this.spans.find((s) => s.start <= t && t < s.end);
    return span ? { index: span.index, offset: t - span.start } : null;
  }

  // Seconds from capture to screen, on the server's clock.
  latency() {
    const t = this.video.currentTime;
    const span = this.spans.find((s) => s.start <= t && t < s.end + 0.05);
    if (!span || this.skew === null) return null;
    const shown = span.pdt + (t - span.start) * 1000;
    return (Date.now() - this.skew - shown) / 1000;
  }

  pause() {
    this._userPaused = true;
    this.video.pause();
  }

  goLive() {
    this._userPaused = false;
    this.slack = null;
    const end = this._bufferedEnd();
    if (end === null) return;
    const latency = this.latency();
    const behind = latency === null ? 0 : Math.max(0, latency - this.target);
    this.video.currentTime = Math.min(end - 0.1, this.video.currentTime + behind);
    this.video.playbackRate = 1;
    this.video.play().catch(() => {});
  }

  // ----- the walk -----

  async _current() {
    for (let wait = 500; ; wait = Math.min(wait * 2, 5000)) {
      try {
        const sent = Date.now();
        const response = await fetch(this.currentUrl, { cache: "no-store", credentials: "same-origin" });
        if (response.ok) {
          const body = await response.json();
          this._observeSkew((sent + Date.now()) / 2, Date.parse(body.server_time));
          this.clipSeconds = body.clip_seconds;
          this.target = body.clip_seconds + EDGE_MARGIN_S;
          return body;
        }
        if (response.status === 404) throw new Error("This stream does not exist.");
      } catch (error) {
        if (error.message === "This stream does not exist.") throw error;
      }
      this._status("reconnecting");
      await sleep(wait);
    }
  }

  async _walk(firstUrl, opening, first) {
    this._status("waiting");
    await opening;
    let url = firstUrl;
    let prefetched = first;
    let jump = true; // the first clip (and the first after a reconnect) starts at the target latency
    let due = null; // when the document at `url` was due (ms, local clock)
    while (this.running) {
      let doc;
      try {
        doc = await (prefetched ?? this._document(url));
        prefetched = null;
        if (doc === null) {
          // Too late for too long: the feed was interrupted, or clips were skipped.
          const current = await this._current();
          if (current.document === url) continue;
          url = current.document;
          jump = true;
          continue;
        }
        if (doc.ended) return this._ended(doc, url);
        await this._play(doc, url, jump ? null : due);
      } catch (error) {
        if (!(error instanceof TypeError)) throw error; // TypeError: the network failed
        this._status("reconnecting");
        const current = await this._current();
        url = current.document;
        jump = true;
        continue;
      }
      jump = false;
      url = new URL(doc.next.url, url).href;
      due = this._due(doc);
      await this._untilDue(doc);
    }
  }

  async _document(url) {
    const patience = Date.now() + PATIENCE_CLIPS * this.clipSeconds * 1000;
    let wait = RETRY_MS;
    for (;;) {
      const response = await fetch(url, { credentials: "omit" });
      if (response.ok) {
        const doc = await response.json();
        this._observeSkew(Date.now(), Date.parse(doc.published_at || doc.ended_at));
        this.lastDoc = doc;
        if (typeof doc.viewers === "number") this.viewers = doc.viewers;
        this.dispatchEvent(new CustomEvent("document", { detail: { document: doc } }));
        return doc;
      }
      if (response.status !== 404) throw new TypeError(`document answered ${response.status}`);
      if (Date.now() > patience) return null;
      if (this.lastDoc && Date.now() > this._due(this.lastDoc) + this.clipSeconds * 1000) {
        this._status("interrupted");
      }
      // Backing off, with jitter: a crowd asking for a late document at the same instant
      // must not become a storm that makes it later still.
      await sleep(wait * (0.8 + 0.4 * Math.random()));
      wait = Math.min(wait * 1.5, RETRY_MAX_MS);
    }
  }

  _due(doc) {
    return Date.parse(doc.next.expected_at) + (this.skew || 0);
  }

  async _untilDue(doc) {
    const wait = this._due(doc) - Date.now();
    if (wait > 0) await sleep(wait);
  }

  // `due`: when this clip was due (ms); null for the first one after a join or a reconnect.
  async _play(doc, docUrl, due) {
    const jump = due === null;
    const rendition = this._choose(doc.renditions);
    const initUrl = new URL(rendition.init, docUrl).href;
    if (this.sourceBuffer === undefined) this._addBuffer(rendition.codecs);
    const clipUrl = new URL(rendition.clip, docUrl).href;
    const sent = performance.now();
    const needInit = initUrl !== this.initKey;
    const [init, data] = await Promise.all([
      needInit ? this._bytes(initUrl) : null,
      this._bytes(clipUrl),
    ]);
    this._measure(data.byteLength, performance.now() - sent);
    if (needInit) {
      await this._append(init);
      this.initKey = initUrl;
    }
    const start = this._bufferedEnd() ?? 0;
    if (!jump && !this.video.paused) this._arrived(start - this.video.currentTime, due);
    await this._append(data);
    const end = this._bufferedEnd() ?? start + doc.duration;
    this.spans.push({ start, end, pdt: Date.parse(doc.program_date_time), index: doc.index });
    this.resolution = rendition.resolution;
    this._trim();
    if (jump) {
      this.slack = null;
      this._seekToTarget(start, end);
    }
    if (this.video.paused && !this._userPaused) this.video.play().catch(() => {});
    this._status("playing");
  }

  _seekToTarget(start, end) {
    // Start where the picture is `target` seconds old: later in the clip when we joined late.
    const span = this.spans[this.spans.length - 1];
    const age = (Date.now() - (this.skew || 0) - span.pdt) / 1000;
    const into = Math.max(0, Math.min(age - this.target, end - start - 0.1));
    this.video.currentTime = start + into;
  }

  _choose(renditions) {
    // The largest rendition whose bitrate the measured throughput covers twice over; the
    // smallest until something was measured.
    const sorted = [...renditions].sort((a, b) => a.bandwidth - b.bandwidth);
    let chosen = sorted[0];
    for (const r of sorted) if (this.bandwidth > 2 * r.bandwidth) chosen = r;
    if (this.rendition && this.rendition.resolution !== chosen.resolution) this.initKey = null;
    this.rendition = chosen;
    return chosen;
  }

  _measure(bytes, ms) {
    const bits = (bytes * 8 * 1000) / Math.max(ms, 1);
    this.bandwidth = this.bandwidth ? 0.7 * this.bandwidth + 0.3 * bits : bits;
  }

  async _bytes(url) {
    const response = await fetch(url, { credentials: "omit" });
    if (!response.ok) throw new TypeError(`${url} answered ${response.status}`);
    return response.arrayBuffer();
  }

  // ----- Media Source -----

  _mseUsable() {
    return "MediaSource" in window && MediaSource.isTypeSupported('video/mp4; codecs="avc1.42c01e,mp4a.40.2"');
  }

  _openSource() {
    this.mediaSource = new MediaSource();
    this.video.src = URL.createObjectURL(this.mediaSource);
    return new Promise((resolve) => this.mediaSource.addEventListener("sourceopen", resolve, { once: true }));
  }

  _addBuffer(codecs) {
    this.sourceBuffer = this.mediaSource.addSourceBuffer(`video/mp4; codecs="${codecs}"`);
    // Sequence mode lays each clip right after the one before, whatever its timestamps: a
    // new feed after an interruption starts its own timeline and still plays on.
    this.sourceBuffer.mode = "sequence";
  }

  _append(data) {
    return new Promise((resolve, reject) => {
      const done = () => {
        this.sourceBuffer.removeEventListener("updateend", done);
        this.sourceBuffer.removeEventListener("error", failed);
        resolve();
      };
      const failed = () => {
        this.sourceBuffer.removeEventListener("updateend", done);
        reject(new Error("the browser could not append a clip"));
      };
      this.sourceBuffer.addEventListener("updateend", done);
      this.sourceBuffer.addEventListener("error", failed, { once: true });
      this.sourceBuffer.appendBuffer(data);
    });
  }

  _bufferedEnd() {
    const ranges = this.sourceBuffer ? this.sourceBuffer.buffered : null;
    return ranges && ranges.length ? ranges.end(ranges.length - 1) : null;
  }

  _trim() {
    const before = this.video.currentTime - KEEP_BEHIND_S;
    if (before > 0 && !this.sourceBuffer.updating) {
      this.sourceBuffer.remove(0, before);
      this.spans = this.spans.filter((s) => s.end > before);
    }
  }

  // ----- holding the distance to the edge -----

  _tick() {
    const latency = this.latency();
    const end = this._bufferedEnd();
    const buffer = end === null ? 0 : Math.max(0, end - this.video.currentTime);
    if (latency !== null && !this.video.paused && this.hls === null) {
      if (latency > this.target + JUMP_BEHIND_S) {
        this.goLive();
      } else {
        if (this.video.playbackRate !== this._rate(latency, buffer)) {
          this.video.playbackRate = this._rate(latency, buffer);
        }
      }
    }
    const detail = {
      latency,
      buffer,
      index: this.position()?.index ?? null,
      viewers: this.viewers,
      resolution: this.resolution ?? null,
      target: this.target,
      slack: this.slack,
      wantedSlack: this.wantedSlack(),
    };
    this.dispatchEvent(new CustomEvent("stats", { detail }));
  }

  // A clip arrived with `left` seconds still to play before it; it was due at `due` (ms).
  _arrived(left, due) {
    const late = due === null ? 0 : Math.max(0, (Date.now() - due) / 1000);
    this.lates.push(late);
    if (this.lates.length > LATE_KEPT) this.lates.shift();
    this.slack = left + late;
  }

  // The slack wanted now: a little above how late clips have been coming.
  wantedSlack() {
    const sorted = [...this.lates].sort((a, b) => a - b);
    const p90 = sorted.length ? sorted[Math.floor(0.9 * (sorted.length - 1))] : 0;
    return SLACK_FLOOR_S + p90;
  }

  // A few percent faster or slower (nobody hears it): slower first of all when the buffer
  // runs thin, so a late clip costs a little latency rather than a stall.
  _rate(latency, buffer) {
    if (buffer < SLACK_FLOOR_S) return 0.95;
    if (this.slack === null) return latency > this.target + 0.2 ? 1.05 : 1;
    const wanted = this.wantedSlack();
    if (this.slack < wanted) return 0.97;
    if (this.slack > wanted + SLACK_BAND_S && buffer > wanted + SLACK_BAND_S) return 1.05;
    return 1;
  }

  _observeSkew(localMs, serverMs) {
    if (!Number.isFinite(serverMs)) return;
    const delay = localMs - serverMs;
    this.skew = this.skew === null ? delay : Math.min(this.skew, delay);
  }

  _status(state, extra = {}) {
    if (this._state === state) return;
    this._state = state;
    this.dispatchEvent(new CustomEvent("status", { detail: { state, ...extra } }));
  }

  _ended(doc, url) {
    const vod = doc.vod ? new URL(doc.vod, url).href : null;
    this._status("ended", { vod });
    if (this.mediaSource && this.mediaSource.readyState === "open") {
      const finish = () => this.mediaSource.endOfStream();
      if (this.sourceBuffer && this.sourceBuffer.updating) {
        this.sourceBuffer.addEventListener("updateend", finish, { once: true });
      } else {
        finish();
      }
    }
  }

  _fail(error) {
    console.error("live player:", error);
    this._status("failed", { message: String(error.message || error) });
  }

  // ----- fallback: HLS -----

  _fallback(current) {
    const playlist = new URL("../master.m3u8", current.document).href;
    if (!this.forceHls && this.video.canPlayType("application/vnd.apple.mpegurl")) {
      this.video.src = playlist;
      this.video.play().catch(() => {});
      this._status("playing");
      return;
    }
    loadHls().then((Hls) => {
      if (!Hls || !Hls.isSupported()) {
        this._status("failed", { message: "This browser cannot play live video." });
        return;
      }
      this.hls = new Hls(this.hlsConfig || LOW_LATENCY_HLS);
      this.hls.loadSource(playlist);
      this.hls.attachMedia(this.video);
      this.video.play().catch(() => {});
      this._status("playing");
    });
  }
}

// hls.js as close to the edge as 2-second clips allow (field-notes.md: ≈ 3.9 s here); its
// defaults sit ≈ 9.6 s behind and never catch up.
export const LOW_LATENCY_HLS = {
  liveSyncDurationCount: 1,
  liveMaxLatencyDurationCount: 3,
  maxLiveSyncPlaybackRate: 1.5,
};

// hls.js only when it is needed: most viewers never load its 400 KB.
function loadHls() {
  if (window.Hls) return Promise.resolve(window.Hls);
  return new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = "/static/vendor/hls.min.js";
    script.onload = () => resolve(window.Hls);
    script.onerror = () => resolve(null);
    document.head.append(script);
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
