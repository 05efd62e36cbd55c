// The hall screen: the open vote with its countdown (and, for the organisers' screen, how many have voted),
// then the announced result in large type. Nothing is shown of a result before it is announced.

import { $, setText, startLive, watchLive } from "../live/ui.js";
import { api, english, formatSeconds, latestVote, resultView, secondsLeft, voteConfig, votesOf, vt } from "./common.js";

const tallies = new Map();
let drawn = "";

function shown(state) {
  if (voteConfig.item) return votesOf(state).find((v) => String(v.id) === String(voteConfig.item)) || null;
  return latestVote(state);
}

function render(state) {
  const vote = shown(state);
  const signature = JSON.stringify([vote, vote ? tallies.get(vote.id) || null : null]);
  if (signature === drawn) return;
  drawn = signature;
  if (!vote) {
    setText("screen-kind", "");
    setText("screen-question", vt("no_vote"));
    setText("screen-rule", "");
    $("screen-count").hidden = true;
    $("screen-result").replaceChildren();
    return;
  }
  setText("screen-kind", `${vt(vote.secret ? "secret" : "named")} · ${vt(`status_${vote.status}`)}`);
  setText("screen-question", vote.question.text);
  setText("screen-rule", vt("rule", { rule: english ? vote.rule_en : vote.rule_vi }));
  const tally = tallies.get(vote.id);
  const count = $("screen-count");
  count.hidden = !(vote.status === "open" && tally);
  if (tally) count.textContent = vt("voted_count", { voted: tally.voted, voters: tally.voters });
  if (vote.status === "open" && !tally) askTally(vote);
  const result = vote.status === "published" ? resultView(vote, { big: true }) : null;
  $("screen-result").replaceChildren(...(result ? [result] : []));
}

const asked = new Set();
async function askTally(vote) {
  if (asked.has(vote.id)) return;
  asked.add(vote.id);
  try {
    tallies.set(vote.id, await api("GET", `/${vote.id}/tally`));
    render(socket.state);
  } catch (err) {
    /* not an organiser: the screen shows no count */
  }
}

function tick(state, socket) {
  const vote = shown(state);
  const node = $("screen-timer");
  if (!vote || vote.status !== "open" || !vote.deadline) {
    node.hidden = true;
    return;
  }
  const left = secondsLeft(vote, socket.now());
  node.hidden = false;
  node.textContent = left > 0 ? formatSeconds(left) : vt("time_up");
}

const socket = startLive({ render, tick });
// Organisers' screens get the live count as coalesced "vote.tally" frames.
watchLive({
  ready: () => {
    asked.clear();
    tallies.clear();
    drawn = "";
    render(socket.state);
  },
  frame: (frame) => {
    if (frame.type !== "vote.tally") return;
    tallies.set(frame.item_id, frame);
    render(socket.state);
  },
});
