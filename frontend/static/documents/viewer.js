// The document viewer: page images (a small one first, then the sharp one), zoom, thumbnails, jump to
// a page, search inside the document, personal notes with a highlighted area, download, and the
// synchronized presentation over the meeting socket (follow the presenter, browse freely, rejoin).

import { MeetingSocket, socketUrl } from "../live/socket.js";
import { api, el, formatDateTime, readJSON, t, toast } from "./common.js";
import { isPresenting, presentationOf } from "./presentation.js";

const config = readJSON("documents-config");
const $ = (id) => document.getElementById(id);
const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];
const SEEN_AFTER_MS = 1500;

const view = {
  doc: config.document,
  version: null, // the version shown: {number, pages, page_sizes}
  page: 1,
  zoom: 1,
  following: null, // follow the presenter? Decided when the first state arrives (see onLiveState)
  driving: false, // this page turns the pages for everyone
  presentation: null,
  socket: null,
  notes: [],
  drawing: false,
  seen: new Set(),
  seenTimer: null,
  imageToken: 0,
};

function pageUrl(page, width, number = view.version.number, docId = view.doc.id) {
  return config.page_url.replace("999999", number).replace("888888", page).replace(/\/documents\/\d+\//, `/documents/${docId}/`) + `?w=${width}`;
}

function pageCount() {
  return view.version ? view.version.pages : 0;
}

function aspect(page) {
  const size = view.version.page_sizes && view.version.page_sizes[page - 1];
  return size && size[0] > 0 ? size[1] / size[0] : 1.414;
}

// Documents -----------------------------------------------------------------------------------------

function useDocument(doc, versionNumber = null) {
  view.doc = doc;
  const current = doc.current_version;
  let version = current;
  if (versionNumber != null && (!current || current.number !== versionNumber)) {
    const other = (doc.versions || []).find((v) => v.number === versionNumber);
    version = other ? { ...other, page_sizes: other.page_sizes || (current && current.page_sizes) || [] } : current;
  }
  view.version = version;
  view.page = Math.min(Math.max(1, view.page), pageCount() || 1);
  $("doc-title").textContent = doc.title;
  document.title = `${doc.title} · ${t("app_name")}`;
  $("doc-meta").textContent = [
    t("version_n", { number: version.number }),
    t("pages_n", { pages: version.pages }),
    doc.restricted ? doc.access_label : null,
    doc.classification !== "none" ? doc.classification_label : null,
  ].filter(Boolean).join(" · ");
  $("doc-restricted").hidden = !doc.restricted;
  $("page-count").textContent = String(version.pages);
  $("page-input").max = String(version.pages);
  const download = $("download");
  download.href = `${doc.download_url}?version=${version.number}`;
  $("download-js-warning").hidden = !version.has_javascript;
  $("notes-export").href = `/api/v1/documents/${doc.id}/notes/export`;
  if (window.location.pathname !== doc.viewer_url) {
    window.history.replaceState(null, "", doc.viewer_url);  // the presenter moved to another document
  }
  view.seen = new Set(doc.my_pages_seen || []);
  renderThumbs();
  loadNotes();
  showPage();
}

async function switchDocument(id, versionNumber, page) {
  try {
    const doc = await api("GET", `/documents/${id}`);
    view.page = page || 1;
    useDocument(doc, versionNumber);
    $("stage-message").hidden = true;
  } catch (error) {
    $("stage-message").textContent = error.status === 403 ? t("presented_not_allowed") : error.message;
    $("stage-message").hidden = false;
  }
}

// Pages -----------------------------------------------------------------------------------------------

function sharpWidth(displayWidth) {
  const needed = displayWidth * (window.devicePixelRatio || 1);
  return needed > config.widths.tablet * 1.15 ? config.widths.full : config.widths.tablet;
}

function showPage() {
  if (!view.version) return;
  const page = view.page;
  const frame = $("page-frame");
  const stage = $("stage");
  const available = Math.max(200, stage.clientWidth - 24);
  const width = Math.round(available * view.zoom);
  frame.style.width = `${width}px`;
  frame.style.height = `${Math.round(width * aspect(page))}px`;
  frame.dataset.page = String(page);
  $("page-input").value = String(page);
  $("current-page").textContent = String(page);
  $("prev").disabled = page <= 1;
  $("next").disabled = page >= pageCount();
  $("zoom-level").textContent = `${Math.round(view.zoom * 100)}%`;
  // A small image at once (often cached: the thumbnails), then the sharp one when it has arrived.
  const token = ++view.imageToken;
  const img = $("page-img");
  img.alt = t("page_alt", { page, pages: pageCount() });
  img.dataset.width = String(config.widths.thumb);
  img.src = pageUrl(page, config.widths.thumb);
  const sharp = new Image();
  const sharpW = sharpWidth(width);
  sharp.onload = () => {
    if (token !== view.imageToken) return;
    img.src = sharp.src;
    img.dataset.width = String(sharpW);
    frame.dataset.sharp = "yes";
  };
  sharp.onerror = () => {
    if (token === view.imageToken) toast(t("page_failed"));
  };
  frame.dataset.sharp = "no";
  sharp.src = pageUrl(page, sharpW);
  // Prefetch the next page's small image: turning pages feels instant on a weak link.
  if (page < pageCount()) new Image().src = pageUrl(page + 1, config.widths.thumb);
  for (const thumb of $("thumbs").querySelectorAll("button")) {
    const current = Number(thumb.dataset.page) === page;
    thumb.classList.toggle("is-current", current);
    if (current) thumb.setAttribute("aria-current", "page");
    else thumb.removeAttribute("aria-current");
  }
  // Bring the current thumbnail into the strip's view, without scrolling the page itself.
  const strip = $("thumbs");
  const currentThumb = strip.querySelector(`button[data-page="${page}"]`);
  if (currentThumb) {
    const outer = strip.getBoundingClientRect();
    const inner = currentThumb.getBoundingClientRect();
    strip.scrollBy({
      left: inner.left - outer.left - (outer.width - inner.width) / 2,
      top: inner.top - outer.top - (outer.height - inner.height) / 2,
    });
  }
  renderNotes();
  renderPresentBar();
  scheduleSeen(page);
}

// goto: the reader's own navigation. While following, it means "browse freely"; while driving, it
// turns the page for everyone.
function goto(page, { own = true } = {}) {
  const n = Math.min(Math.max(1, Math.round(Number(page)) || 1), pageCount() || 1);
  if (own && view.following && presentingThis()) view.following = false;
  view.page = n;
  showPage();
  if (own && view.driving && presentingThis()) {
    sendCommand("present.page", { page: n });
  }
}

function renderThumbs() {
  const list = $("thumbs");
  const items = [];
  for (let page = 1; page <= pageCount(); page += 1) {
    items.push(
      el(
        "button",
        { type: "button", class: "thumb", dataset: { page }, "aria-label": t("go_to_page", { page }), onclick: () => goto(page) },
        el("img", { src: pageUrl(page, config.widths.thumb), alt: "", loading: "lazy", width: 100, height: Math.round(100 * aspect(page)) }),
        el("span", { class: "thumb__number" }, String(page)),
      ),
    );
  }
  list.replaceChildren(...items);
}

// Read tracking: a page shown for a moment counts as seen; sent in batches.
function scheduleSeen(page) {
  clearTimeout(view.seenTimer);
  view.seenTimer = setTimeout(() => {
    if (view.page !== page || view.seen.has(page)) return;
    view.seen.add(page);
    api("POST", `/documents/${view.doc.id}/seen`, { version: view.version.number, pages: [page] }).catch(() => {});
  }, SEEN_AFTER_MS);
}

// Search inside the document --------------------------------------------------------------------------

async function runSearch(event) {
  event.preventDefault();
  const q = $("search-q").value.trim();
  const list = $("search-hits");
  if (!q) {
    list.replaceChildren();
    return;
  }
  list.replaceChildren(el("li", { class: "muted" }, t("searching")));
  try {
    const result = await api("GET", `/documents/${view.doc.id}/search?q=${encodeURIComponent(q)}&version=${view.version.number}`);
    if (!result.hits.length) {
      list.replaceChildren(el("li", { class: "muted" }, t("no_hits")));
      return;
    }
    list.replaceChildren(
      el("li", { class: "muted" }, t("hits_n", { count: result.hits.length })),
      ...result.hits.map((hit) =>
        el(
          "li",
          {},
          el(
            "button",
            { type: "button", class: "hit", dataset: { page: hit.page }, onclick: () => goto(hit.page) },
            el("strong", {}, t("page_n", { page: hit.page })),
            " ",
            el("span", { class: "hit__text" }, hit.before, el("mark", {}, hit.match), hit.after),
          ),
        ),
      ),
    );
  } catch (error) {
    list.replaceChildren(el("li", { class: "error" }, error.message));
  }
}

// Personal notes ------------------------------------------------------------------------------------------

async function loadNotes() {
  try {
    view.notes = await api("GET", `/documents/${view.doc.id}/notes`);
  } catch (error) {
    view.notes = [];
  }
  renderNotes();
}

function renderNotes() {
  const here = view.notes.filter((n) => n.page === view.page);
  $("notes-page").textContent = t("page_n", { page: view.page });
  const list = $("notes");
  if (!here.length) {
    list.replaceChildren(el("li", { class: "muted" }, t("no_notes")));
  } else {
    list.replaceChildren(
      ...here.map((note) =>
        el(
          "li",
          { class: "note-item", dataset: { note: note.id } },
          note.rect ? el("span", { class: "note-item__mark", title: t("highlighted_area") }, "▭") : null,
          el("span", { class: "note-item__text" }, note.text || t("highlighted_area")),
          el("span", { class: "note-item__time muted" }, formatDateTime(note.updated_at, config.time_zone)),
          el("button", { type: "button", class: "linklike", onclick: () => editNote(note) }, t("edit")),
          el("button", { type: "button", class: "linklike danger-text", onclick: () => deleteNote(note) }, t("delete")),
        ),
      ),
    );
  }
  const layer = $("note-layer");
  layer.replaceChildren(
    ...here
      .filter((n) => n.rect)
      .map((n) =>
        el("div", {
          class: "note-rect",
          title: n.text,
          style: `left:${n.rect.x * 100}%;top:${n.rect.y * 100}%;width:${n.rect.w * 100}%;height:${n.rect.h * 100}%`,
        }),
      ),
  );
  const pending = view.pendingRect;
  if (pending) {
    layer.append(el("div", { class: "note-rect note-rect--new", style: `left:${pending.x * 100}%;top:${pending.y * 100}%;width:${pending.w * 100}%;height:${pending.h * 100}%` }));
  }
  $("note-area-state").textContent = pending ? t("area_chosen") : "";
}

async function saveNote(event) {
  event.preventDefault();
  const text = $("note-text").value.trim();
  const rect = view.pendingRect || null;
  if (!text && !rect) {
    toast(t("note_empty"));
    return;
  }
  try {
    const note = await api("POST", `/documents/${view.doc.id}/notes`, { page: view.page, text, rect });
    view.notes.push(note);
    $("note-text").value = "";
    view.pendingRect = null;
    renderNotes();
  } catch (error) {
    toast(error.message);
  }
}

async function editNote(note) {
  const text = window.prompt(t("edit_note"), note.text);
  if (text == null) return;
  try {
    const changed = await api("PATCH", `/notes/${note.id}`, { text });
    view.notes = view.notes.map((n) => (n.id === note.id ? changed : n));
    renderNotes();
  } catch (error) {
    toast(error.message);
  }
}

async function deleteNote(note) {
  if (!window.confirm(t("confirm_delete_note"))) return;
  try {
    await api("DELETE", `/notes/${note.id}`);
    view.notes = view.notes.filter((n) => n.id !== note.id);
    renderNotes();
  } catch (error) {
    toast(error.message);
  }
}

// Drawing the highlighted area: press "Highlight an area", then drag over the page.
function startArea() {
  view.drawing = true;
  $("page-frame").classList.add("is-drawing");
  $("note-area-state").textContent = t("drag_area");
}

function pointerFraction(event) {
  const box = $("page-frame").getBoundingClientRect();
  return {
    x: Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)),
    y: Math.min(1, Math.max(0, (event.clientY - box.top) / box.height)),
  };
}

