// A small rich-text editor for the secretary's texts: bold, italic, underline and lists, nothing else.
// It edits a copy of the textarea's HTML and writes it back on submit; the server sanitises whatever
// arrives (nh3: p br strong b em i u ul ol li), so the editor is a convenience, never the safety.
// Without JavaScript the textarea itself takes HTML or plain lines.

const BUTTONS = [
  ["bold", "B", "bold"],
  ["italic", "I", "italic"],
  ["underline", "U", "underline"],
  ["insertUnorderedList", "•", "bullets"],
  ["insertOrderedList", "1.", "numbers"],
];

function enhance(textarea) {
  const source = document.getElementById("editor-labels");
  const labels = source ? JSON.parse(source.textContent) : {};
  const bar = document.createElement("div");
  bar.className = "rich-toolbar";
  bar.setAttribute("role", "toolbar");
  const box = document.createElement("div");
  box.className = "rich-box";
  box.contentEditable = "true";
  box.setAttribute("role", "textbox");
  box.setAttribute("aria-multiline", "true");
  if (textarea.id) {
    const label = document.querySelector(`label[for="${textarea.id}"]`);
    if (label) {
      label.id = label.id || `${textarea.id}-label`;
      box.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", () => box.focus());
    }
  }
  box.dataset.editorFor = textarea.name;
  // The stored value was sanitised by the server before it was stored: only the tags above.
  box.innerHTML = textarea.value;
  for (const [command, text, key] of BUTTONS) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small";
    button.textContent = text;
    button.title = labels[key] || key;
    button.setAttribute("aria-label", labels[key] || key);
    button.addEventListener("click", () => {
      box.focus();
      document.execCommand(command);
    });
    bar.append(button);
  }
  textarea.hidden = true;
  textarea.after(bar, box);
  textarea.closest("form").addEventListener("submit", () => {
    textarea.value = box.innerHTML;
  });
}

document.querySelectorAll("textarea[data-rich]").forEach(enhance);
