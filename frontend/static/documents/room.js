// The live room's documents card: the documents the person may read (refetched when the socket says
// the list changed), and the page being presented, with a link to follow the presentation.

import { onApplied } from "../live/state.js";
import { api, el, readJSON, t } from "./common.js";
import { presentationOf } from "./presentation.js";

const config = readJSON("documents-config");
const list = document.getElementById("documents");
const presenting = document.getElementById("room-presenting");
let documents = [];
let shown = null;
let loading = null;

async function load() {
  if (loading) return loading;
  loading = api("GET", `/meetings/${config.meeting_id}/documents`)
    .then((rows) => {
      documents = rows.filter((d) => d.current_version);
      renderList();
      renderPresenting(shown);
    })
    .catch(() => {})
    .finally(() => {
      loading = null;
    });
  return loading;
}

function renderList() {
  if (!documents.length) {
    list.replaceChildren(el("li", { class: "empty" }, t("no_documents")));
    return;
  }
  list.replaceChildren(
    ...documents.map((d) =>
      el(
        "li",
        { dataset: { document: d.id } },
        el("span", {}, el("a", { href: d.viewer_url }, d.title), " ",
          el("span", { class: "room-docs__meta" }, t("pages_n", { pages: d.current_version.pages }))),
      ),
    ),
  );
}

function renderPresenting(p) {
  shown = p;
  const doc = p && p.document_id != null ? documents.find((d) => d.id === p.document_id) : null;
  if (!doc) {
    presenting.hidden = true;
    return;
  }
  presenting.hidden = false;
  const src = `/documents/${doc.id}/v${p.version}/pages/${p.page}.jpg?w=1024`;
  presenting.replaceChildren(
    el("strong", {}, t("presenting", { title: doc.title, page: p.page })),
    " ",
    el("a", { class: "btn btn--small", href: `${doc.viewer_url}?follow=1` }, t("follow")),
    el("img", { src, alt: t("page_n", { page: p.page }), loading: "lazy" }),
  );
}

let pendingState = null;
onApplied((state, frame) => {
  if (!frame || frame.event === "documents.changed") load();
  pendingState = state;
  requestAnimationFrame(() => {
    if (!pendingState) return;
    const p = presentationOf(pendingState);
    pendingState = null;
    if (!shown || p.document_id !== shown.document_id || p.page !== shown.page || p.version !== shown.version) {
      renderPresenting(p);
    }
  });
});
load();
