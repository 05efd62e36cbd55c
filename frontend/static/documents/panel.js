// The documents section of the meeting page: documents per agenda item, upload with a progress bar,
// new versions, approval, access settings, recall, the read report and the person's meeting book.

import { api, el, formatDateTime, readJSON, t, toast, upload } from "./common.js";

const config = readJSON("documents-config");
const $ = (id) => document.getElementById(id);
const base = `/meetings/${config.meeting_id}`;
let documents = [];

function options(select, rows, { empty = null, value = null } = {}) {
  const items = [];
  if (empty != null) items.push(el("option", { value: "" }, empty));
  for (const [v, label] of rows) items.push(el("option", { value: v, selected: String(v) === String(value) }, label));
  select.replaceChildren(...items);
}

function agendaRows() {
  return config.agenda.map((item) => [item.id, `${item.order}. ${item.title}`]);
}

// The list -------------------------------------------------------------------------------------------

async function load() {
  try {
    documents = await api("GET", `${base}/documents`);
  } catch (error) {
    $("doc-groups").replaceChildren(el("p", { class: "error" }, error.message));
    return;
  }
  render();
}

function render() {
  const groups = [];
  const sections = config.agenda.map((item) => ({ title: `${item.order}. ${item.title}`, id: item.id }));
  sections.push({ title: t("no_item"), id: null });
  for (const section of sections) {
    const docs = documents.filter((d) => (d.agenda_item_id ?? null) === section.id);
    if (!docs.length && (section.id == null || !config.can_manage)) continue;
    groups.push(
      el(
        "div",
        { class: "doc-group", dataset: { item: section.id ?? "" } },
        el("h3", {}, section.title),
        docs.length ? el("ul", { class: "doc-list" }, docs.map(row)) : el("p", { class: "muted small" }, t("no_documents")),
      ),
    );
  }
  $("doc-groups").replaceChildren(...(groups.length ? groups : [el("p", { class: "empty" }, t("no_documents"))]));
}

function badge(text, cls) {
  return el("span", { class: `badge ${cls}` }, text);
}

function row(doc) {
  const current = doc.current_version;
  const thumb = current
    ? el("img", { class: "doc-row__thumb", src: current.thumbnail_url, alt: "", loading: "lazy", width: 56 })
    : el("span", { class: "doc-row__thumb--none" }, t("not_uploaded"));
  const meta = [];
  if (current) meta.push(t("version_n", { number: current.number }), t("pages_n", { pages: current.pages }));
  if (doc.restricted) meta.push(doc.access_label);
  if (doc.classification !== "none") meta.push(doc.classification_label);
  if (doc.preparing_unit) meta.push(t("requested_from", { unit: doc.preparing_unit.name }));
  if (doc.available_from || doc.available_until) {
    meta.push(t("available", { from: formatDateTime(doc.available_from, config.time_zone) || "…", until: formatDateTime(doc.available_until, config.time_zone) || "…" }));
  }
  const tools = [];
  if (current) {
    tools.push(el("a", { class: "button small primary", href: doc.viewer_url }, t("open")));
    tools.push(el("a", { class: "button small", href: `${doc.download_url}?version=${current.number}` }, t("download")));
  }
  if (doc.can_prepare && !doc.recalled_at) tools.push(versionButton(doc));
  if (doc.can_manage) {
    tools.push(el("button", { type: "button", class: "small", onclick: (ev) => toggleSettings(doc, ev.currentTarget) }, t("settings")));
    tools.push(
      doc.recalled_at
        ? el("button", { type: "button", class: "small", onclick: () => act("POST", `/documents/${doc.id}/restore`) }, t("restore"))
        : el("button", { type: "button", class: "small danger-outline", onclick: () => confirm(t("confirm_recall")) && act("POST", `/documents/${doc.id}/recall`) }, t("recall")),
    );
  }
  const versions = (doc.can_prepare ? doc.versions : []).filter((v) => v.status !== "approved" || doc.versions.length > 1);
  return el(
    "li",
    { class: "doc-row", dataset: { document: doc.id } },
    thumb,
    el(
      "div",
      {},
      el("div", { class: "doc-row__title" }, doc.title, " ",
        doc.recalled_at ? badge(t("recalled"), "doc-recalled") : null,
        doc.pending_versions ? badge(t("pending_n", { count: doc.pending_versions }), "doc-pending") : null),
      el("div", { class: "meta" }, meta.join(" · ")),
      versions.length ? el("ol", { class: "doc-row__versions" }, versions.map((v) => versionRow(doc, v))) : null,
      el("div", { class: "doc-row__settings", dataset: { settingsFor: doc.id } }),
    ),
    el("div", { class: "doc-row__tools" }, tools),
  );
}

