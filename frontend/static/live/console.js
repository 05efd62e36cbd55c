// The chair's console: roll call, the two queues, the floor, the agenda, start and end.

import { attendanceOf, guests, isMember, queueOf } from "./state.js";
import {
  $,
  el,
  participantName,
  renderProceedings,
  replaceChildren,
  run,
  setText,
  startLive,
  t,
  tickTimers,
  timeOfDay,
} from "./ui.js";

let socket = null;
let roles = new Set();
let connectedUsers = new Set();

// The server decides; the console only greys out what it would refuse (meetings/services/live.py):
// the floor is the chair's, the roll call, agenda and start/end are the chair's and the secretary's.
function may(action) {
  if (action === "floor") return roles.has("chair");
  return roles.has("chair") || roles.has("secretary");
}

function render(state) {
  renderProceedings(state, { onGoto: (item, button) => run(socket, "agenda.goto", { item_id: item.id }, button) });
  renderMeetingButtons(state);
  renderFloorButtons(state);
  renderQueue(state, "speak");
  renderQueue(state, "question");
  renderRollCall(state);
  const rule = $("quorum-rule");
  if (document.activeElement !== rule) rule.value = state.live.quorum_rule;
}

function renderMeetingButtons(state) {
  const status = state.meeting && state.meeting.status;
  $("meeting-start").hidden = status !== "published";
  $("meeting-end").hidden = status !== "in_progress";
  $("meeting-start").disabled = !may("organise");
  $("meeting-end").disabled = !may("organise");
  for (const button of document.querySelectorAll("[data-goto]")) button.disabled = !may("organise");
  $("quorum-rule").disabled = !may("organise");
}

function renderFloorButtons(state) {
  const floor = state.live.floor;
  const current = { open: "open", pause: "paused", close: "closed" };
  for (const button of document.querySelectorAll("[data-floor]")) {
    const active = current[button.dataset.floor] === floor;
    button.disabled = active;
    button.setAttribute("aria-pressed", active ? "true" : "false");
  }
  $("floor-next").disabled = state.queue.length === 0;
  $("floor-end-speaker").disabled = !state.live.speaker;
  if (!may("floor")) {
    for (const button of document.querySelectorAll(".card--floor button")) button.disabled = true;
  }
  $("limit-minutes").disabled = !may("floor");
  $("limit-form").querySelector("button").disabled = !may("floor");
  const limit = state.live.speaking_limit;
  setText("limit-current", limit ? t("limit_minutes", { minutes: formatMinutes(limit) }) : t("no_limit"));
  const input = $("limit-minutes");
  if (document.activeElement !== input) input.value = limit ? formatMinutes(limit) : "";
}

function formatMinutes(seconds) {
  return Number.isInteger(seconds / 60) ? String(seconds / 60) : (seconds / 60).toFixed(1);
}

// Keyed update of a list: rows are reused by key so a button under the finger is not replaced
// while the chair is pressing it.
function sync(container, rows, key, create, update) {
  const existing = new Map();
  for (const node of container.children) if (node.dataset.key) existing.set(node.dataset.key, node);
  const nodes = rows.map((row) => {
    const k = String(key(row));
    let node = existing.get(k);
    if (!node) {
      node = create(row);
      node.dataset.key = k;
    }
    update(node, row);
    return node;
  });
  nodes.forEach((node, index) => {
    if (container.children[index] !== node) container.insertBefore(node, container.children[index] || null);
  });
  while (container.children.length > nodes.length) container.lastElementChild.remove();
}

function renderQueue(state, kind) {
  const list = $(`queue-${kind}`);
  const rows = queueOf(state, kind);
  setText(`count-${kind}`, `(${rows.length})`);
  if (rows.length === 0) {
    replaceChildren(list, [el("li", { class: "empty" }, t("queue_empty"))]);
    return;
  }
  sync(
    list,
    rows,
    (r) => r.id,
    (r) =>
      el(
        "li",
        { class: "queue__row" },
        el("span", { class: "queue__name" }),
        el("time", { class: "queue__time" }),
        el(
          "button",
          {
            type: "button",
            class: "btn btn--small btn--primary",
            onclick: (ev) =>
              run(socket, "floor.give", { participant_id: r.participant_id, kind: r.kind }, ev.currentTarget),
          },
          t("give_floor"),
        ),
      ),
    (node, r) => {
      node.querySelector(".queue__name").textContent = participantName(state, r.participant_id);
      node.querySelector("button").disabled = !may("floor");
      const time = node.querySelector(".queue__time");
      time.dateTime = r.requested_at || "";
      time.textContent = timeOfDay(r.requested_at);
    },
  );
}

