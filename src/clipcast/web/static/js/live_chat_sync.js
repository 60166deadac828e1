// The chat sync rule in the page (the same as clipcast/live/chat_sync.py): a message is shown
// when playback reaches the clip index and offset its sender saw, never before. Messages wait
// in a queue ordered by that position; each tick releases those playback has reached.

export function compare(a, b) {
  return a.index - b.index || a.offset - b.offset;
}

// Whether a message at `message` is due when playback is at `playing` (null: nothing plays).
export function due(message, playing) {
  return playing !== null && compare(playing, message) >= 0;
}

export class ChatQueue {
  constructor() {
    this.held = []; // ordered by position, then arrival
    this.known = new Set(); // every id seen: one from the socket and a document is one message
    this.dropped = new Set();
  }

  // Hold a message; false when it is known already (or was deleted before it came).
  add(message) {
    if (this.known.has(message.id)) return false;
    this.known.add(message.id);
    let low = 0;
    let high = this.held.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (compare(this.held[mid], message) <= 0) low = mid + 1;
      else high = mid;
    }
    this.held.splice(low, 0, message);
    return true;
  }

  // A deleted message is never released (the page removes it if it was).
  drop(id) {
    this.known.add(id);
    this.dropped.add(id);
    this.held = this.held.filter((m) => m.id !== id);
  }

  // The messages due at `playing`, in position order.
  release(playing) {
    const out = [];
    while (this.held.length && due(this.held[0], playing)) out.push(this.held.shift());
    return out;
  }

  // Everything held (a player that cannot say where it is: chat as it comes).
  releaseAll() {
    const out = this.held;
    this.held = [];
    return out;
  }

  get size() {
    return this.held.length;
  }
}