function versionRow(doc, v) {
  const parts = [
    el("strong", {}, t("version_n", { number: v.number })),
    " ",
    badge(t(`status_${v.status}`), v.status === "pending" ? "doc-pending" : v.status === "returned" ? "doc-returned" : ""),
    " ",
    el("span", { class: "muted" }, [v.uploaded_by, formatDateTime(v.uploaded_at, config.time_zone)].filter(Boolean).join(", ")),
  ];
  if (v.status === "returned" && v.reason) parts.push(el("div", { class: "reason" }, t("returned_because", { reason: v.reason })));
  if (v.status === "pending" && doc.can_approve) {
    parts.push(
      " ",
      el("button", { type: "button", class: "small primary", onclick: () => act("POST", `/documents/${doc.id}/versions/${v.number}/approve`, undefined, t("approved")) }, t("approve")),
      " ",
      el("button", {
        type: "button",
        class: "small danger-outline",
        onclick: () => {
          const reason = window.prompt(t("return_reason"));
          if (reason != null) act("POST", `/documents/${doc.id}/versions/${v.number}/return`, { reason }, t("returned"));
        },
      }, t("return")),
    );
  }
  if (v.status !== "approved" || doc.can_manage) {
    parts.push(" ", el("a", { href: `${doc.viewer_url}?version=${v.number}`, class: "small" }, t("open")));
  }
  return el("li", {}, parts);
}

async function act(method, path, body, done = null) {
  try {
    await api(method, path, body);
    if (done) toast(done);
    await load();
  } catch (error) {
    toast(error.message);
  }
}

// A new version: a hidden file input behind a button, uploaded with progress.
function versionButton(doc) {
  const input = el("input", { type: "file", hidden: true, accept: ".pdf,.docx,.doc,.xlsx,.pptx,.odt,application/pdf" });
  const button = el("button", { type: "button", class: "small", onclick: () => input.click() }, t("new_version"));
  input.addEventListener("change", async () => {
    if (!input.files.length) return;
    const form = new FormData();
    form.append("file", input.files[0]);
    button.disabled = true;
    try {
      await upload(`/documents/${doc.id}/versions`, form, (fraction) => {
        button.textContent = fraction < 1 ? t("uploading", { percent: Math.round(fraction * 100) }) : t("checking");
      });
      toast(t("version_uploaded"));
      await load();
    } catch (error) {
      toast(error.message);
      button.textContent = t("new_version");
      button.disabled = false;
    }
  });
  return el("span", {}, button, input);
}

// Access settings of one document, inline.
function participantChecks(container, chosen) {
  container.replaceChildren(
    ...(config.participants || []).map((p) =>
      el("label", { class: "check" }, el("input", { type: "checkbox", value: p.id, checked: chosen.includes(p.id) }), `${p.name}${p.unit ? ` (${p.unit})` : ""}`),
    ),
  );
}

function localInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function isoFromLocal(value) {
  return value ? new Date(value).toISOString() : null;
}

function toggleSettings(doc, button) {
  const holder = document.querySelector(`[data-settings-for="${doc.id}"]`);
  if (holder.childElementCount) {
    holder.replaceChildren();
    return;
  }
  const access = el("select", { name: "access" });
  options(access, config.access_levels, { value: doc.access });
  const item = el("select", { name: "agenda_item_id" });
  options(item, agendaRows(), { empty: t("items_none"), value: doc.agenda_item_id });
  const checks = el("div", { class: "checklist" });
  participantChecks(checks, doc.allowed_participant_ids || []);
  const classification = el("select", { name: "classification" });
  options(classification, [["none", "—"], ...config.classifications], { value: doc.classification });
  const title = el("input", { type: "text", value: doc.title, maxlength: 500 });
  const from = el("input", { type: "datetime-local", value: localInput(doc.available_from) });
  const until = el("input", { type: "datetime-local", value: localInput(doc.available_until) });
  const restricted = el("div", { hidden: doc.access === "all" }, el("p", { class: "small" }, t("named_people")), checks,
    config.allow_classified ? classification : null);
  access.addEventListener("change", () => {
    restricted.hidden = access.value === "all";
  });
  const form = el(
    "form",
    { class: "doc-settings" },
    el("label", {}, title),
    el("div", { class: "grid two" }, el("label", {}, item), el("label", {}, access)),
    restricted,
    el("div", { class: "grid two" }, from, until),
    el("button", { type: "submit", class: "primary small" }, t("save")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      title: title.value,
      agenda_item_id: item.value ? Number(item.value) : null,
      access: access.value,
      allowed_participant_ids: [...checks.querySelectorAll("input:checked")].map((c) => Number(c.value)),
      available_from: isoFromLocal(from.value),
      available_until: isoFromLocal(until.value),
    };
    if (config.allow_classified) body.classification = classification.value;
    await act("PATCH", `/documents/${doc.id}`, body, t("saved"));
  });
  holder.replaceChildren(form);
  title.focus();
}

// Upload of a new document ---------------------------------------------------------------------------

