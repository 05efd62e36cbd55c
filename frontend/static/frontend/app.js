// Phòng họp số: small progressive enhancements. Every page works without this file.

// Ask before destructive actions: <button data-confirm="...">. The text comes translated from the page.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button?.dataset.confirm || event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Close an open menu (<details data-menu>) when clicking elsewhere or pressing Escape.
document.addEventListener("click", (event) => {
  for (const menu of document.querySelectorAll("details[data-menu][open]")) {
    if (!menu.contains(event.target)) menu.open = false;
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details[data-menu][open]")) menu.open = false;
});

// The invitation answer: show only the fields the chosen answer needs.
for (const form of document.querySelectorAll("form[data-rsvp]")) {
  const sync = () => {
    const chosen = form.querySelector('input[name$="answer"]:checked')?.value;
    for (const part of form.querySelectorAll("[data-when]")) {
      part.hidden = part.dataset.when !== chosen;
    }
  };
  form.addEventListener("change", sync);
  sync();
}

// A search box over a long list of checkboxes (remote sites: a province may have 100+).
for (const input of document.querySelectorAll("input[data-filter-list]")) {
  const list = document.querySelector(input.dataset.filterList);
  if (!list) continue;
  input.hidden = false;
  const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  input.addEventListener("input", () => {
    const words = fold(input.value).split(/\s+/).filter(Boolean);
    for (const label of list.querySelectorAll("label")) {
      const text = fold(label.textContent);
      label.hidden = !words.every((w) => text.includes(w));
    }
  });
}

// Copy buttons: <button data-copy="#input-id" data-copied="Copied">.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const source = document.querySelector(button.dataset.copy);
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(source.value);
    button.textContent = button.dataset.copied || label;
    setTimeout(() => { button.textContent = label; }, 2000);
  });
}
