// The chat of a recorded live stream, replayed in step with the recording: each message shows
// once playback reaches the moment it was sent at (its clip's start plus its offset, as the
// server computes it: `media_time`), and seeking back takes the later ones away again.
// Messages are read page by page ahead of playback. Text is only ever set as textContent.

const AHEAD_S = 60; // read the next page when playback is this close to the last one read
const SHOWN_MAX = 200;
const TICK_MS = 100;

const root = document.querySelector("[data-chat-replay]");
const video = document.getElementById("player");
const log = root.querySelector("[data-chat-log]");

const state = {
  messages: [], // in replay order
  next: null, // cursor of the next page; null when all are read
  loading: false,
  shown: 0, // how many of `messages` are on the page (a prefix)
  record: [], // for tests: where each message was shown
};

async function page(after) {
  const params = new URLSearchParams(after ? { after } : {});
  const response = await fetch(`/api/v1/videos/${root.dataset.videoId}/chat?${params}`, {
    credentials: "same-origin",
  });
  if (!response.ok) throw new Error(`chat replay answered ${response.status}`);
  return response.json();
}

async function readAhead() {
  if (state.loading || state.next === null) return;
  const last = state.messages[state.messages.length - 1];
  if (last && last.media_time > video.currentTime + AHEAD_S) return;
  state.loading = true;
  try {
    const body = await page(state.next);
    state.messages.push(...body.messages);
    state.next = body.next;
  } finally {
    state.loading = false;
  }
}

// How many messages are due at `time`: those sent at or before it.
function dueCount(time) {
  let low = 0;
  let high = state.messages.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (state.messages[mid].media_time <= time) low = mid + 1;
    else high = mid;
  }
  return low;
}

function item(message) {
  const li = document.createElement("li");
  li.className = "chat-message";
  li.dataset.id = message.id;
  li.dataset.mediaTime = String(message.media_time);
  const time = document.createElement("span");
  time.className = "chat-time";
  const seconds = Math.floor(message.media_time);
  time.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  const name = document.createElement("span");
  name.className = "chat-name";
  name.textContent = message.name;
  const text = document.createElement("span");
  text.className = "chat-text";
  text.textContent = message.text;
  li.append(time, name);
  if (message.owner) {
    const badge = document.createElement("span");
    badge.className = "chat-badge";
    badge.textContent = "streamer";
    li.append(badge);
  }
  li.append(text);
  return li;
}

function render() {
  const now = video.currentTime;
  const due = dueCount(now);
  if (due === state.shown) return;
  if (due < state.shown || due - state.shown > SHOWN_MAX) {
    log.replaceChildren(); // a seek: draw the newest due ones afresh
    state.shown = Math.max(0, due - SHOWN_MAX);
  }
  for (const message of state.messages.slice(state.shown, due)) {
    log.append(item(message));
    state.record.push({ id: message.id, media_time: message.media_time, at: now });
  }
  state.shown = due;
  while (log.children.length > SHOWN_MAX) log.firstElementChild.remove();
  log.scrollTop = log.scrollHeight;
}

async function main() {
  const first = await page(null);
  if (!first.stream) return; // never live: no chat to replay
  state.messages = first.messages;
  state.next = first.next;
  root.hidden = false;
  window.chatReplay = state;
  const tick = () => {
    render();
    readAhead().catch((error) => console.error("chat replay:", error));
  };
  video.addEventListener("timeupdate", tick);
  video.addEventListener("seeked", tick);
  setInterval(tick, TICK_MS);
  tick();
}

main().catch((error) => console.error("chat replay:", error));
