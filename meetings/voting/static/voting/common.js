// What the ballot, the voting console and the hall screen share: strings, the REST calls, the votes in
// the live state (state.votes, see meetings/voting/live_state.py), and the result drawn as bars.

import { el } from "../live/ui.js";

function readJSON(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

export const voteConfig = readJSON("vote-config");
const strings = readJSON("vote-strings");
export const english = (document.documentElement.lang || "vi").startsWith("en");

export function vt(key, params = {}) {
  const text = strings[key] ?? key;
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
}

function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

// The REST API (docs/api.md, "Votes") with the page's session; refusals reject with the server's message.
export async function api(method, path, body = undefined) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = cookie("csrftoken");
  const response = await fetch(`${voteConfig.api}${path}`, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error((data && data.error && data.error.message) || response.statusText);
    error.code = data && data.error && data.error.code;
    throw error;
  }
  return data;
}

export function votesOf(state) {
  return (state && state.votes) || [];
}

export function openVote(state) {
  return inOrder(state, votesOf(state).filter((v) => v.status === "open"))[0] || null;
}

// Votes in the order of the agenda (a vote without an agenda item after those with one), then as prepared.
export function inOrder(state, votes) {
  const order = new Map(((state && state.agenda) || []).map((a) => [a.id, a.order]));
  const rank = (v) => (order.has(v.agenda_item_id) ? order.get(v.agenda_item_id) : Number.MAX_SAFE_INTEGER);
  return [...votes].sort((a, b) => rank(a) - rank(b) || a.id - b.id);
}

// What the delegate's ballot shows: every open vote, in order (several may be open at once: a slate of
// resolutions, an election with several posts), then the latest ones closed or announced, newest first.
export const RECENT_RESULTS = 3;
export function ballotVotes(state) {
  const votes = votesOf(state);
  const open = inOrder(state, votes.filter((v) => v.status === "open"));
  const done = votes.filter((v) => v.status === "closed" || v.status === "published");
  const recent = done.sort((a, b) => (b.closed_at || "").localeCompare(a.closed_at || "") || b.id - a.id);
  return [...open, ...recent.slice(0, RECENT_RESULTS)];
}

// The vote a screen shows: the first open one, else the latest one closed or announced.
export function latestVote(state) {
  const votes = votesOf(state).filter((v) => v.status !== "prepared");
  return openVote(state) || votes[votes.length - 1] || null;
}

export function optionLabel(vote, key) {
  const option = vote.question.options.find((o) => o.key === key);
  if (!option) return key;
  return english && option.label_en ? option.label_en : option.label;
}

export function choiceText(vote, choices, text = "") {
  if (!choices || choices.length === 0) return vt("blank");
  const labels = choices.map((key) => optionLabel(vote, key)).join(", ");
  return text ? `${labels}: “${text}”` : labels;
}

export function secondsLeft(vote, serverNow) {
  if (!vote.deadline) return null;
  return Math.round((Date.parse(vote.deadline) - serverNow) / 1000);
}

export function formatSeconds(seconds) {
  const s = Math.max(0, seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

// The result: the sentence of the record, then one bar per option (share of the rule's denominator).
export function resultView(vote, { big = false } = {}) {
  const result = vote.result;
  if (!result) return null;
  const motion = vote.question.kind === "motion";
  const verdict =
    motion && result.passed != null
      ? el("p", { class: `vote-verdict vote-verdict--${result.passed ? "yes" : "no"}` }, vt(result.passed ? "passed" : "not_passed"))
      : null;
  const bars = el(
    "ul",
    { class: big ? "vote-bars vote-bars--big" : "vote-bars", "data-testid": "vote-bars" },
    result.options.map((o) => {
      const percent = english ? o.percent_en : o.percent_vi;
      const width = Math.min(100, Math.max(0, shareValue(o.share) * 100));
      return el(
        "li",
        { class: `vote-bar vote-bar--${o.status}` },
        el("span", { class: "vote-bar__label" }, optionLabel(vote, o.key)),
        el("span", { class: "vote-bar__track" }, el("span", { class: "vote-bar__fill", style: `width: ${width}%` })),
        el("span", { class: "vote-bar__value" }, `${vt("votes_count", { votes: o.votes })} · ${percent}`),
      );
    }),
  );
  const sentence = el("p", { class: "vote-sentence", "data-testid": "vote-sentence" }, english ? result.sentence_en : result.sentence_vi);
  return el("div", { class: "vote-result" }, verdict, sentence, bars);
}

// "27/45" → 0.6 (shares are exact fractions as text: "0", "1", "3/5").
function shareValue(fraction) {
  const [n, d = 1] = String(fraction).split("/").map(Number);
  return d ? n / d : 0;
}
