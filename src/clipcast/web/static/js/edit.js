// The edit page: title, description, tags and visibility go to PATCH /api/v1/videos/{id};
// over-limit values are stopped here, and anything the API refuses is shown in the form.
import { api, showError } from "./api.js";
import { splitTags, watchLimits } from "./limits.js";
import { chosenGroups, tickGroups, watchAudience } from "./audience.js";

const form = document.querySelector("[data-edit-form]");
const status = form.querySelector("[data-status]");
const errorBox = form.querySelector("[data-error]");
const button = form.querySelector("button[type=submit]");
const videoId = JSON.parse(document.getElementById("video-data").textContent).id;
const recheck = watchLimits(form);
const syncAudience = watchAudience(form);

function fill(video) {
  form.elements.title.value = video.title;
  form.elements.description.value = video.description;
  form.elements.tags.value = video.tags.join(", ");
  form.elements.visibility.value = video.visibility;
  tickGroups(form, video.groups || []);
  syncAudience();
  recheck();
}

async function save() {
  const data = new FormData(form);
  const video = await api(`/api/v1/videos/${encodeURIComponent(videoId)}`, {
    method: "PATCH",
    json: {
      title: data.get("title"),
      description: data.get("description"),
      tags: splitTags(data.get("tags")),
      visibility: data.get("visibility"),
      groups: data.get("visibility") === "group" ? chosenGroups(form) : undefined,
    },
  });
  fill(video);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!recheck()) return;
  button.disabled = true;
  showError(errorBox, "");
  status.textContent = "Saving…";
  try {
    await save();
    status.textContent = "Saved.";
  } catch (error) {
    status.textContent = "";
    showError(errorBox, `Not saved: ${error.message}`);
  } finally {
    button.disabled = false;
  }
});
form.addEventListener("input", () => {
  status.textContent = "";
});
