// The delegate's ballot in the live room: every open vote, in the agenda's order (several may be open at
// once), each with large buttons, its own confirmation step and its own ballot, then the person's own state
// (voted, with their receipt codes for a secret vote); below them the latest results. The shared state only
// says which votes are open; one's own state comes from the cast reply and GET .../votes/{id}/me (never
// from others).

import { onApplied } from "../live/state.js";
import { $, el, toast, watchLive } from "../live/ui.js";
import {
  api,
  ballotVotes,
  choiceText,
  english,
  formatSeconds,
  resultView,
  secondsLeft,
  voteConfig,
  vt,
} from "./common.js";
import { findReceipt } from "./receipts.js";

let socket = null;
let state = null;
const mine = new Map(); // vote id → my state ({eligible, weight, voted, receipts, choices, ...})
const asking = new Set();
const drafts = new Map(); // vote id → {voteId, choices: [], text, step: "choose" | "confirm" | "sending"}
const checked = new Map(); // vote id → result of a receipt check
const published = new Map(); // vote id → its published receipt list, downloaded once
// vote id → its section of the card and what it shows, so an unrelated event (or a ballot in another vote)
// does not redraw a button under the finger.
const sections = new Map();

const card = $("vote-card");
const list = $("vote-list");
const storeKey = (id) => `phonghop.vote.${voteConfig.meeting_id}.${id}.receipts`;

function remembered(id) {
  try {
    return JSON.parse(localStorage.getItem(storeKey(id)) || "null");
  } catch (err) {
    return null;
  }
}

function remember(id, receipts) {
  try {
    if (receipts && receipts.length) localStorage.setItem(storeKey(id), JSON.stringify(receipts));
  } catch (err) {
    /* private mode: the codes stay on the screen only */
  }
}

async function askMine(vote) {
  if (asking.has(vote.id)) return;
  asking.add(vote.id);
  try {
    const me = await api("GET", `/${vote.id}/me`);
    if (me.receipts) remember(vote.id, me.receipts);
    mine.set(vote.id, me);
  } catch (err) {
    /* shown as "…"; asked again on the next change */
  } finally {
    asking.delete(vote.id);
    render();
  }
}

function section(vote) {
  let part = sections.get(vote.id);
  if (part) return part;
  const make = (tag, cls, testid) => el(tag, { class: cls, "data-testid": testid });
  part = {
    kind: el("span", { class: "chip chip--vote" }),
    agenda: el("span", { class: "vote-item__agenda" }),
    question: make("p", "vote-question", "vote-question"),
    rule: make("p", "vote-rule", "vote-rule"),
    timer: el("p", { class: "vote-timer", hidden: true, "data-testid": "vote-timer" }),
    body: el("div", { class: "vote-body", "aria-live": "polite", "data-testid": "vote-body" }),
    drawn: "",
  };
  part.node = el("article", { class: "vote-item", "data-vote": String(vote.id), "data-testid": "vote-item" },
    el("p", { class: "vote-item__head" }, part.kind, part.agenda), part.question, part.rule, part.timer, part.body);
  sections.set(vote.id, part);
  return part;
}

function header(part, vote) {
  part.kind.textContent = vt(vote.secret ? "secret" : "named");
  part.kind.dataset.secret = vote.secret ? "yes" : "no";
  const agendaItem = ((state && state.agenda) || []).find((a) => a.id === vote.agenda_item_id);
  part.agenda.textContent = agendaItem ? vt("agenda_item", { order: agendaItem.order }) : "";
  part.question.textContent = vote.question.text;
  part.rule.textContent = vt("rule", { rule: english ? vote.rule_en : vote.rule_vi });
}

function render() {
  const votes = ballotVotes(state);
  const shown = new Set(votes.map((v) => v.id));
  for (const id of [...sections.keys()]) if (!shown.has(id)) sections.delete(id);
  if (!votes.length) {
    card.hidden = true;
    list.replaceChildren();
    return;
  }
  card.hidden = false;
  const nodes = votes.map(renderVote);
  const current = [...list.children];
  if (current.length !== nodes.length || current.some((node, i) => node !== nodes[i])) list.replaceChildren(...nodes);
  tick();
}

