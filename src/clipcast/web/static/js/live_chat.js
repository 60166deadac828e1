// Live chat on the two live pages, over the stream's chat WebSocket.
//
// On the go-live page (the streamer's) every message shows the moment it arrives, and the
// streamer's own messages go out without a position: the server places them where the
// picture is being recorded. On the watch page each message waits until this viewer's
// playback reaches the clip and offset its sender saw (live_chat_sync.js), and this viewer's
// messages carry the player's own position. Messages also arrive inside clip documents (the
// player's "document" events), which is how a viewer whose socket dropped still gets them.
// Text is only ever set as textContent.
import { api } from "./api.js";
import { ChatQueue } from "./live_chat_sync.js";

const MAX_SHOWN = 200;
const TICK_MS = 50;
const RETRY_MAX_MS = 10_000;
const FATAL_CLOSE = new Set([1008, 1009, 4404]);
const TIMEOUT_SECONDS = 300;
const JUMP_WINDOW_MS = 250; // shown this soon after the player jumped: released by the jump

const root = document.querySelector("[data-live-chat]");
const watchPage = document.querySelector("[data-live-watch]");
const ui = {
  log: root.querySelector("[data-chat-log]"),
  form: root.querySelector("[data-chat-form]"),
  input: root.querySelector("[data-chat-form] input[name=text]"),
  error: root.querySelector("[data-chat-error]"),
  note: root.querySelector("[data-chat-note]"),
  login: root.querySelector("[data-chat-login]"),
  count: root.querySelector("[data-chat-count]"),
};

class LiveChat {
  constructor(streamId, player) {
    this.streamId = streamId;
    this.player = player; // null on the streamer's page: everything shows at once
    this.queue = new ChatQueue();
    this.shownIds = new Set();
    this.shown = []; // for tests and bench/live_chat.py: where each message was shown
    this.me = null;
    this.owner = false;
    this.ended = false;
    this.retryMs = 1000;
    this.sentAt = new Map(); // nonce -> performance.now(), for the round trip
  }

