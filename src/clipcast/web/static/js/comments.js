// Comments under the player: threads sorted top or newest, one level of replies; post, reply,
// edit and remove; like and dislike through the activity API. Text from users reaches the page
// only through textContent and text nodes (never innerHTML), so markup in a comment stays text.
import { api, showError } from "./api.js";

const PER_PAGE = 20;
const REPLIES_PER_PAGE = 20;
const CONFIRM_MS = 4000;

const root = document.querySelector("[data-comments]");
const videoId = root.dataset.videoId;
const signedIn = root.dataset.signedIn === "true";
const maxChars = Number(root.dataset.maxChars);
const ui = {
  count: root.querySelector("[data-comment-count]"),
  sorts: [...root.querySelectorAll("[data-sort]")],
  form: root.querySelector("[data-comment-form]"),
  list: root.querySelector("[data-comment-list]"),
  more: root.querySelector("[data-more-comments]"),
  error: root.querySelector("[data-comments-error]"),
};
const state = { sort: "top", page: 0, total: 0, threads: 0, shown: new Set() };

// Build an element; strings among `children` become text nodes, `text` sets textContent.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-") || key.startsWith("aria-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function plural(n, one, many) {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

function ago(iso) {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  const steps = [
    [60, "second", 1],
    [3600, "minute", 60],
    [86400, "hour", 3600],
    [86400 * 30, "day", 86400],
    [86400 * 365, "month", 86400 * 30],
    [Infinity, "year", 86400 * 365],
  ];
  const [, unit, size] = steps.find(([limit]) => seconds < limit);
  const n = Math.floor(seconds / size);
  return n === 0 ? "just now" : `${plural(n, unit, `${unit}s`)} ago`;
}

function showCount() {
  ui.count.textContent = plural(state.total, "comment", "comments");
}

function charCounter(textarea, counter) {
  const update = () => {
    const used = [...textarea.value].length;
    counter.textContent = `${used.toLocaleString("en")} / ${maxChars.toLocaleString("en")}`;
  };
  textarea.addEventListener("input", update);
  update();
}

// A form with a textarea, a character count, an error line and buttons; `onSubmit(text)`
// returns a promise; the form stays usable and shows the server's message on failure.
function textForm({ label, value = "", submitText, onSubmit, onCancel }) {
  const textarea = el("textarea", {
    name: "body",
    rows: 2,
    maxLength: maxChars,
    required: true,
    placeholder: label,
    "aria-label": label,
  });
  textarea.value = value;
  const counter = el("span", { class: "muted char-count", "data-char-count": "" });
  const error = el("p", { class: "error", "data-error": "", hidden: true });
  const submit = el("button", { type: "submit", class: "button small", text: submitText });
  const cancel = onCancel
    ? el("button", { type: "button", class: "button ghost small", text: "Cancel" })
    : null;
  const form = el(
    "form",
    { class: "comment-form" },
    textarea,
    el("div", { class: "comment-form-row" }, counter, error, cancel, submit),
  );
  charCounter(textarea, counter);
  cancel?.addEventListener("click", onCancel);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    showError(error, "");
    try {
      await onSubmit(textarea.value);
      textarea.value = "";
      textarea.dispatchEvent(new Event("input"));
    } catch (failure) {
      showError(error, failure.message);
    } finally {
      submit.disabled = false;
    }
  });
  return { form, textarea };
}

// -- likes and dislikes ------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
const THUMB_UP =
  "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 " +
  "7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23" +
  ".14-.47.14-.73v-2z";
const THUMB_DOWN =
  "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 " +
  "4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 " +
  "0v12h4V3h-4z";

function icon(path) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const shape = document.createElementNS(SVG, "path");
  shape.setAttribute("d", path);
  svg.append(shape);
  return svg;
}

