// The live state of one meeting and the pure reducer that applies the socket's events to it.
// Mirrors realtime/reducer.py (see docs/protocol.md, "event"): apply(state, event) never mutates
// its input and returns the next state. Derived values (quorum, counts, timers) are plain functions.

export const ATTENDANCE = ["not_yet", "in_person", "online", "absent", "left"];
export const PRESENT = new Set(["in_person", "online"]);
const NO_ATTENDANCE = { attendance: "not_yet", attendance_site_id: null, attendance_at: null };

export function emptyState() {
  const state = {
    meeting: null,
    agenda: [],
    participants: [],
    queue: [],
    live: {
      current_item: null,
      item_elapsed: {},
      floor: "closed",
      speaking_limit: 0,
      speaker: null,
      quorum_rule: "majority",
    },
  };
  state.roll_call = rollCallOf(state);
  return state;
}

// A snapshot's state, with any missing part filled in, so the views can rely on the shape.
export function normalize(state) {
  const base = emptyState();
  const s = { ...base, ...(state || {}) };
  s.live = { ...base.live, ...((state && state.live) || {}) };
  s.participants = toList(s.participants);
  s.agenda = toList(s.agenda);
  s.queue = toList(s.queue);
  s.roll_call = rollCallOf(s);
  return told(s, null);
}

function toList(value) {
  if (Array.isArray(value)) return value;
  if (value && typeof value === "object") return Object.values(value);
  return [];
}

export function quorumRequired(rule, members) {
  if (rule === "majority") return Math.floor(members / 2) + 1;
  if (rule === "two_thirds") return Math.floor((2 * members + 2) / 3);
  return 0;
}

// Derived counts, recomputed after every event (realtime/reducer.py roll_call).
function rollCallOf(state) {
  const counts = Object.fromEntries(ATTENDANCE.map((a) => [a, 0]));
  for (const p of state.participants) counts[attendanceOf(p)] += 1;
  // Members with a voting right; someone who sent a substitute is counted through the substitute.
  const members = state.participants.filter(isMember);
  const present = members.filter((p) => PRESENT.has(p.attendance)).length;
  const required = quorumRequired(state.live.quorum_rule, members.length);
  return {
    ...counts,
    members: members.length,
    members_present: present,
    quorum_required: required,
    quorum_reached: present >= required,
  };
}

export function isMember(p) {
  return Boolean(p.can_vote) && p.rsvp !== "substituted";
}

// A participant event's row, keeping the attendance the event does not carry.
function participantRow(data, old) {
  const base = {};
  for (const [key, value] of Object.entries(old || NO_ATTENDANCE)) {
    if (key in NO_ATTENDANCE || key === "absence_reason") base[key] = value;
  }
  return { ...data, ...base };
}

function setAttendance(row, data) {
  const next = { ...row, attendance: data.attendance, attendance_site_id: data.site_id, attendance_at: data.at };
  delete next.absence_reason;
  if (data.absence_reason) next.absence_reason = data.absence_reason;
  return next;
}

function upsertParticipant(s, d) {
  const rows = new Map(s.participants.map((p) => [p.id, p]));
  rows.set(d.id, participantRow(d, rows.get(d.id)));
  return { ...s, participants: [...rows.keys()].sort((a, b) => a - b).map((id) => rows.get(id)) };
}

function setMeeting(s, d) {
  return { ...s, meeting: d };
}

const REDUCERS = {
  "meeting.created": setMeeting,
  "meeting.updated": setMeeting,
  "meeting.status": setMeeting,
  "agenda.changed": (s, d) => {
    const ids = new Set(d.items.map((item) => String(item.id)));
    const elapsed = Object.fromEntries(Object.entries(s.live.item_elapsed).filter(([k]) => ids.has(k)));
    const current = s.live.current_item && ids.has(String(s.live.current_item.item_id)) ? s.live.current_item : null;
    return { ...s, agenda: d.items, live: { ...s.live, item_elapsed: elapsed, current_item: current } };
  },
  "agenda.current": (s, d) => ({
    ...s,
    live: {
      ...s.live,
      current_item:
        d.item_id == null ? null : { item_id: d.item_id, started_at: d.started_at, elapsed_before: d.elapsed_before },
      item_elapsed: d.item_elapsed,
    },
  }),
  "participant.added": upsertParticipant,
  "participant.updated": upsertParticipant,
  "participant.rsvp": upsertParticipant,
  "participant.removed": (s, d) => ({
    ...s,
    participants: s.participants.filter((p) => p.id !== d.id),
    queue: s.queue.filter((r) => r.participant_id !== d.id),
    live: s.live.speaker && s.live.speaker.participant_id === d.id ? { ...s.live, speaker: null } : s.live,
  }),
  "attendance.changed": (s, d) => ({
    ...s,
    participants: s.participants.map((p) => (p.id === d.participant_id ? setAttendance(p, d) : p)),
  }),
  "floor.changed": (s, d) => ({ ...s, live: { ...s.live, floor: d.floor, speaking_limit: d.speaking_limit } }),
  "queue.changed": (s, d) => ({ ...s, queue: d.queue }),
  "speaker.changed": (s, d) => ({ ...s, live: { ...s.live, speaker: d.speaker } }),
  "quorum.changed": (s, d) => ({ ...s, live: { ...s.live, quorum_rule: d.quorum_rule } }),
};