function renderRollCall(state) {
  const counts = state.roll_call;
  for (const name of ["in_person", "online", "absent", "left", "not_yet"]) setText(`count-${name}`, String(counts[name]));
  const g = guests(state);
  setText("count-guests", `${g.present}/${g.total}`);
  const people = [...state.participants].sort(
    (a, b) => Number(isMember(b)) - Number(isMember(a)) || (a.name || "").localeCompare(b.name || "", "vi"),
  );
  sync(
    $("rollcall-body"),
    people,
    (p) => p.id,
    (p) => {
      const action = (label, handler) =>
        el("button", { type: "button", class: "btn btn--small", onclick: (ev) => handler(ev.currentTarget) }, label);
      return el(
        "tr",
        {},
        el("th", { scope: "row" }, el("span", { class: "rollcall__name" }), el("span", { class: "presence" })),
        el("td", { class: "rollcall__role" }),
        el("td", {}, el("span", { class: "attendance" }), el("span", { class: "absence-reason" })),
        el(
          "td",
          {},
          el(
            "div",
            { class: "rollcall__actions" },
            action(t("check_in_person"), (b) =>
              run(socket, "checkin", { participant_id: p.id, mode: "in_person" }, b),
            ),
            action(t("check_in_online"), (b) => run(socket, "checkin", { participant_id: p.id, mode: "online" }, b)),
            action(t("mark_absent"), (b) => run(socket, "mark_absent", { participant_id: p.id }, b)),
            action(t("give_floor"), (b) => run(socket, "floor.give", { participant_id: p.id }, b)),
          ),
        ),
      );
    },
    (row, p) => {
      const attendance = attendanceOf(p);
      row.dataset.attendance = attendance;
      row.querySelector(".rollcall__name").textContent = p.name;
      const here = connectedUsers.has(p.user_id);
      const dot = row.querySelector(".presence");
      dot.dataset.online = here ? "yes" : "no";
      dot.title = here ? t("connected_now") : "";
      dot.textContent = here ? t("connected_now") : "";
      row.querySelector(".rollcall__role").textContent = t(`role_${p.role}`);
      const badge = row.querySelector(".attendance");
      badge.dataset.attendance = attendance;
      badge.textContent = t(`attendance_${attendance}`);
      row.querySelector(".absence-reason").textContent = attendance === "absent" ? p.absence_reason || "" : "";
      const buttons = row.querySelectorAll(".rollcall__actions button");
      buttons[0].disabled = !may("organise") || attendance === "in_person";
      buttons[1].disabled = !may("organise") || attendance === "online";
      buttons[2].disabled = !may("organise") || attendance === "absent";
      buttons[3].disabled = !may("floor") || Boolean(state.live.speaker && state.live.speaker.participant_id === p.id);
    },
  );
}

socket = startLive({
  render,
  tick: tickTimers,
  presence: (frame, live) => {
    connectedUsers = new Set((frame.online || []).map((o) => o.user_id));
    if (live.state.meeting) renderRollCall(live.state);
  },
  ready: (you, live) => {
    roles = new Set(you.roles || []);
    if (live.state.meeting) render(live.state);
  },
});

$("meeting-start").addEventListener("click", (ev) => run(socket, "meeting.start", {}, ev.currentTarget));
$("meeting-end").addEventListener("click", (ev) => {
  if (window.confirm(t("confirm_end_meeting"))) run(socket, "meeting.end", {}, ev.currentTarget);
});
for (const button of document.querySelectorAll("[data-floor]")) {
  button.addEventListener("click", () => run(socket, `floor.${button.dataset.floor}`, {}, button));
}
$("floor-next").addEventListener("click", (ev) => run(socket, "floor.next", {}, ev.currentTarget));
$("floor-end-speaker").addEventListener("click", (ev) => run(socket, "floor.end_speaker", {}, ev.currentTarget));
$("quorum-rule").addEventListener("change", async (ev) => {
  const select = ev.currentTarget;
  if (!(await run(socket, "quorum.rule", { rule: select.value }, select))) select.value = socket.state.live.quorum_rule;
});
$("limit-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const minutes = Number($("limit-minutes").value || 0);
  run(socket, "floor.limit", { seconds: Math.round(minutes * 60) }, ev.submitter);
});