function wireUpload() {
  const form = $("doc-upload-form");
  if (!form) return;
  options($("doc-item"), agendaRows(), { empty: t("items_none"), value: config.agenda.length ? config.agenda[0].id : null });
  options($("doc-kind"), config.kinds);
  options($("doc-access"), config.access_levels);
  options($("doc-classification"), config.classifications);
  participantChecks(form.querySelector("[data-participants]"), []);
  const sync = () => {
    const value = $("doc-access").value;
    form.querySelector("[data-when-restricted]").hidden = value === "all";
    form.querySelector("[data-when-classified]").hidden = value !== "classified";
  };
  $("doc-access").addEventListener("change", sync);
  sync();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("doc-file").files[0];
    if (!file) return;
    const data = new FormData();
    data.append("file", file);
    for (const name of ["title", "agenda_item_id", "kind", "access"]) data.append(name, form.elements[name].value);
    if ($("doc-access").value === "classified") data.append("classification", $("doc-classification").value);
    const ids = [...form.querySelectorAll("[data-participants] input:checked")].map((c) => c.value);
    if ($("doc-access").value !== "all") data.append("allowed_participant_ids", ids.join(","));
    for (const [name, id] of [["available_from", "doc-from"], ["available_until", "doc-until"]]) {
      if ($(id).value) data.append(name, isoFromLocal($(id).value));
    }
    const progress = $("doc-progress");
    const state = $("doc-upload-state");
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    try {
      await upload(`${base}/documents`, data, (fraction) => {
        progress.value = Math.round(fraction * 100);
        state.textContent = fraction < 1 ? t("uploading", { percent: Math.round(fraction * 100) }) : t("checking");
      });
      state.textContent = t("uploaded");
      form.reset();
      sync();
      await load();
    } catch (error) {
      state.textContent = error.message;
      toast(error.message);
    } finally {
      submit.disabled = false;
      progress.hidden = true;
    }
  });
}

function wireRequest() {
  const form = $("doc-request-form");
  if (!form) return;
  options($("req-unit"), config.units.map((u) => [u.id, u.name]));
  options($("req-item"), agendaRows(), { empty: t("items_none") });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      title: $("req-title").value,
      preparing_unit_id: Number($("req-unit").value),
      agenda_item_id: $("req-item").value ? Number($("req-item").value) : null,
    };
    await act("POST", `${base}/documents/requests`, body, t("saved"));
    form.reset();
  });
}

// The read report -------------------------------------------------------------------------------------------

async function loadReport() {
  const body = $("doc-report-body");
  try {
    const rows = await api("GET", `${base}/documents/reads`);
    if (!rows.length) {
      body.replaceChildren(el("p", { class: "muted" }, t("read_report_empty")));
      return;
    }
    body.replaceChildren(
      ...rows.map((doc) =>
        el(
          "div",
          {},
          el("h4", {}, doc.title),
          el(
            "table",
            { class: "table" },
            el("tbody", {}, doc.readers.map((r) =>
              el("tr", {}, el("td", {}, r.name, r.unit ? el("small", { class: "muted" }, ` (${r.unit})`) : null),
                el("td", {}, r.opened ? t("read_pages", { seen: r.pages_seen, pages: doc.pages }) : t("not_opened")),
                el("td", { class: "muted small" }, formatDateTime(r.last_opened_at, config.time_zone))))),
          ),
        ),
      ),
    );
  } catch (error) {
    body.replaceChildren(el("p", { class: "error" }, error.message));
  }
}

// The meeting book ---------------------------------------------------------------------------------------------

let bookTimer = null;

function showBook(status) {
  const text = $("book-status");
  const progress = $("book-progress");
  const download = $("book-download");
  const busy = status.status === "queued" || status.status === "building";
  progress.hidden = !busy;
  progress.value = status.progress || 0;
  download.hidden = !(status.status === "ready" && status.current);
  $("book-build").disabled = busy;
  if (status.status === "none") text.textContent = t("book_none");
  else if (status.status === "queued") text.textContent = t("book_queued");
  else if (status.status === "building") text.textContent = t("book_building", { progress: status.progress });
  else if (status.status === "failed") text.textContent = t("book_failed", { error: status.error });
  else text.textContent = status.current ? t("book_ready", { pages: status.pages }) : t("book_outdated");
  clearTimeout(bookTimer);
  if (busy || (status.status === "ready" && !status.current)) bookTimer = setTimeout(pollBook, 1500);
}

async function pollBook() {
  try {
    showBook(await api("GET", `${base}/book`));
  } catch (error) {
    $("book-status").textContent = error.message;
  }
}

function wireBook() {
  if (!$("doc-book")) return;
  $("book-build").addEventListener("click", async () => {
    try {
      showBook(await api("POST", `${base}/book`));
    } catch (error) {
      toast(error.message);
    }
  });
  pollBook();
}

wireUpload();
wireRequest();
wireBook();
$("doc-report")?.addEventListener("toggle", (event) => {
  if (event.currentTarget.open) loadReport();
});
$("recall-all")?.addEventListener("click", async () => {
  if (!window.confirm(t("confirm_recall"))) return;
  await act("POST", `${base}/documents/recall`, { restricted_only: true }, t("saved"));
});
load();
