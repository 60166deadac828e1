// Like and dislike under the player, with counts and the view count. The counts come from the
// stats read, which includes the viewer's own latest events (read-your-writes): a like shows at
// once, and still after a reload while the bus is behind. Set-state, not a toggle on the
// server: pressing the active button again sends `clear`.
import { api } from "./api.js";

const root = document.querySelector("[data-reactions]");

function plural(n, one, many) {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

// Through the page's activity reporter when it runs (activity.js: its event ids survive
// retries, its clock is the server's); else straight to the API.
async function send(videoId, kind) {
  if (window.clipcastActivity) {
    await window.clipcastActivity.react(kind);
    return;
  }
  const event = {
    id: crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`,
    type: kind,
    video_id: videoId,
    ts: Date.now(),
  };
  await api("/api/v1/activity", { method: "POST", json: { events: [event] } });
}

class Reactions {
  constructor(box) {
    this.box = box;
    this.videoId = box.dataset.videoId;
    this.like = box.querySelector("[data-react=like]");
    this.dislike = box.querySelector("[data-react=dislike]");
    this.views = box.querySelector("[data-views]");
    this.error = box.querySelector("[data-reactions-error]");
    this.stats = null;
    this.like.addEventListener("click", () => this.press("like"));
    this.dislike.addEventListener("click", () => this.press("dislike"));
  }

  async load() {
    try {
      this.stats = await api(`/api/v1/videos/${encodeURIComponent(this.videoId)}/stats`);
    } catch (failure) {
      this.showError(failure.message);
      return;
    }
    this.paint();
    this.box.dataset.loaded = "true";
  }

  paint() {
    const { likes, dislikes, views, my_reaction: mine } = this.stats;
    this.like.querySelector("[data-count]").textContent = likes.toLocaleString("en");
    this.dislike.querySelector("[data-count]").textContent = dislikes.toLocaleString("en");
    this.like.setAttribute("aria-pressed", String(mine === "like"));
    this.dislike.setAttribute("aria-pressed", String(mine === "dislike"));
    this.like.setAttribute("aria-label", `Like (${plural(likes, "like", "likes")})`);
    this.dislike.setAttribute("aria-label", `Dislike (${plural(dislikes, "dislike", "dislikes")})`);
    this.views.textContent = plural(views, "view", "views");
  }

  async press(wanted) {
    if (!this.stats) return;
    const before = { ...this.stats };
    const mine = before.my_reaction || "none";
    const next = mine === wanted ? "none" : wanted;
    this.stats.likes += (next === "like") - (mine === "like");
    this.stats.dislikes += (next === "dislike") - (mine === "dislike");
    this.stats.my_reaction = next;
    this.paint();
    this.showError("");
    try {
      await send(this.videoId, next === "none" ? "clear" : next);
    } catch (failure) {
      this.stats = before;
      this.paint();
      this.showError(failure.message);
    }
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }
}

if (root) new Reactions(root).load();
