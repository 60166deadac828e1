// Who a video is for, in the upload and edit forms: the group picker shows while "group" is
// the chosen visibility, and its ticked groups go to the API with it.

export function watchAudience(form) {
  const select = form.elements.visibility;
  const picker = form.querySelector("[data-group-picker]");
  const sync = () => {
    if (picker) picker.hidden = select.value !== "group";
  };
  select.addEventListener("change", sync);
  sync();
  return sync;
}

// The ticked groups' ids while "group" is chosen; none for any other visibility (the API
// refuses groups without visibility "group").
export function chosenGroups(form) {
  if (form.elements.visibility.value !== "group") return [];
  return [...form.querySelectorAll("input[name=groups]:checked")].map((box) => box.value);
}

export function tickGroups(form, ids) {
  const wanted = new Set(ids);
  for (const box of form.querySelectorAll("input[name=groups]")) box.checked = wanted.has(box.value);
}
