// The live state of one meeting and the pure reducer that applies the socket's events to it.
// Mirrors realtime/reducer.py (see docs/protocol.md, "event"): apply(state, event) never mutates
// its input and returns the next state. Derived values (quorum, counts, timers) are plain functions.

export const PRESENT = new Set(["in_person", "online"]);

export function emptyState() {
  return {
    meeting: null,
    agenda: [],
    participants: [],
    queue: [],
    live: {
      current_item: null,
      started_at: null,
      elapsed_before: 0,
      floor: "closed",
      speaking_limit: null,
      speaker: null,
    },
  };
}

// A snapshot's state, with any missing part filled in, so the views can rely on the shape.
export function normalize(state) {
  const base = emptyState();
  const s = { ...base, ...(state || {}) };
  s.live = { ...base.live, ...((state && state.live) || {}) };
  s.participants = toList(s.participants);
  s.agenda = toList(s.agenda);
  s.queue = toList(s.queue);
  return s;
}

function toList(value) {
  if (Array.isArray(value)) return value;
  if (value && typeof value === "object") return Object.values(value);
  return [];
}

function upsert(list, row) {
  const index = list.findIndex((p) => p.id === row.id);
  if (index === -1) return [...list, row];
  const next = list.slice();
  next[index] = { ...list[index], ...row };
  return next;
}

const REDUCERS = {
  "meeting.created": meeting,
  "meeting.updated": meeting,
  "meeting.status": meeting,
  "agenda.changed": (s, d) => ({ ...s, agenda: toList(d.items) }),
  "agenda.current": (s, d) => ({
    ...s,
    live: {
      ...s.live,
      current_item: d.item_id ?? null,
      started_at: d.started_at ?? null,
      elapsed_before: d.elapsed_before ?? 0,
    },
  }),
  "participant.added": participant,
  "participant.updated": participant,
  "participant.rsvp": participant,
  "participant.removed": (s, d) => ({
    ...s,
    participants: s.participants.filter((p) => p.id !== d.id),
  }),
  "attendance.changed": (s, d) => ({
    ...s,
    participants: s.participants.map((p) =>
      p.id === d.participant_id
        ? {
            ...p,
            attendance: d.attendance ?? null,
            attendance_site_id: d.site_id ?? null,
            attendance_at: d.at ?? null,
          }
        : p,
    ),
  }),
  "floor.changed": (s, d) => ({
    ...s,
    live: {
      ...s.live,
      floor: d.floor,
      speaking_limit: "speaking_limit" in d ? d.speaking_limit : s.live.speaking_limit,
    },
  }),
  "queue.changed": (s, d) => ({ ...s, queue: toList(d.queue) }),
  "speaker.changed": (s, d) => ({ ...s, live: { ...s.live, speaker: d.speaker ?? null } }),
};

function meeting(s, d) {
  return { ...s, meeting: { ...(s.meeting || {}), ...d } };
}

function participant(s, d) {
  return { ...s, participants: upsert(s.participants, d) };
}

// Apply one event frame ({event, data}) to the state. Unknown kinds leave the state as it was:
// later features add kinds, and an older page must keep working.
export function apply(state, frame) {
  const reducer = REDUCERS[frame.event];
  if (!reducer) return state;
  return reducer(state, frame.data || {});
}

// Derived values ------------------------------------------------------------------------------

export function participantById(state, id) {
  return state.participants.find((p) => p.id === id) || null;
}

export function participantForUser(state, userId) {
  return state.participants.find((p) => p.user_id === userId) || null;
}

export function currentItem(state) {
  const id = state.live.current_item;
  if (id == null) return null;
  return state.agenda.find((item) => item.id === id) || null;
}

export function nextItem(state) {
  const items = [...state.agenda].sort((a, b) => a.order - b.order);
  const current = currentItem(state);
  if (!current) return null;
  return items.find((item) => item.order > current.order) || null;
}

export function attendanceOf(participant) {
  const value = participant && participant.attendance;
  if (value === "in_person" || value === "online" || value === "absent" || value === "left") return value;
  return "not_yet";
}

// Roll-call counts over the people who count for the quorum (members with a voting right;
// guests and remote-site rows are counted apart).
export function rollCall(state) {
  const counts = { in_person: 0, online: 0, absent: 0, left: 0, not_yet: 0, members: 0, guests: 0, guests_present: 0 };
  for (const p of state.participants) {
    const a = attendanceOf(p);
    if (isMember(p)) {
      counts.members += 1;
      counts[a] += 1;
    } else {
      counts.guests += 1;
      if (PRESENT.has(a)) counts.guests_present += 1;
    }
  }
  counts.present = counts.in_person + counts.online;
  return counts;
}

export function isMember(p) {
  return p.can_vote !== false && p.role !== "guest" && p.role !== "site";
}

// Quorum: more than half of all members present. A server-provided rule (state.quorum.required)
// takes precedence when the snapshot carries one.
export function quorum(state) {
  const counts = rollCall(state);
  const rule = state.quorum && Number.isInteger(state.quorum.required) ? state.quorum.required : null;
  const required = rule ?? Math.floor(counts.members / 2) + 1;
  return { present: counts.present, members: counts.members, required, reached: counts.members > 0 && counts.present >= required };
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
  const started = parseTime(state.live.started_at);
  let elapsed = Number(state.live.elapsed_before) || 0;
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