  start() {
    root.hidden = false;
    this._connect();
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this._post();
    });
    if (this.player) this._follow(this.player);
    setInterval(() => this._tick(), TICK_MS);
  }

  // ----- the socket -----

  _connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${window.location.host}/api/v1/streams/${this.streamId}/chat`;
    this.socket = new WebSocket(url);
    this.socket.addEventListener("message", ({ data }) => this._on(JSON.parse(data)));
    this.socket.addEventListener("close", ({ code }) => {
      root.dataset.connected = "false";
      if (FATAL_CLOSE.has(code) || this.ended) return;
      setTimeout(() => this._connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    });
  }

  _on(event) {
    const handlers = {
      hello: () => this._hello(event),
      message: () => this._receive(event.message),
      accepted: () => this._accepted(event),
      refused: () => this._refused(event),
      deleted: () => this._delete(event.id),
      recent: () => event.messages.forEach((m) => this._receive(m)),
      restricted: () => this._restricted(event),
      lifted: () => this._lifted(event),
      ended: () => this._end(),
      error: () => this._note(event.message),
    };
    (handlers[event.type] || (() => {}))();
  }

  _hello(hello) {
    this.retryMs = 1000;
    root.dataset.connected = "true";
    this.me = hello.you;
    this.owner = hello.owner;
    root.dataset.owner = String(hello.owner);
    ui.input.maxLength = hello.max_chars;
    ui.form.hidden = !hello.can_post;
    ui.login.hidden = hello.you !== null;
    if (hello.restricted) this._restricted({ user_id: hello.you.id, until: hello.restricted.until });
    if (hello.ended) this._end();
    hello.messages.forEach((m) => this._receive(m));
  }

  _receive(message) {
    if (this.shownIds.has(message.id) || !this.queue.add(message)) return;
    if (!this.player) this._tick(); // the streamer's page shows it now, not at the next tick
  }

  _post() {
    const text = ui.input.value.trim();
    if (!text || !this.socket || this.socket.readyState !== WebSocket.OPEN) return;
    const nonce = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const frame = { type: "post", text, nonce };
    const at = this.player ? this.player.position() : null;
    if (at) frame.position = { stream: this.streamId, index: at.index, offset: at.offset };
    this.sentAt.set(nonce, performance.now());
    this.socket.send(JSON.stringify(frame));
  }

  _accepted(event) {
    ui.input.value = "";
    ui.error.hidden = true;
    const sent = this.sentAt.get(event.nonce);
    if (sent !== undefined) root.dataset.lastRoundTripMs = String(Math.round(performance.now() - sent));
    this.sentAt.delete(event.nonce);
    this._receive(event.message);
  }

  _refused(event) {
    this.sentAt.delete(event.nonce);
    const wait = event.retry_after ? ` (wait ${Math.ceil(event.retry_after)} s)` : "";
    ui.error.textContent = event.message + wait;
    ui.error.dataset.code = event.code;
    ui.error.hidden = false;
  }

  _restricted(event) {
    if (!this.me || event.user_id !== this.me.id) return;
    ui.form.hidden = true;
    const until = event.until ? new Date(event.until * 1000).toLocaleTimeString() : null;
    this._note(until ? `You are in a timeout until ${until}.` : "The streamer banned you from this chat.");
  }

  _lifted(event) {
    if (!this.me || event.user_id !== this.me.id || this.ended) return;
    ui.form.hidden = false;
    this._note("");
  }

  _end() {
    this.ended = true;
    ui.form.hidden = true;
    root.dataset.chatEnded = "true";
    this._note("The stream has ended: the chat is closed.");
  }

  _note(text) {
    ui.note.textContent = text;
    ui.note.hidden = !text;
  }

  // ----- in step with the picture -----

  _follow(player) {
    player.addEventListener("document", ({ detail }) => {
      for (const item of detail.document.chat || []) {
        if (item.deleted) this._delete(item.id);
        else this._receive(item);
      }
    });
    // A jump to the live edge skips over held messages: they show at once, late by the jump.
    player.video.addEventListener("seeking", () => {
      this.seekedAt = performance.now();
    });
    player.addEventListener("status", ({ detail }) => {
      if (detail.state === "ended") this._end();
    });
  }

  _tick() {
    let due;
    if (!this.player) {
      due = this.queue.releaseAll();
    } else {
      const at = this.player.position();
      // The hls.js fallback cannot say which clip plays: chat then shows as it comes.
      due = at === null && this.player.hls ? this.queue.releaseAll() : this.queue.release(at);
    }
    due.forEach((m) => this._show(m));
  }

  _show(message) {
    const at = this.player ? this.player.position() : null;
    const record = {
      id: message.id,
      text: message.text,
      index: message.index,
      offset: message.offset,
      at,
      late: this._late(message),
      jumped: this.seekedAt !== undefined && performance.now() - this.seekedAt < JUMP_WINDOW_MS,
      wall: Date.now(),
    };
    this.shown.push(record);
    this.shownIds.add(message.id);
    const item = this._item(message, record);
    const stick = ui.log.scrollTop + ui.log.clientHeight >= ui.log.scrollHeight - 8;
    ui.log.append(item);
    while (ui.log.children.length > MAX_SHOWN) ui.log.firstElementChild.remove();
    if (stick) ui.log.scrollTop = ui.log.scrollHeight;
    ui.count.textContent = String(ui.log.children.length);
  }

  // Seconds between the moment the message was sent at and the picture shown now (null when
  // its clip is no longer, or never was, in this player's buffer).
  _late(message) {
    if (!this.player) return null;
    const span = this.player.spans.find((s) => s.index === message.index);
    if (!span) return null;
    return this.player.video.currentTime - (span.start + message.offset);
  }

  _item(message, record) {
    const item = document.createElement("li");
    item.className = "chat-message";
    item.dataset.id = message.id;
    item.dataset.index = String(message.index);
    item.dataset.offset = String(message.offset);
    if (record.at) {
      item.dataset.shownIndex = String(record.at.index);
      item.dataset.shownOffset = record.at.offset.toFixed(3);
    }
    const name = document.createElement("span");
    name.className = "chat-name";
    name.textContent = message.name;
    item.append(name);
    if (message.owner) {
      const badge = document.createElement("span");
      badge.className = "chat-badge";
      badge.textContent = "streamer";
      item.append(badge);
    }
    const text = document.createElement("span");
    text.className = "chat-text";
    text.textContent = message.text;
    item.append(text);
    const tools = this._tools(message);
    if (tools) item.append(tools);
    return item;
  }

  // ----- moderation -----

  _tools(message) {
    const mine = this.me && message.user_id === this.me.id;
    if (!this.owner && !mine) return null;
    const tools = document.createElement("span");
    tools.className = "chat-tools";
    tools.append(this._tool("Delete", "delete", () => this._remove(message)));
    if (this.owner && !mine) {
      tools.append(this._tool("Timeout", "timeout", () => this._restrict(message, TIMEOUT_SECONDS)));
      tools.append(this._tool("Ban", "ban", () => this._restrict(message, null)));
    }
    return tools;
  }

  _tool(label, action, run) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "chat-tool";
    button.dataset.action = action;
    button.textContent = label;
    button.addEventListener("click", () => run().catch((error) => this._refused({ message: error.message })));
    return button;
  }

  async _remove(message) {
    await api(`/api/v1/streams/${this.streamId}/chat/${message.id}`, { method: "DELETE" });
    this._delete(message.id);
  }

  async _restrict(message, seconds) {
    const url = `/api/v1/streams/${this.streamId}/chat/restrictions/${message.user_id}`;
    await api(url, { method: "PUT", json: { seconds } });
    this._note(seconds ? `${message.name} is in a timeout for ${seconds / 60} minutes.` : `${message.name} is banned.`);
  }

  _delete(id) {
    this.queue.drop(id);
    const item = ui.log.querySelector(`[data-id="${CSS.escape(id)}"]`);
    if (item) item.remove();
    ui.count.textContent = String(ui.log.children.length);
  }
}

async function playerOfPage() {
  for (let tries = 0; tries < 100 && !window.livePlayer; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return window.livePlayer || null;
}

function streamOfGoLivePage() {
  // go_live.js names the stream on <body> once it is created.
  return new Promise((resolve) => {
    const found = () => document.body.dataset.streamId;
    if (found()) return resolve(found());
    const watcher = new MutationObserver(() => {
      if (!found()) return;
      watcher.disconnect();
      resolve(found());
    });
    watcher.observe(document.body, { attributes: true, attributeFilter: ["data-stream-id"] });
    return undefined;
  });
}

async function main() {
  const next = encodeURIComponent(window.location.pathname);
  ui.login.querySelector("a").href = `/login?next=${next}`;
  const chat = watchPage
    ? new LiveChat(watchPage.dataset.stream, await playerOfPage())
    : new LiveChat(await streamOfGoLivePage(), null);
  window.liveChat = chat; // for tests and measurements
  chat.start();
}

main().catch((error) => console.error("live chat:", error));