function wireDrawing() {
  const frame = $("page-frame");
  let start = null;
  frame.addEventListener("pointerdown", (event) => {
    if (!view.drawing) return;
    event.preventDefault();
    start = pointerFraction(event);
    frame.setPointerCapture(event.pointerId);
  });
  frame.addEventListener("pointermove", (event) => {
    if (!view.drawing || !start) return;
    const now = pointerFraction(event);
    view.pendingRect = {
      x: Math.min(start.x, now.x),
      y: Math.min(start.y, now.y),
      w: Math.max(0.005, Math.abs(now.x - start.x)),
      h: Math.max(0.005, Math.abs(now.y - start.y)),
    };
    renderNotes();
  });
  frame.addEventListener("pointerup", () => {
    if (!view.drawing) return;
    view.drawing = false;
    start = null;
    frame.classList.remove("is-drawing");
    renderNotes();
    $("note-text").focus();
  });
}

// The synchronized presentation -------------------------------------------------------------------------

function presentingThis() {
  const p = view.presentation;
  return Boolean(p && p.document_id === view.doc.id);
}

function mayTurnPages() {
  const p = view.presentation;
  return config.can_present || (p && p.presenter_participant_id != null && p.presenter_participant_id === config.participant_id);
}

function sendCommand(name, args) {
  if (!view.socket) return Promise.resolve(null);
  return view.socket.command(name, args).catch((error) => {
    toast(error.message || t("action_failed"));
    return null;
  });
}

