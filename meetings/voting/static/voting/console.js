// The organisers' voting card in the chair's console: prepare a vote (REST), open / extend / close /
// announce it (socket commands), follow the live tally of every open vote (several may be open at once;
// coalesced "vote.tally" frames per vote, editors only) and, for a named vote, who has not voted yet.

import { onApplied } from "../live/state.js";
import { $, el, run, toast, watchLive } from "../live/ui.js";
import { api, english, formatSeconds, inOrder, optionLabel, secondsLeft, voteConfig, votesOf, vt } from "./common.js";

let socket = null;
let state = null;
let roles = new Set();
const tallies = new Map(); // vote id → the latest tally frame (or REST answer)
const list = $("votes-list");

const may = () => roles.has("chair") || roles.has("secretary");

async function fetchTally(vote) {
  try {
    const data = await api("GET", `/${vote.id}/tally`);
    const known = tallies.get(vote.id);
    if (!known || known.voted <= data.voted) tallies.set(vote.id, data);
    render();
  } catch (err) {
    /* the next frame brings it */
  }
}

function participantName(id) {
  const p = state && state.participants.find((x) => x.id === id);
  return p ? p.name : "—";
}

function command(name, args, button) {
  return run(socket, name, args, button);
}

function actions(vote) {
  const buttons = [];
  const button = (label, handler, cls = "btn btn--small") =>
    el("button", { type: "button", class: cls, disabled: !may(), onclick: (ev) => handler(ev.currentTarget) }, label);
  if (vote.status === "prepared") {
    buttons.push(button(vt("open"), (b) => command("vote.open", { item_id: vote.id }, b), "btn btn--small btn--primary"));
    buttons.push(button(vt("delete"), async (b) => {
      if (!window.confirm(vt("confirm_delete"))) return;
      b.setAttribute("aria-busy", "true");
      try {
        await api("DELETE", `/${vote.id}`);
      } catch (error) {
        toast(error.message);
      } finally {
        b.removeAttribute("aria-busy");
      }
    }));
  } else if (vote.status === "open") {
    if (vote.deadline) {
      for (const seconds of [30, 60]) {
        buttons.push(button(vt("extend", { seconds }), (b) => command("vote.extend", { item_id: vote.id, seconds }, b)));
      }
    }
    buttons.push(button(vt("close"), (b) => {
      if (window.confirm(vt("confirm_close"))) command("vote.close", { item_id: vote.id }, b);
    }, "btn btn--small btn--danger"));
  } else if (vote.status === "closed") {
    buttons.push(button(vt("publish"), (b) => {
      if (window.confirm(vt("confirm_publish"))) command("vote.publish", { item_id: vote.id }, b);
    }, "btn btn--small btn--primary"));
  }
  if (vote.status === "closed" || vote.status === "published") {
    for (const fmt of ["csv", "xlsx", "pdf"]) {
      buttons.push(el("a", { class: "btn btn--small btn--ghost", href: `${voteConfig.api}/${vote.id}/export.${fmt}` }, vt(`export_${fmt}`)));
    }
  }
  return el("div", { class: "buttons" }, buttons);
}

function tallyView(vote) {
  const tally = tallies.get(vote.id);
  if (!tally) return el("p", { class: "vote-note" }, "…");
  const parts = [el("p", { class: "vote-count", "data-testid": "vote-count" }, vt("voted_count", { voted: tally.voted, voters: tally.voters }))];
  if (tally.counts) {
    parts.push(el("ul", { class: "vote-live" }, Object.entries(tally.counts).map(([key, n]) =>
      el("li", {}, el("span", {}, optionLabel(vote, key)), el("strong", {}, String(n))))));
  }
  if (tally.not_voted) {
    const names = tally.not_voted.map(participantName);
    parts.push(el("p", { class: "vote-note", "data-testid": "vote-not-voted" },
      names.length ? vt("not_voted", { names: names.join(", ") }) : vt("everyone_voted")));
  }
  return el("div", { class: "vote-tally" }, parts);
}

