// What the delegate's room and the chair's console share: translated strings, small DOM helpers,
// the connection banner, the header, the quorum banner, the current item and speaker with timers.

import { $, el, readJSON, showBriefly } from "../frontend/dom.js";
import { MeetingSocket, socketUrl } from "./socket.js";
import {
  currentItem,
  formatDuration,
  itemTimeLeft,
  nextItem,
  participantById,
  speakerTimeLeft,
} from "./state.js";

// The room, the console and the voting scripts (meetings/voting/static) take these from here.
export { $, el };

export const config = readJSON("live-config");
const strings = readJSON("live-strings");

// A translated string, with %(name)s placeholders filled from params.
export function t(key, params = {}) {
  const text = strings[key] ?? key;
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
}

export function setText(id, text) {
  const node = $(id);
  if (node && node.textContent !== text) node.textContent = text;
}

export function replaceChildren(node, children) {
  node.replaceChildren(...children);
}

export function toast(message) {
  showBriefly($("toast"), message);
}

// Start the socket and wire the banners; render(state) runs on every change, tick(state) every second.
// Later features shown inside these pages (the ballot, the voting console) reach the page's socket here:
// watchLive({socket(s), ready(you, s), frame(frame, s)}); frame() gets the frames that are not events.
const liveWatchers = new Set();
let liveSocket = null;

export function watchLive(watcher) {
  liveWatchers.add(watcher);
  if (liveSocket && watcher.socket) watcher.socket(liveSocket);
  return () => liveWatchers.delete(watcher);
}

export function startLive({ render, tick, ready = null, presence = null }) {
  // A replay may bring hundreds of events at once: draw once per frame, with the latest state.
  let drawing = false;
  const draw = () => {
    drawing = false;
    renderHeader(socket.state);
    render(socket.state, socket);
    tick(socket.state, socket);
  };
  const socket = new MeetingSocket(socketUrl(config.meeting_id), {
    onState: () => {
      if (drawing) return;
      drawing = true;
      requestAnimationFrame(draw);
    },
    onStatus: (status) => showConnection(status),
    onFatal: (code) => showFatal(code),
    onError: (error) => toast(error.message || t("action_failed")),
    onPresence: (frame) => {
      if (presence) presence(frame, socket);
    },
    onReady: (you) => {
      document.body.dataset.roles = (you.roles || []).join(" ");
      if (ready) ready(you, socket);
      for (const w of liveWatchers) if (w.ready) w.ready(you, socket);
    },
    onFrame: (frame) => {
      for (const w of liveWatchers) if (w.frame) w.frame(frame, socket);
    },
  });
  liveSocket = socket;
  for (const w of liveWatchers) if (w.socket) w.socket(socket);
  socket.connect();
  setInterval(() => {
    if (socket.state.meeting) tick(socket.state, socket);
  }, 1000);
  return socket;
}

// Run a command from a button: the button is busy until the server answers; a refusal is shown.
export async function run(socket, name, args = {}, button = null) {
  if (button) button.setAttribute("aria-busy", "true");
  try {
    return await socket.command(name, args);
  } catch (error) {
    toast(error.message && error.message !== "error" ? error.message : t("action_failed"));
    return null;
  } finally {
    if (button) button.removeAttribute("aria-busy");
  }
}

function showConnection(status) {
  const banner = $("connection-banner");
  document.body.dataset.connection = status;
  if (status === "online" || status === "closed") {
    banner.hidden = true;
    return;
  }
  banner.textContent = status === "reconnecting" ? t("reconnecting") : t("connecting");
  banner.hidden = false;
}

function showFatal(code) {
  const banner = $("fatal-banner");
  banner.replaceChildren(t(`closed_${code}`));
  if (code === 4401 && config.login_url) {
    banner.append(" ", el("a", { href: config.login_url }, t("sign_in")));
  }
  banner.hidden = false;
  document.body.dataset.connection = "closed";
}

function renderHeader(state) {
  if (!state.meeting) return;
  setText("meeting-title", state.meeting.title || "");
  const chip = $("meeting-status");
  chip.dataset.status = state.meeting.status;
  chip.textContent = t(`status_${state.meeting.status}`);
}