function onLiveState(state) {
  const before = view.presentation;
  const p = isPresenting(state) ? presentationOf(state) : null;
  view.presentation = p;
  if (view.following === null) {
    // Opened on the presented document, or from "follow the presentation": follow; otherwise browse.
    view.following = Boolean(p && p.document_id === view.doc.id) || followWanted;
  }
  if (!p) {
    view.driving = false;
  } else if (mayTurnPages() && p.presenter_participant_id === config.participant_id && config.participant_id != null) {
    view.driving = true;
  }
  if (p && view.following && !view.driving) follow(p, before);
  renderPresentBar();
}

function follow(p) {
  if (p.document_id !== view.doc.id || p.version !== view.version.number) {
    switchDocument(p.document_id, p.version, p.page);
    return;
  }
  if (view.page !== p.page) {
    view.page = p.page;
    showPage();
  }
}

function renderPresentBar() {
  const bar = $("present-bar");
  if (!config.live) {
    bar.hidden = true;
    return;
  }
  const p = view.presentation;
  const status = $("present-status");
  const show = (id, visible) => {
    $(id).hidden = !visible;
  };
  bar.hidden = !p && !config.can_present;
  bar.dataset.state = !p ? "idle" : view.driving ? "driving" : view.following ? "following" : "free";
  if (!p) {
    status.textContent = t("no_presentation");
  } else if (!presentingThis()) {
    status.textContent = t("presenting_other");
  } else if (view.driving) {
    status.textContent = t("you_present", { page: p.page, pages: pageCount() });
  } else if (view.following) {
    status.textContent = t("following", { page: p.page, pages: pageCount() });
  } else {
    status.textContent = t("presenter_at", { page: p.page, pages: pageCount() });
  }
  show("present-start", config.can_present && (!p || !presentingThis() || !view.driving));
  show("present-stop", Boolean(p) && (config.can_present || view.driving));
  show("present-leave", Boolean(p) && view.following && !view.driving);
  show("present-follow", Boolean(p) && (!view.following || !presentingThis()) && !view.driving);
}

