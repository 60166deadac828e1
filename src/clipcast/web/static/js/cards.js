// Video cards: hovering one (or focusing its link) plays its animated WebP preview over the
// poster. The preview is fetched on first hover only; touch screens and people who asked for
// less motion keep the still poster.

const motionOk = window.matchMedia("(prefers-reduced-motion: no-preference)");

function start(thumb) {
  if (!motionOk.matches || thumb.querySelector(".thumb-preview")) return;
  const preview = document.createElement("img");
  preview.className = "thumb-preview";
  preview.alt = "";
  preview.decoding = "async";
  // Shown once loaded, so a slow network never blanks the poster.
  preview.addEventListener("load", () => preview.classList.add("is-playing"), { once: true });
  preview.addEventListener("error", () => preview.remove(), { once: true });
  preview.src = thumb.dataset.preview;
  thumb.append(preview);
}

function stop(thumb) {
  // Removing the image, rather than hiding it, restarts the animation on the next hover.
  for (const preview of thumb.querySelectorAll(".thumb-preview")) preview.remove();
}

for (const thumb of document.querySelectorAll(".thumb[data-preview]")) {
  const target = thumb.closest("a") || thumb;
  target.addEventListener("pointerenter", (event) => {
    if (event.pointerType === "mouse" || event.pointerType === "pen") start(thumb);
  });
  target.addEventListener("pointerleave", () => stop(thumb));
  target.addEventListener("focus", () => start(thumb));
  target.addEventListener("blur", () => stop(thumb));
}
