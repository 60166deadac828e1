// Log-in, sign-up and log-out, on every page through the base layout.
import { api, showError } from "./api.js";

async function submitAuth(form) {
  const data = new FormData(form);
  const credentials = { username: data.get("username"), password: data.get("password") };
  if (form.dataset.auth === "signup") {
    await api("/api/v1/auth/register", { method: "POST", json: credentials });
  }
  await api("/api/v1/auth/session", { method: "POST", json: credentials });
  // The server only ever renders a local path here (see pages.safe_next).
  window.location.assign(form.dataset.next || "/");
}

for (const form of document.querySelectorAll("form[data-auth]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const errorBox = form.querySelector("[data-error]");
    button.disabled = true;
    showError(errorBox, "");
    try {
      await submitAuth(form);
    } catch (error) {
      showError(errorBox, error.message);
      button.disabled = false;
    }
  });
}

for (const button of document.querySelectorAll("[data-logout]")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("/api/v1/auth/logout", { method: "POST" });
    } finally {
      window.location.assign("/");
    }
  });
}
