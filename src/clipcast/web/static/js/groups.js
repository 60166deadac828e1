// The groups page: the caller's groups (create, rename, delete, add and remove members by
// username) and the groups of others they are in. Everything goes through /api/v1/groups;
// names are shown with textContent, never as HTML.
import { api, showError } from "./api.js";

const list = document.querySelector("[data-group-list]");
const joinedList = document.querySelector("[data-joined-list]");
const errorBox = document.querySelector("[data-groups-error]");
const createForm = document.querySelector("[data-create-group]");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// Every change: call the API, show its refusal if any, then show the groups as they are now.
async function change(action) {
  showError(errorBox, "");
  try {
    await action();
  } catch (error) {
    showError(errorBox, error.message);
  }
  await load();
}

function groupUrl(group, tail = "") {
  return `/api/v1/groups/${encodeURIComponent(group.id)}${tail}`;
}

function memberRow(group, member) {
  const remove = el("button", { type: "button", class: "button ghost small", "data-remove-member": member.username, text: "Remove" });
  remove.addEventListener("click", () =>
    change(() => api(groupUrl(group, `/members/${encodeURIComponent(member.username)}`), { method: "DELETE" })),
  );
  return el("li", { class: "member", "data-member": member.username }, el("span", { class: "member-name", text: member.username }), remove);
}

function addMemberForm(group) {
  const input = el("input", { name: "username", required: "", maxlength: "64", autocomplete: "off", placeholder: "username" });
  const form = el("form", { class: "form inline", "data-add-member": "" },
    el("label", { text: "Add a member" }, input), el("button", { class: "button", type: "submit", text: "Add" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    change(() => api(groupUrl(group, "/members"), { method: "POST", json: { username: input.value.trim() } }));
  });
  return form;
}

function groupHead(group) {
  const rename = el("button", { type: "button", class: "button ghost small", "data-rename": "", text: "Rename" });
  rename.addEventListener("click", () => {
    const name = window.prompt("New name for the group", group.name);
    if (name !== null && name.trim() && name.trim() !== group.name) {
      change(() => api(groupUrl(group), { method: "PATCH", json: { name: name.trim() } }));
    }
  });
  const remove = el("button", { type: "button", class: "button danger small", "data-delete-group": "", text: "Delete" });
  remove.addEventListener("click", () => {
    if (window.confirm(`Delete the group "${group.name}"? Its videos stop being shared with its members.`)) {
      change(() => api(groupUrl(group), { method: "DELETE" }));
    }
  });
  return el("div", { class: "group-head" }, el("h2", { class: "group-name", text: group.name }), rename, remove);
}

function groupCard(group) {
  const members = el("ul", { class: "member-list", "aria-label": `Members of ${group.name}` },
    ...group.members.map((member) => memberRow(group, member)));
  const count = group.members.length;
  const summary = el("p", { class: "muted", text: count ? `${count} member${count === 1 ? "" : "s"}` : "No members yet." });
  return el("li", { class: "group-card", "data-group": group.name, "data-group-id": group.id },
    groupHead(group), summary, members, addMemberForm(group));
}

async function load() {
  try {
    const [own, joined] = await Promise.all([api("/api/v1/groups"), api("/api/v1/groups/joined")]);
    list.replaceChildren(...own.items.map(groupCard));
    document.querySelector("[data-no-groups]").hidden = own.items.length > 0;
    joinedList.replaceChildren(...joined.items.map((group) =>
      el("li", { "data-joined": group.name }, el("strong", { text: group.name }), ` by ${group.owner.username}`)));
    document.querySelector("[data-no-joined]").hidden = joined.items.length > 0;
  } catch (error) {
    showError(errorBox, error.message);
  }
}

createForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = createForm.elements.name;
  change(async () => {
    await api("/api/v1/groups", { method: "POST", json: { name: input.value } });
    input.value = "";
  });
});
load();