function renderVote(vote) {
  const part = section(vote);
  const signature = JSON.stringify([vote, mine.get(vote.id) || null, drafts.get(vote.id) || null, asking.has(vote.id)]);
  if (signature === part.drawn) return part.node;
  part.drawn = signature;
  header(part, vote);
  const body = part.body;
  if (vote.status === "open") renderOpen(vote, body);
  else if (vote.status === "closed") body.replaceChildren(el("p", { class: "vote-note" }, vt("closed_wait")), ...myVote(vote));
  else body.replaceChildren(resultView(vote), ...myVote(vote), ...(vote.secret ? [receiptCheck(vote)] : []));
  return part.node;
}

function renderOpen(vote, body) {
  const me = mine.get(vote.id);
  if (!me) {
    askMine(vote);
    return body.replaceChildren(el("p", { class: "vote-note" }, "…"));
  }
  if (!me.eligible) {
    const text = me.proxy_to ? vt("proxy_given", { name: me.proxy_to }) : vt("not_eligible");
    return body.replaceChildren(el("p", { class: "vote-note", "data-testid": "vote-not-eligible" }, text));
  }
  if (me.voted && !drafts.has(vote.id)) return body.replaceChildren(...myVote(vote));
  if (!drafts.has(vote.id)) drafts.set(vote.id, { voteId: vote.id, choices: [], text: "", step: "choose" });
  body.replaceChildren(drafts.get(vote.id).step === "choose" ? chooser(vote) : confirmation(vote));
}

function chooser(vote) {
  const draft = drafts.get(vote.id);
  const q = vote.question;
  const multiple = q.max_choices > 1;
  const pick = (key) => {
    if (multiple) {
      const has = draft.choices.includes(key);
      if (has) draft.choices = draft.choices.filter((k) => k !== key);
      else if (draft.choices.length < q.max_choices) draft.choices = [...draft.choices, key];
      return render();
    }
    draft.choices = [key];
    const option = q.options.find((o) => o.key === key);
    if (!option.needs_text) draft.step = "confirm";
    render();
  };
  const buttons = q.options.map((o) =>
    el(
      "button",
      {
        type: "button",
        class: `btn vote-option vote-option--${o.role}`,
        "aria-pressed": draft.choices.includes(o.key) ? "true" : "false",
        "data-option": o.key,
        onclick: () => pick(o.key),
      },
      english && o.label_en ? o.label_en : o.label,
    ),
  );
  const parts = [el("div", { class: "vote-options", role: "group", "aria-label": q.text }, buttons)];
  const wantsText = draft.choices.some((k) => (q.options.find((o) => o.key === k) || {}).needs_text);
  if (wantsText) {
    const area = el("textarea", { class: "vote-text", rows: "3", maxlength: "1000", "aria-label": vt("other_text"), placeholder: vt("other_text") });
    area.value = draft.text;
    area.addEventListener("input", () => {
      draft.text = area.value;
    });
    parts.push(area);
  }
  if (multiple) parts.unshift(el("p", { class: "vote-note" }, vt("choose_up_to", { n: q.max_choices })));
  if (multiple || wantsText) {
    const allowed = draft.choices.length >= q.min_choices;
    parts.push(
      el(
        "button",
        {
          type: "button",
          class: "btn btn--primary vote-send",
          disabled: !allowed,
          onclick: () => {
            if (wantsText && !draft.text.trim()) return toast(vt("text_required"));
            draft.step = "confirm";
            render();
          },
        },
        vt("send_ballot"),
      ),
    );
  }
  return el("div", { class: "vote-chooser" }, parts);
}

function confirmation(vote) {
  const draft = drafts.get(vote.id);
  const sending = draft.step === "sending";
  return el(
    "div",
    { class: "vote-confirm", role: "alertdialog", "aria-labelledby": "vote-confirm-title", "data-testid": "vote-confirm" },
    el("p", { class: "vote-confirm__title", id: "vote-confirm-title" }, vt("confirm_title")),
    el("p", { class: "vote-confirm__choice" }, vt("you_chose", { choice: choiceText(vote, draft.choices, draft.text.trim()) })),
    el(
      "div",
      { class: "vote-confirm__buttons" },
      el(
        "button",
        { type: "button", class: "btn btn--primary vote-option", disabled: sending, "aria-busy": sending ? "true" : null, onclick: () => send(vote) },
        sending ? vt("sending") : vt("confirm"),
      ),
      el(
        "button",
        { type: "button", class: "btn vote-option", disabled: sending, onclick: () => {
          draft.step = "choose";
          render();
        } },
        vt("back"),
      ),
    ),
  );
}