// What the room and the console both show: the quorum banner, the current item, the speaker, the floor
// and the agenda (agendaOptions: {onGoto(item, button)} adds the console's "go to" buttons).
export function renderProceedings(state, agendaOptions = {}) {
  renderQuorum(state);
  renderCurrentItem(state);
  renderSpeaker(state);
  renderFloor(state);
  renderAgenda(state, agendaOptions);
}

export function participantName(state, id) {
  const p = participantById(state, id);
  return p ? p.name : "—";
}

function renderQuorum(state) {
  const node = $("quorum-banner");
  if (!node) return;
  const rc = state.roll_call;
  const params = { present: rc.members_present, members: rc.members, required: rc.quorum_required };
  node.dataset.reached = rc.quorum_reached ? "yes" : "no";
  node.dataset.rule = state.live.quorum_rule;
  let key = rc.quorum_reached ? "quorum_reached" : "quorum_missing";
  if (state.live.quorum_rule === "none") key = "quorum_none";
  // Only a real change is written: the banner is a live region, read out when it changes.
  setText("quorum-banner", t(key, params));
}

function renderCurrentItem(state) {
  const item = currentItem(state);
  if (!item) {
    setText("item-order", "");
    setText("current-item", t("no_item"));
    setText("item-presenter", "");
  } else {
    setText("item-order", t("item_number", { order: item.order }));
    setText("current-item", item.title);
    setText("item-presenter", item.presenter ? t("presenter", { name: item.presenter }) : "");
  }
  const next = nextItem(state);
  setText("next-item", next ? t("next_item", { title: `${next.order}. ${next.title}` }) : "");
}

function renderSpeaker(state) {
  const speaker = state.live.speaker;
  const node = $("speaker");
  node.dataset.empty = speaker ? "no" : "yes";
  setText("speaker", speaker ? participantName(state, speaker.participant_id) : t("no_speaker"));
  setText("speaker-kind", speaker ? t(`kind_${speaker.kind || "speak"}`) : "");
}

function renderFloor(state) {
  $("floor-state").dataset.floor = state.live.floor;
  setText("floor-state", t(`floor_${state.live.floor}`));
}

// The two timers, counted down against the server's clock.
export function tickTimers(state, socket) {
  const now = socket.now();
  showTimer("item-timer", itemTimeLeft(state, now));
  showTimer("speaker-timer", speakerTimeLeft(state, now));
}

function showTimer(id, seconds) {
  const node = $(id);
  if (!node) return;
  const wrapper = node.closest(".timer");
  if (seconds == null) {
    if (wrapper) wrapper.hidden = true;
    return;
  }
  if (wrapper) wrapper.hidden = false;
  node.dataset.over = seconds < 0 ? "yes" : "no";
  const text = formatDuration(seconds);
  setText(id, seconds < 0 ? `${text} (${t("over_time")})` : text);
}

function renderAgenda(state, { onGoto = null } = {}) {
  const list = $("agenda");
  if (!list) return;
  const items = [...state.agenda].sort((a, b) => a.order - b.order);
  const currentId = state.live.current_item ? state.live.current_item.item_id : null;
  replaceChildren(
    list,
    items.map((item) => {
      const current = item.id === currentId;
      return el(
        "li",
        { class: current ? "agenda__item is-current" : "agenda__item", "aria-current": current ? "step" : null },
        el("span", { class: "agenda__order" }, `${item.order}.`),
        el(
          "span",
          { class: "agenda__text" },
          el("span", { class: "agenda__title" }, item.title),
          item.presenter ? el("span", { class: "agenda__presenter" }, item.presenter) : null,
        ),
        el("span", { class: "agenda__minutes" }, t("limit_minutes", { minutes: item.planned_minutes })),
        onGoto && !current
          ? el(
              "button",
              { type: "button", class: "btn btn--small", dataset: { goto: item.id }, onclick: (ev) => onGoto(item, ev.currentTarget) },
              t("go_to_item"),
            )
          : current
            ? el("span", { class: "chip chip--current" }, t("current"))
            : null,
      );
    }),
  );
}

export function timeOfDay(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const options = { hour: "2-digit", minute: "2-digit" };
  try {
    return d.toLocaleTimeString(document.documentElement.lang || "vi", { ...options, timeZone: config.time_zone });
  } catch (err) {
    return d.toLocaleTimeString(document.documentElement.lang || "vi", options);
  }
}
