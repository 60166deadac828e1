// Limited fields ([data-limit]): a live counter, and a plain message plus a custom validity
// when a value is over its limit, so the form says so instead of cutting it (no maxlength:
// a pasted text would be truncated without a word).

const NAMES = { title: "The title", description: "The description", tags: "Tags" };

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export function splitTags(text) {
  return text
    .split(",")
    .map((tag) => tag.trim().replace(/^#+/, "").trim())
    .filter(Boolean);
}

// The problem with this field's value, in words, or "".
function problem(field) {
  const limit = Number(field.dataset.limit);
  const name = NAMES[field.dataset.limitName] || "This field";
  if (field.dataset.limitKind === "tags") {
    const tags = splitTags(field.value);
    const longest = Number(field.dataset.tagLength);
    const long = tags.find((tag) => tag.length > longest);
    if (long) return `The tag “${long.slice(0, 20)}…” is ${long.length} characters; a tag has at most ${longest}.`;
    if (tags.length > limit) return `${plural(tags.length, "tag")}: a video has at most ${limit}.`;
    return "";
  }
  const length = field.value.length;
  if (length > limit) {
    return `${name} is ${plural(length - limit, "character")} too long: at most ${limit}, this is ${length}.`;
  }
  return "";
}

function counterText(field) {
  const limit = Number(field.dataset.limit);
  if (field.dataset.limitKind === "tags") return `${splitTags(field.value).length} / ${limit} tags`;
  return `${field.value.length} / ${limit}`;
}

function check(field) {
  const form = field.form;
  const name = field.dataset.limitName;
  const counter = form.querySelector(`[data-limit-counter="${name}"]`);
  const error = form.querySelector(`[data-limit-error="${name}"]`);
  const message = problem(field);
  field.setCustomValidity(message);
  field.setAttribute("aria-invalid", String(Boolean(message)));
  if (counter) {
    counter.textContent = counterText(field);
    counter.classList.toggle("over", Boolean(message));
  }
  if (error) {
    error.textContent = message;
    error.hidden = !message;
  }
  return !message;
}

// Wire every limited field of `form`; returns a function that re-checks them all.
export function watchLimits(form) {
  const fields = [...form.querySelectorAll("[data-limit]")];
  for (const field of fields) {
    field.addEventListener("input", () => check(field));
    check(field);
  }
  return () => fields.map(check).every(Boolean);
}
