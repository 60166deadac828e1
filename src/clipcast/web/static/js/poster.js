// The owner's custom poster, on the edit page: the chosen image goes as the raw body of
// PUT …/poster (the API tells JPEG, PNG and WebP by their bytes and refuses anything else,
// image bombs included), and the page shows the new poster at once.
import { csrfHeaders } from "./api.js";

const form = document.querySelector("[data-poster-form]");
const input = form.querySelector("[data-poster-file]");
const status = form.querySelector("[data-poster-status]");
const button = form.querySelector("button[type=submit]");
const preview = document.querySelector("[data-poster-preview]");
const none = document.querySelector("[data-poster-none]");
const videoId = JSON.parse(document.getElementById("video-data").textContent).id;

function say(text, isError) {
  status.textContent = text;
  status.classList.toggle("error", isError);
  status.classList.toggle("muted", !isError);
}

async function upload(file) {
  const response = await fetch(`/api/v1/videos/${encodeURIComponent(videoId)}/poster`, {
    method: "PUT",
    headers: {
      ...csrfHeaders(),
      Accept: "application/json",
      "Content-Type": file.type || "application/octet-stream",
    },
    credentials: "same-origin",
    body: file,
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (body && body.error) || {};
    throw new Error(error.message || `The server answered ${response.status}.`);
  }
  return body;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const [file] = input.files;
  if (!file) return;
  button.disabled = true;
  say("Uploading the poster…", false);
  try {
    const video = await upload(file);
    const poster = video.thumbnails && video.thumbnails.poster;
    if (poster) {
      preview.src = poster.card.url;
      preview.hidden = false;
      none.hidden = true;
    }
    say("Poster updated.", false);
    form.reset();
  } catch (error) {
    say(`The poster was not changed: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
});