async function send(vote) {
  const draft = drafts.get(vote.id);
  if (!socket || !draft || draft.step === "sending") return;
  draft.step = "sending";
  render();
  const choices = draft.choices;
  const text = draft.text.trim();
  try {
    // The socket keeps the command's id until the server answers, and sends it again after a reconnect:
    // the server answers a repeated id without counting the ballot twice.
    const reply = await socket.command("vote.cast", { item_id: vote.id, choices, text });
    remember(vote.id, reply.receipts);
    const before = mine.get(vote.id) || {};
    // A secret choice is not kept on the screen (a neighbour's glance); the receipt code is.
    mine.set(vote.id, { ...before, voted: true, weight: reply.weight, receipts: reply.receipts || before.receipts,
      choices: vote.secret ? null : choices, text: vote.secret ? "" : text, can_change: vote.allow_change });
    drafts.delete(vote.id);
  } catch (error) {
    toast(error.message || vt("not_eligible"));
    draft.step = "choose";
    if (error.code === "already_voted" || error.code === "vote_closed" || error.code === "vote_time_up") {
      // Voted meanwhile from another device (the hall's tablet, the phone), or too late: ask the server.
      drafts.delete(vote.id);
      mine.delete(vote.id);
    }
  }
  render();
}

function myVote(vote) {
  const me = mine.get(vote.id);
  if (!me && vote.status !== "open") askMine(vote);
  if (!me || !me.voted) return [];
  const parts = [
    el("p", { class: "vote-done", "data-testid": "vote-done" }, me.weight > 1 ? vt("voted_weight", { weight: me.weight }) : vt("voted")),
  ];
  const own = me.choices;
  if (own) parts.push(el("p", { class: "vote-note" }, vt("your_choice", { choice: choiceText(vote, own, me.text) })));
  const receipts = me.receipts || remembered(vote.id);
  if (vote.secret && receipts && receipts.length) {
    parts.push(
      el(
        "div",
        { class: "vote-receipts", "data-testid": "vote-receipts" },
        el("p", { class: "vote-receipts__title" }, vt("receipts_title")),
        el("ul", {}, receipts.map((code) => el("li", {}, el("code", {}, code)))),
        el("p", { class: "vote-note" }, vt("receipts_note")),
      ),
    );
  }
  if (vote.status === "open" && me.can_change) {
    parts.push(el("button", { type: "button", class: "btn", onclick: () => {
      drafts.set(vote.id, { voteId: vote.id, choices: [], text: "", step: "choose" });
      render();
    } }, vt("change")));
  }
  return parts;
}

function receiptCheck(vote) {
  const input = el("input", { type: "text", class: "vote-receipt-input", placeholder: vt("receipt_placeholder"),
    autocomplete: "off", "aria-label": vt("check_receipt") });
  const out = el("p", { class: "vote-note", "aria-live": "polite" });
  const known = remembered(vote.id);
  if (known && known.length) input.value = known[0];
  const shown = checked.get(vote.id);
  if (shown) out.textContent = shown;
  const form = el("form", { class: "vote-receipt-check" }, input,
    el("button", { type: "submit", class: "btn" }, vt("check_receipt")), out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      // The whole published list, searched here: the server never sees the code (receipts.js).
      if (!published.has(vote.id)) published.set(vote.id, (await api("GET", `/${vote.id}/receipts`)).receipts);
      const found = findReceipt(published.get(vote.id), input.value);
      const text = found === null ? vt("receipt_invalid")
        : found.row ? vt("receipt_found", { choice: choiceText(vote, found.row.choices, found.row.text) })
        : vt("receipt_missing");
      checked.set(vote.id, text);
      out.textContent = text;
    } catch (error) {
      out.textContent = error.message;
    }
  });
  return form;
}

function tick() {
  for (const vote of ballotVotes(state)) {
    const part = sections.get(vote.id);
    if (!part) continue;
    const node = part.timer;
    if (vote.status !== "open" || !vote.deadline || !socket) {
      node.hidden = true;
      continue;
    }
    const left = secondsLeft(vote, socket.now());
    node.hidden = false;
    node.dataset.over = left <= 0 ? "yes" : "no";
    node.textContent = left > 0 ? vt("time_left", { time: formatSeconds(left) }) : vt("time_up");
  }
}

watchLive({
  socket: (s) => {
    socket = s;
  },
  ready: () => {
    // After a reconnect one's own state may have changed elsewhere (another device): ask again.
    mine.clear();
    render();
  },
});

let queued = false;
onApplied((next, frame) => {
  state = next;
  if (frame && frame.event === "vote.opened") mine.delete(frame.data.id);
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    render();
  });
});
setInterval(tick, 1000);