// Through the page's activity reporter when it runs (activity.js: it keeps the event's id
// across retries and stamps it with the server's clock); else straight to the API.
async function sendVote(commentId, kind) {
  if (window.clipcastActivity) {
    await window.clipcastActivity.voteComment(commentId, kind);
    return;
  }
  const event = {
    id: crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`,
    type: kind === "clear" ? "clear" : `comment_${kind}`,
    video_id: videoId,
    ts: Date.now(),
    comment_id: commentId,
  };
  await api("/api/v1/activity", { method: "POST", json: { events: [event] } });
}

function reactionButtons(comment) {
  const like = el("button", {
    type: "button",
    class: "reaction",
    "data-like": "",
    "aria-label": "Like",
    title: signedIn ? "Like" : "Log in to like",
    disabled: !signedIn,
  });
  const dislike = el("button", {
    type: "button",
    class: "reaction",
    "data-dislike": "",
    "aria-label": "Dislike",
    title: signedIn ? "Dislike" : "Log in to dislike",
    disabled: !signedIn,
  });
  const view = { comment, like, dislike };
  paintReactions(view);
  like.addEventListener("click", () => react(view, "like"));
  dislike.addEventListener("click", () => react(view, "dislike"));
  return [like, dislike];
}

function paintReactions({ comment, like, dislike }) {
  const mine = comment.my_reaction || "none";
  like.replaceChildren(icon(THUMB_UP), ` ${comment.likes}`);
  dislike.replaceChildren(icon(THUMB_DOWN), ` ${comment.dislikes}`);
  like.setAttribute("aria-pressed", String(mine === "like"));
  dislike.setAttribute("aria-pressed", String(mine === "dislike"));
  like.dataset.count = comment.likes;
  dislike.dataset.count = comment.dislikes;
}

// Set-state, not a toggle on the server: pressing the active button again sends `clear`.
async function react(view, wanted) {
  const { comment } = view;
  const before = { likes: comment.likes, dislikes: comment.dislikes, mine: comment.my_reaction };
  const next = before.mine === wanted ? "none" : wanted;
  comment.likes += (next === "like") - (before.mine === "like");
  comment.dislikes += (next === "dislike") - (before.mine === "dislike");
  comment.my_reaction = next;
  paintReactions(view);
  try {
    await sendVote(comment.id, next === "none" ? "clear" : next);
  } catch (failure) {
    comment.likes = before.likes;
    comment.dislikes = before.dislikes;
    comment.my_reaction = before.mine;
    paintReactions(view);
    showError(ui.error, failure.message);
  }
}

// -- one comment -------------------------------------------------------------------------

function renderComment(comment, thread) {
  const item = el("li", { class: "comment", "data-comment-id": comment.id });
  const body = el("p", { class: "comment-body", "data-body": "", text: comment.body });
  const edited = el("span", {
    class: "muted",
    "data-edited": "",
    text: "(edited)",
    hidden: !comment.edited_at,
  });
  const head = el(
    "div",
    { class: "comment-head" },
    el("span", { class: "comment-author", "data-author": "", text: comment.author.username }),
    el("time", {
      class: "muted",
      dateTime: comment.created_at,
      title: new Date(comment.created_at).toLocaleString(),
      text: ago(comment.created_at),
    }),
    edited,
  );
  const actions = el("div", { class: "comment-actions" }, ...reactionButtons(comment));
  item.append(head, body, actions);
  if (signedIn) actions.append(replyButton(thread || { item, comment }));
  if (comment.can_edit) actions.append(editButton(comment, item, body, edited));
  if (comment.can_delete) actions.append(deleteButton(comment, item, thread));
  if (!comment.parent_id) renderReplies(comment, item);
  return item;
}

function editButton(comment, item, body, edited) {
  const button = el("button", { type: "button", class: "link", "data-edit": "", text: "Edit" });
  button.addEventListener("click", () => {
    const { form, textarea } = textForm({
      label: "Edit your comment",
      value: comment.body,
      submitText: "Save",
      onSubmit: async (text) => {
        const saved = await api(`/api/v1/comments/${comment.id}`, {
          method: "PATCH",
          json: { body: text },
        });
        comment.body = saved.body;
        body.textContent = saved.body;
        edited.hidden = !saved.edited_at;
        close();
      },
      onCancel: () => close(),
    });
    const close = () => {
      form.replaceWith(body);
      button.hidden = false;
    };
    body.replaceWith(form);
    button.hidden = true;
    textarea.focus();
  });
  return button;
}

// Two clicks remove: the first asks, the second (within a few seconds) does it.
function deleteButton(comment, item, thread) {
  const button = el("button", {
    type: "button",
    class: "link danger",
    "data-delete": "",
    text: "Delete",
  });
  let armed = null;
  button.addEventListener("click", async () => {
    if (!armed) {
      button.textContent = "Delete? Click again";
      armed = setTimeout(() => {
        armed = null;
        button.textContent = "Delete";
      }, CONFIRM_MS);
      return;
    }
    clearTimeout(armed);
    button.disabled = true;
    try {
      await api(`/api/v1/comments/${comment.id}`, { method: "DELETE" });
      removed(comment, item, thread);
    } catch (failure) {
      button.disabled = false;
      button.textContent = "Delete";
      armed = null;
      showError(ui.error, failure.message);
    }
  });
  return button;
}

function removed(comment, item, thread) {
  item.remove();
  if (thread) {
    thread.comment.reply_count -= 1;
    thread.paintReplyCount();
    state.total -= 1;
  } else {
    state.total -= 1 + comment.reply_count;
    state.threads -= 1;
    state.shown.delete(comment.id);
  }
  showCount();
}

// -- replies -----------------------------------------------------------------------------

function replyButton(thread) {
  const button = el("button", { type: "button", class: "link", "data-reply": "", text: "Reply" });
  button.addEventListener("click", () => {
    thread.item.querySelector(":scope > [data-reply-slot]").dispatchEvent(new Event("open"));
  });
  return button;
}

function renderReplies(comment, item) {
  const list = el("ul", { class: "replies", "data-replies": "" });
  const count = el("p", { class: "muted reply-count", "data-reply-count": "" });
  const more = el("button", {
    type: "button",
    class: "link",
    "data-more-replies": "",
    hidden: true,
  });
  const slot = el("div", { "data-reply-slot": "" });
  const thread = { comment, item, list, page: 0 };
  thread.paintReplyCount = () => {
    const n = comment.reply_count;
    count.textContent = n ? plural(n, "reply", "replies") : "";
    count.hidden = n === 0;
    const hidden = n - list.children.length;
    more.hidden = hidden <= 0;
    more.textContent = `Show ${plural(hidden, "more reply", "more replies")}`;
  };
  for (const reply of comment.replies) list.append(renderComment(reply, thread));
  more.addEventListener("click", () => loadMoreReplies(thread, more));
  slot.addEventListener("open", () => openReplyForm(thread, slot));
  item.append(count, list, more, slot);
  thread.paintReplyCount();
}

async function loadMoreReplies(thread, button) {
  button.disabled = true;
  try {
    const shown = new Set([...thread.list.children].map((li) => li.dataset.commentId));
    // Replies read oldest first; fetch pages until the ones not shown yet are in.
    for (let page = 1; ; page += 1) {
      const params = new URLSearchParams({ page, per_page: REPLIES_PER_PAGE });
      const answer = await api(`/api/v1/comments/${thread.comment.id}/replies?${params}`);
      for (const reply of answer.items) {
        if (!shown.has(reply.id)) thread.list.append(renderComment(reply, thread));
      }
      thread.comment.reply_count = answer.total;
      if (page * REPLIES_PER_PAGE >= answer.total) break;
    }
    thread.paintReplyCount();
  } catch (failure) {
    showError(ui.error, failure.message);
  } finally {
    button.disabled = false;
  }
}

function openReplyForm(thread, slot) {
  if (slot.firstChild) {
    slot.querySelector("textarea").focus();
    return;
  }
  const { form, textarea } = textForm({
    label: `Reply to ${thread.comment.author.username}`,
    submitText: "Reply",
    onSubmit: async (text) => {
      const made = await api(`/api/v1/videos/${videoId}/comments`, {
        method: "POST",
        json: { body: text, parent_id: thread.comment.id },
      });
      thread.list.append(renderComment(made, thread));
      thread.comment.reply_count += 1;
      thread.paintReplyCount();
      state.total += 1;
      showCount();
      slot.replaceChildren();
    },
    onCancel: () => slot.replaceChildren(),
  });
  slot.append(form);
  textarea.focus();
}

// -- the list ----------------------------------------------------------------------------

async function loadPage() {
  const params = new URLSearchParams({
    sort: state.sort,
    page: state.page + 1,
    per_page: PER_PAGE,
  });
  const answer = await api(`/api/v1/videos/${videoId}/comments?${params}`);
  state.page = answer.page;
  state.total = answer.total;
  state.threads = answer.threads;
  for (const comment of answer.items) {
    if (state.shown.has(comment.id)) continue; // posted here, or moved up since the last page
    state.shown.add(comment.id);
    ui.list.append(renderComment(comment, null));
  }
  ui.more.hidden = answer.page * answer.per_page >= answer.threads;
  showCount();
}

async function reload() {
  state.page = 0;
  state.shown.clear();
  ui.list.replaceChildren();
  showError(ui.error, "");
  try {
    await loadPage();
  } catch (failure) {
    showError(ui.error, failure.message);
  }
  root.dataset.loaded = state.sort;
}

function setUpSort() {
  for (const button of ui.sorts) {
    button.addEventListener("click", () => {
      if (button.dataset.sort === state.sort) return;
      state.sort = button.dataset.sort;
      for (const other of ui.sorts) other.setAttribute("aria-pressed", String(other === button));
      reload();
    });
  }
}

function setUpPosting() {
  if (!ui.form) return;
  const { form } = textForm({
    label: "Add a comment…",
    submitText: "Comment",
    onSubmit: async (text) => {
      const made = await api(`/api/v1/videos/${videoId}/comments`, {
        method: "POST",
        json: { body: text },
      });
      state.shown.add(made.id);
      ui.list.prepend(renderComment(made, null));
      state.total += 1;
      state.threads += 1;
      showCount();
    },
  });
  ui.form.replaceWith(form);
  form.dataset.commentForm = "";
  ui.form = form;
}

ui.more.addEventListener("click", async () => {
  ui.more.disabled = true;
  try {
    await loadPage();
  } catch (failure) {
    showError(ui.error, failure.message);
  } finally {
    ui.more.disabled = false;
  }
});
setUpSort();
setUpPosting();
reload();
