// Small DOM helpers shared by the page scripts (live room, documents, video briefing); no side effects.

export function $(id) {
  return document.getElementById(id);
}

// The data a template wrote with json_script; {} when the page has none.
export function readJSON(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

// el("li", {class: "x", dataset: {id: 3}}, "text", child): text is always set as text, never as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    // Through the CSSOM: the Content-Security-Policy (style-src 'self') refuses style attributes.
    else if (name === "style") node.style.cssText = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Show a message in node for six seconds; a newer message in the same node starts the six seconds again.
const hideTimers = new WeakMap();
export function showBriefly(node, message) {
  node.textContent = message;
  node.hidden = false;
  clearTimeout(hideTimers.get(node));
  hideTimers.set(
    node,
    setTimeout(() => {
      node.hidden = true;
    }, 6000),
  );
}