async function startPresenting() {
  const reply = await sendCommand("present.start", { document_id: view.doc.id, page: view.page });
  if (reply) {
    view.driving = true;
    view.following = true;
    renderPresentBar();
  }
}

async function stopPresenting() {
  await sendCommand("present.stop", {});
  view.driving = false;
  renderPresentBar();
}

function leave() {
  view.following = false;
  renderPresentBar();
}

function rejoin() {
  view.following = true;
  if (view.presentation) follow(view.presentation);
  renderPresentBar();
}

function startSocket() {
  if (!config.live) return;
  const socket = new MeetingSocket(socketUrl(config.meeting_id), {
    onState: (state) => onLiveState(state),
    onStatus: (status) => {
      document.body.dataset.connection = status;
    },
    onError: (error) => toast(error.message || t("action_failed")),
  });
  view.socket = socket;
  socket.connect();
}

// Zoom -------------------------------------------------------------------------------------------------------

function zoomBy(step) {
  const index = ZOOMS.indexOf(view.zoom);
  const next = ZOOMS[Math.min(ZOOMS.length - 1, Math.max(0, (index < 0 ? 2 : index) + step))];
  view.zoom = next;
  showPage();
}

// Wiring ---------------------------------------------------------------------------------------------------------

function wire() {
  $("prev").addEventListener("click", () => goto(view.page - 1));
  $("next").addEventListener("click", () => goto(view.page + 1));
  $("page-form").addEventListener("submit", (event) => {
    event.preventDefault();
    goto($("page-input").value);
  });
  $("zoom-in").addEventListener("click", () => zoomBy(1));
  $("zoom-out").addEventListener("click", () => zoomBy(-1));
  $("zoom-fit").addEventListener("click", () => {
    view.zoom = 1;
    showPage();
  });
  $("search-form").addEventListener("submit", runSearch);
  $("note-form").addEventListener("submit", saveNote);
  $("note-area").addEventListener("click", startArea);
  $("present-start").addEventListener("click", startPresenting);
  $("present-stop").addEventListener("click", stopPresenting);
  $("present-leave").addEventListener("click", leave);
  $("present-follow").addEventListener("click", rejoin);
  $("toggle-side").addEventListener("click", () => {
    const side = $("side");
    side.hidden = !side.hidden;
    $("toggle-side").setAttribute("aria-expanded", side.hidden ? "false" : "true");
    showPage();
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select")) return;
    if (event.key === "ArrowRight" || event.key === "PageDown") goto(view.page + 1);
    if (event.key === "ArrowLeft" || event.key === "PageUp") goto(view.page - 1);
  });
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(showPage, 150);
  });
  wireDrawing();
}

wire();
const params = new URLSearchParams(window.location.search);
const followWanted = params.get("follow") === "1";
const wanted = Number(params.get("page"));
if (wanted > 0) view.page = wanted;
useDocument(view.doc, Number(params.get("version")) || null);
startSocket();