function row(vote) {
  const agendaItem = state.agenda.find((a) => a.id === vote.agenda_item_id);
  const head = el(
    "div",
    { class: "vote-row__head" },
    el("span", { class: `chip vote-status vote-status--${vote.status}` }, vt(`status_${vote.status}`)),
    el("span", { class: "chip" }, vt(vote.secret ? "secret" : "named")),
    agendaItem ? el("span", { class: "vote-row__agenda" }, vt("agenda_item", { order: agendaItem.order })) : null,
  );
  const parts = [head, el("p", { class: "vote-row__question" }, vote.question.text),
    el("p", { class: "vote-rule" }, vt("rule", { rule: english ? vote.rule_en : vote.rule_vi }))];
  if (vote.status === "open") {
    if (vote.deadline && socket) {
      const left = secondsLeft(vote, socket.now());
      parts.push(el("p", { class: "vote-timer", "data-vote-deadline": vote.deadline },
        left > 0 ? vt("time_left", { time: formatSeconds(left) }) : vt("time_up")));
    }
    parts.push(tallyView(vote));
  }
  if (vote.result) {
    parts.push(el("p", { class: "vote-sentence", "data-testid": "vote-sentence" }, english ? vote.result.sentence_en : vote.result.sentence_vi));
  }
  parts.push(actions(vote));
  return el("li", { class: `vote-row vote-row--${vote.status}`, dataset: { vote: vote.id } }, parts);
}

let drawn = "";

function render() {
  if (!state) return;
  const votes = votesOf(state);
  // Redraw only on a real change: a button under the chair's finger is not replaced by an unrelated event.
  const signature = JSON.stringify([votes, [...tallies.entries()], [...roles], state.agenda.length]);
  if (signature === drawn) return;
  drawn = signature;
  if (!votes.length) {
    list.replaceChildren(el("li", { class: "empty" }, vt("no_votes")));
    return;
  }
  for (const vote of votes) if (vote.status === "open" && !tallies.has(vote.id)) fetchTally(vote);
  // The open votes first, in the agenda's order, each with its own tally; then the others, newest first.
  const open = inOrder(state, votes.filter((v) => v.status === "open"));
  const others = [...votes].filter((v) => v.status !== "open").reverse();
  list.replaceChildren(...[...open, ...others].map(row));
}

// The form -------------------------------------------------------------------------------------

const form = $("vote-form");

function showFields() {
  const preset = form.elements.preset.value;
  for (const node of form.querySelectorAll("[data-when]")) node.hidden = !node.dataset.when.split(" ").includes(preset);
  const threshold = form.elements.threshold.value;
  for (const node of form.querySelectorAll("[data-when-threshold]")) node.hidden = node.dataset.whenThreshold !== threshold;
}

form.addEventListener("change", showFields);
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = form.elements;
  const spec = {
    question: f.question.value,
    preset: f.preset.value,
    options: f.options.value.split("\n").map((x) => x.trim()).filter(Boolean),
    secret: f.secret.checked,
    allow_change: f.allow_change.checked,
    publish_on_close: f.publish_on_close.checked,
    duration: Math.round(Number(f.minutes.value || 0) * 60),
    agenda_item_id: f.agenda_item_id.value ? Number(f.agenda_item_id.value) : null,
    rule: {
      threshold: f.threshold.value, fraction: f.fraction.value || null, comparison: f.comparison.value,
      denominator: f.denominator.value, quorum: f.quorum.value, abstentions: f.abstentions.value,
    },
  };
  if (["election", "custom"].includes(spec.preset)) spec.max_choices = Number(f.max_choices.value || 1);
  if (spec.preset === "election") spec.seats = Number(f.seats.value || 1);
  const button = ev.submitter;
  if (button) button.setAttribute("aria-busy", "true");
  try {
    await api("POST", "", spec);
    form.reset();
    showFields();
    toast(vt("prepared_ok"));
  } catch (error) {
    toast(error.message);
  } finally {
    if (button) button.removeAttribute("aria-busy");
  }
});
showFields();

// The socket ----------------------------------------------------------------------------------

watchLive({
  socket: (s) => {
    socket = s;
  },
  ready: (you) => {
    roles = new Set(you.roles || []);
    tallies.clear(); // frames are not replayed: ask for the count again
    render();
  },
  frame: (frame) => {
    if (frame.type !== "vote.tally") return;
    const known = tallies.get(frame.item_id);
    if (!known || !known.at || !frame.at || known.at <= frame.at) tallies.set(frame.item_id, frame);
    render();
  },
});

let queued = false;
onApplied((next) => {
  state = next;
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    render();
  });
});
setInterval(() => {
  for (const node of list.querySelectorAll("[data-vote-deadline]")) {
    const left = Math.round((Date.parse(node.dataset.voteDeadline) - socket.now()) / 1000);
    node.textContent = left > 0 ? vt("time_left", { time: formatSeconds(left) }) : vt("time_up");
  }
}, 1000);
