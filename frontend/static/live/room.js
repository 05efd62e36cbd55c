// The delegate's live room: what is being discussed, who speaks, one's own roll call and requests.

import { attendanceOf, myRequests, participantById } from "./state.js";
import {
  $,
  config,
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

const me = config.participant_id;

function render(state) {
  renderProceedings(state);
  renderQueue(state);
  if (me != null) {
    renderAttendance(state);
    renderRequests(state);
  }
}

function renderAttendance(state) {
  const mine = participantById(state, me);
  const attendance = attendanceOf(mine);
  $("my-attendance").dataset.attendance = attendance;
  setText("my-attendance", t(`attendance_${attendance}`));
  const open = ["published", "in_progress"].includes(state.meeting && state.meeting.status);
  for (const button of document.querySelectorAll("[data-checkin]")) {
    button.setAttribute("aria-pressed", button.dataset.checkin === attendance ? "true" : "false");
    button.disabled = !open;
  }
}

function renderRequests(state) {
  const mine = myRequests(state, me);
  const open = state.live.floor === "open";
  const speaking = state.live.speaker && state.live.speaker.participant_id === me;
  for (const button of document.querySelectorAll("[data-request]")) {
    const already = mine.some((r) => r.kind === button.dataset.request);
    button.disabled = !open || already || speaking;
  }
  $("withdraw").hidden = mine.length === 0;
  $("end-own-turn").hidden = !speaking;
  if (mine.length === 0) {
    setText("my-request", t("not_in_queue"));
    return;
  }
  const first = mine[0];
  const position = state.queue.filter((r) => r.kind === first.kind).findIndex((r) => r.id === first.id) + 1;
  setText("my-request", t("queue_position", { position, kind: t(`kind_${first.kind}`) }));
}

function renderQueue(state) {
  const list = $("queue");
  if (state.queue.length === 0) {
    replaceChildren(list, [el("li", { class: "empty" }, t("queue_empty"))]);
    return;
  }
  replaceChildren(
    list,
    state.queue.map((r) =>
      el(
        "li",
        { class: r.participant_id === me ? "queue__row is-me" : "queue__row", dataset: { kind: r.kind } },
        el("span", { class: "queue__name" }, participantName(state, r.participant_id), r.participant_id === me ? ` (${t("you")})` : ""),
        el("span", { class: `chip chip--${r.kind}` }, t(`kind_${r.kind}`)),
        el("time", { class: "queue__time", datetime: r.requested_at }, timeOfDay(r.requested_at)),
      ),
    ),
  );
}

const socket = startLive({ render, tick: tickTimers });

for (const button of document.querySelectorAll("[data-checkin]")) {
  button.addEventListener("click", () => run(socket, "checkin", { mode: button.dataset.checkin }, button));
}
for (const button of document.querySelectorAll("[data-request]")) {
  button.addEventListener("click", () => run(socket, "queue.request", { kind: button.dataset.request }, button));
}
$("end-own-turn")?.addEventListener("click", (ev) => run(socket, "floor.end_speaker", {}, ev.currentTarget));
const withdraw = $("withdraw");
if (withdraw) {
  withdraw.addEventListener("click", async () => {
    for (const request of myRequests(socket.state, me)) {
      await run(socket, "queue.withdraw", { request_id: request.id }, withdraw);
    }
  });
}
