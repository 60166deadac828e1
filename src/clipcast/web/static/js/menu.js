// The top bar's menu on narrow screens: the button opens and closes it; Escape, a click
// elsewhere or a wider window close it.
const bar = document.querySelector("[data-topbar]");
const toggle = bar.querySelector("[data-menu-toggle]");

function setOpen(open) {
  bar.classList.toggle("menu-open", open);
  toggle.setAttribute("aria-expanded", String(open));
  toggle.setAttribute("aria-label", open ? "Close menu" : "Menu");
}

toggle.addEventListener("click", () => setOpen(!bar.classList.contains("menu-open")));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && bar.classList.contains("menu-open")) {
    setOpen(false);
    toggle.focus();
  }
});
document.addEventListener("click", (event) => {
  if (!bar.contains(event.target)) setOpen(false);
});
window.matchMedia("(min-width: 641px)").addEventListener("change", () => setOpen(false));
