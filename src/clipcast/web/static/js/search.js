// The search box in the top bar offers titles as you type; the search page's filters apply as
// soon as they change. Suggestions are user-written titles: they go in as text, never as HTML.

const DEBOUNCE_MS = 150; // one request per pause in typing, not one per key
const MIN_CHARS = 2; // the API matches prefixes of two letters or more

function suggestionBox(input) {
  const list = document.getElementById(input.getAttribute("aria-controls"));
  let timer = 0;
  let active = -1;
  let inflight = null;

  function close() {
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function choose(title) {
    input.value = title;
    close();
    input.form.requestSubmit();
  }

  function option(title, index) {
    const item = document.createElement("li");
    item.id = `${list.id}-${index}`;
    item.setAttribute("role", "option");
    item.textContent = title;
    // mousedown, not click: a click would blur the input first, which closes the list.
    item.addEventListener("mousedown", (event) => {
      event.preventDefault();
      choose(title);
    });
    return item;
  }

  function show(titles) {
    if (titles.length === 0) return close();
    list.replaceChildren(...titles.map(option));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    active = -1;
  }

  async function load() {
    const typed = input.value;
    if (typed.trim().length < MIN_CHARS) return close();
    if (inflight) inflight.abort(); // an older answer must not replace a newer one
    inflight = new AbortController();
    try {
      const response = await fetch(`/api/v1/search/suggest?q=${encodeURIComponent(typed)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: inflight.signal,
      });
      if (!response.ok) return close();
      const body = await response.json();
      if (input.value === typed) show(body.suggestions);
    } catch (error) {
      if (error.name !== "AbortError") close();
    }
  }

  function move(step) {
    const items = [...list.children];
    if (items.length === 0) return;
    active = (active + step + items.length) % items.length;
    items.forEach((item, index) => item.setAttribute("aria-selected", String(index === active)));
    input.setAttribute("aria-activedescendant", items[active].id);
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      choose(list.children[active].textContent);
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", close);
}

for (const input of document.querySelectorAll("input[data-suggest]")) suggestionBox(input);

for (const form of document.querySelectorAll("form[data-filters]")) {
  for (const select of form.querySelectorAll("select")) {
    select.addEventListener("change", () => form.requestSubmit());
  }
  // The Apply button is for browsers without scripts; with them a change applies at once.
  for (const button of form.querySelectorAll("[data-filters-submit]")) button.hidden = true;
}