// Later features (documents, votes, video) plug in here, as on the server (realtime/reducer.py REDUCERS):
// FEATURE_REDUCERS[prefix] = (state, kind, data) => next state, never mutating its input ("present" for
// "present.changed"). A page part that is not the socket's owner (the live room's documents card) can
// watch the states the socket produces: onApplied((state, frame) => ...); frame is null for a snapshot.
export const FEATURE_REDUCERS = {};

// Votes (meetings/voting/live_state.py): every vote.* event carries the whole vote, or only {id} for
// vote.deleted, or {id, hidden: true} when delegates may not see it (a prepared vote). Sorted by id.
FEATURE_REDUCERS.vote = (s, kind, d) => {
  const votes = (s.votes || []).filter((v) => v.id !== d.id);
  if (kind !== "vote.deleted" && !d.hidden) votes.push(d);
  votes.sort((a, b) => a.id - b.id);
  return { ...s, votes };
};
const watchers = new Set();

export function onApplied(fn) {
  watchers.add(fn);
  return () => watchers.delete(fn);
}

function told(state, frame) {
  for (const fn of watchers) queueMicrotask(() => fn(state, frame));
  return state;
}

// Apply one event frame ({event, data}) to the state. Unknown kinds (added by later features)
// leave the state as it is; the derived roll call is recomputed after every event.
export function apply(state, frame) {
  const reducer = REDUCERS[frame.event];
  const feature = reducer ? null : FEATURE_REDUCERS[String(frame.event).split(".")[0]];
  let next;
  if (reducer) next = reducer(state, frame.data || {});
  else if (feature) next = { ...feature(state, frame.event, frame.data || {}) };
  else next = { ...state };
  next.roll_call = rollCallOf(next);
  return told(next, frame);
}

// Derived values ------------------------------------------------------------------------------

export function participantById(state, id) {
  return state.participants.find((p) => p.id === id) || null;
}

export function participantForUser(state, userId) {
  return state.participants.find((p) => p.user_id === userId) || null;
}

export function currentItem(state) {
  const current = state.live.current_item;
  if (!current) return null;
  return state.agenda.find((item) => item.id === current.item_id) || null;
}

export function nextItem(state) {
  const items = [...state.agenda].sort((a, b) => a.order - b.order);
  const current = currentItem(state);
  if (!current) return null;
  return items.find((item) => item.order > current.order) || null;
}

export function attendanceOf(participant) {
  const value = participant && participant.attendance;
  return ATTENDANCE.includes(value) ? value : "not_yet";
}

export function guests(state) {
  const all = state.participants.filter((p) => p.role === "guest");
  return { total: all.length, present: all.filter((p) => PRESENT.has(p.attendance)).length };
}

export function queueOf(state, kind) {
  return state.queue.filter((r) => r.kind === kind);
}

export function myRequests(state, participantId) {
  return state.queue.filter((r) => r.participant_id === participantId);
}

// Timers: seconds, computed against the server clock (Date.now() + offset).

function parseTime(value) {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

export function itemElapsed(state, serverNow) {
  const current = state.live.current_item;
  if (!current) return 0;
  const started = parseTime(current.started_at);
  let elapsed = Number(current.elapsed_before) || 0;
  if (started != null) elapsed += Math.max(0, (serverNow - started) / 1000);
  return elapsed;
}

export function itemTimeLeft(state, serverNow) {
  const item = currentItem(state);
  if (!item || !item.planned_minutes) return null;
  return item.planned_minutes * 60 - itemElapsed(state, serverNow);
}

export function speakerElapsed(state, serverNow) {
  const speaker = state.live.speaker;
  if (!speaker) return null;
  const started = parseTime(speaker.started_at);
  if (started == null) return 0;
  return Math.max(0, (serverNow - started) / 1000);
}

export function speakerTimeLeft(state, serverNow) {
  const speaker = state.live.speaker;
  if (!speaker) return null;
  const limit = speaker.limit ?? state.live.speaking_limit;
  if (!limit) return null;
  return limit - speakerElapsed(state, serverNow);
}

// "12:05", "-0:42" when over time, "1:02:03" past an hour.
export function formatDuration(seconds) {
  if (seconds == null) return "";
  const negative = seconds < 0;
  let s = Math.floor(Math.abs(seconds));
  if (negative) s = Math.ceil(Math.abs(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n) => String(n).padStart(2, "0");
  const body = h ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
  return negative ? `-${body}` : body;
}
