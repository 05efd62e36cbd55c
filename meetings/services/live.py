"""The live room: roll call, agenda timer, requests to speak and the floor, run by socket commands.

``execute`` is the one entry point of the meeting socket: it runs a command in one transaction
with the meeting row locked, appends the events it causes (``events.record``) and stores the reply
under the client's command id in the same transaction, so a retried id has no second effect.
The ``*_data`` functions shape the state both for events and for snapshots (realtime/snapshot.py):
one function per shape keeps "snapshot + events == fresh snapshot" true.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import OPERATE_SITE
from meetings import permissions
from meetings.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from meetings.models import (
    AgendaItem,
    Attendance,
    CommandReceipt,
    LiveState,
    Meeting,
    Participant,
    SpeakRequest,
)
from meetings.services import events
from meetings.services import meetings as meeting_service

S = Meeting.Status
A = Attendance.Status
R = SpeakRequest.Status
PRESENT = (A.IN_PERSON, A.ONLINE)
MAX_COMMAND_ID = 64
MAX_SPEAKING_LIMIT = 3600
MAX_REASON = 1000

log = logging.getLogger(__name__)


# Shapes shared by events and snapshots ---------------------------------------------------------

def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def attendance_data(participant_id: int, att: Attendance | None) -> dict[str, Any]:
    """``attendance.changed`` data; ``absence_reason`` is for editors only (realtime/audience.py)."""
    if att is None:
        return {"participant_id": participant_id, "attendance": A.NOT_YET, "site_id": None, "at": None,
                "absence_reason": ""}
    return {"participant_id": participant_id, "attendance": att.status, "site_id": att.site_id,
            "at": iso(att.at), "absence_reason": att.reason}


def queue_data(meeting_id: int) -> list[dict[str, Any]]:
    pending = SpeakRequest.objects.filter(meeting_id=meeting_id, status=R.PENDING).order_by("id")
    return [{"id": r.pk, "participant_id": r.participant_id, "kind": r.kind, "requested_at": iso(r.requested_at)}
            for r in pending]


def speaker_data(meeting_id: int) -> dict[str, Any] | None:
    r = SpeakRequest.objects.filter(meeting_id=meeting_id, status=R.SPEAKING).order_by("-id").first()
    if r is None:
        return None
    return {"request_id": r.pk, "participant_id": r.participant_id, "kind": r.kind,
            "started_at": iso(r.started_at), "limit": r.limit_seconds}


def item_elapsed(live: LiveState, item_ids: set[int]) -> dict[str, float]:
    """Seconds spent on each existing item before its current run (JSON keys are strings)."""
    return {k: v for k, v in sorted(live.item_elapsed.items(), key=lambda kv: int(kv[0])) if int(k) in item_ids}


def current_item_data(live: LiveState, item_ids: set[int]) -> dict[str, Any] | None:
    if live.current_item_id is None or live.current_item_id not in item_ids:
        return None
    return {"item_id": live.current_item_id, "started_at": iso(live.item_started_at),
            "elapsed_before": live.item_elapsed.get(str(live.current_item_id), 0)}


def live_data(meeting_id: int, live: LiveState | None) -> dict[str, Any]:
    live = live or LiveState(meeting_id=meeting_id)
    item_ids = set(AgendaItem.objects.filter(meeting_id=meeting_id).values_list("pk", flat=True))
    return {
        "current_item": current_item_data(live, item_ids),
        "item_elapsed": item_elapsed(live, item_ids),
        "floor": live.floor,
        "speaking_limit": live.speaking_limit,
        "speaker": speaker_data(meeting_id),
        "quorum_rule": live.quorum_rule,
    }


# Who may connect ---------------------------------------------------------------------------------

@dataclass
class Access:
    meeting_id: int
    user_id: int
    editor: bool
    participant_id: int | None
    site_id: int | None
    roles: list[str] = field(default_factory=list)
    host_unit_id: int | None = None

    def may_have_changed(self, chair_id: int | None, secretary_id: int | None, host_unit_id: int | None) -> bool:
        """After the meeting's chair, secretary or host unit changed: might this socket's rights differ?"""
        return (("chair" in self.roles) != (chair_id == self.user_id)
                or ("secretary" in self.roles) != (secretary_id == self.user_id)
                or host_unit_id != self.host_unit_id)

    @property
    def audience(self) -> str:
        return "editors" if self.editor else "members"


def socket_access(user: User, meeting_id: int) -> Access:
    """Participants, the chair, the secretary, the host unit's administrators, system administrators, and
    the operators of the meeting's remote sites (they watch; commands need a participant or an organiser)."""
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None or not permissions.can_view(user, meeting):
        raise NotFound(_("This meeting does not exist, or you may not see it."))
    editor = permissions.can_edit(user, meeting)
    participant = meeting.participants.filter(user=user).first()
    at_site = bool(user.unit_id) and meeting.remote_sites.filter(pk=user.unit_id).exists()
    operator = at_site and user.can(OPERATE_SITE)
    if participant is None and not editor and not operator:
        raise Forbidden(_("Only the meeting's participants and organisers can join the live room."))
    site_id = participant.site_id if participant else None
    if site_id is None and at_site:
        site_id = user.unit_id
    roles = [name for name, yes in (
        ("editor", editor), ("chair", user.pk == meeting.chair_id), ("secretary", user.pk == meeting.secretary_id),
        ("participant", participant is not None), ("site_operator", operator),
    ) if yes]
    return Access(meeting.pk, user.pk, editor, participant.pk if participant else None, site_id, roles,
                  meeting.host_unit_id)


# Commands ----------------------------------------------------------------------------------------

@dataclass
class Context:
    user: User
    meeting: Meeting  # locked for the transaction
    participant: Participant | None
    now: dt.datetime

    @property
    def is_chair(self) -> bool:
        return self.user.pk == self.meeting.chair_id

    @property
    def is_secretary(self) -> bool:
        return self.user.pk == self.meeting.secretary_id

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        events.record(self.meeting, kind, data, self.user)

    def live(self) -> LiveState:
        return LiveState.objects.get_or_create(meeting_id=self.meeting.pk)[0]


def _need_chair(ctx: Context) -> None:
    if not ctx.is_chair:
        raise Forbidden(_("Only the chair of the meeting can do this."))


def _need_organiser(ctx: Context) -> None:
    if not (ctx.is_chair or ctx.is_secretary):
        raise Forbidden(_("Only the chair or the secretary of the meeting can do this."))


def _need_status(ctx: Context, *allowed: str) -> None:
    if ctx.meeting.status not in allowed:
        if allowed == (S.IN_PROGRESS,):
            raise Invalid(_("The meeting is not in progress."), "not_in_progress")
        raise Invalid(_("This cannot be done while the meeting is “%(status)s”.")
                      % {"status": ctx.meeting.get_status_display()}, "bad_status")


def _int(args: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = args.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(_("“%(name)s” must be a whole number.") % {"name": name}, "bad_args", field=name)
    return value


def _choice(args: dict[str, Any], name: str, choices: list[str], default: str | None = None) -> str:
    value = args.get(name, default)
    if value not in choices:
        raise Invalid(_("“%(name)s” must be one of: %(choices)s.") % {"name": name, "choices": ", ".join(choices)},
                      "bad_args", field=name)
    return value


def _participant(ctx: Context, participant_id: int) -> Participant:
    p = ctx.meeting.participants.filter(pk=participant_id).first()
    if p is None:
        raise NotFound(_("This participant is not in the meeting."))
    return p


def _roll_call_target(ctx: Context, args: dict[str, Any]) -> Participant:
    """Yourself, or anyone when the chair or the secretary takes the roll call."""
    pid = _int(args, "participant_id", required=False)
    if pid is None or (ctx.participant is not None and pid == ctx.participant.pk):
        if ctx.participant is None:
            raise Forbidden(_("You are not a participant of this meeting."))
        return ctx.participant
    _need_organiser(ctx)
    return _participant(ctx, pid)


def _set_attendance(ctx: Context, p: Participant, status: str, site_id: int | None = None, reason: str = "") -> None:
    att = Attendance.objects.filter(participant=p).first() or Attendance(participant=p)
    if att.pk is not None and (att.status, att.site_id, att.reason) == (status, site_id, reason):
        return
    att.status, att.site_id, att.reason, att.at, att.marked_by = status, site_id, reason, ctx.now, ctx.user
    if status in PRESENT and att.checked_in_at is None:
        att.checked_in_at = ctx.now
    att.save()
    ctx.emit("attendance.changed", attendance_data(p.pk, att))


def checkin(ctx: Context, args: dict[str, Any]) -> None:
    _need_status(ctx, S.PUBLISHED, S.IN_PROGRESS)
    mode = _choice(args, "mode", [A.IN_PERSON, A.ONLINE])
    p = _roll_call_target(ctx, args)
    site_id = None
    if mode == A.ONLINE:
        site_id = _int(args, "site_id", required=False)
        if site_id is None:
            site_id = p.site_id
        elif site_id != p.site_id and not ctx.meeting.remote_sites.filter(pk=site_id).exists():
            raise Invalid(_("This site is not one of the meeting's remote sites."), "bad_site", field="site_id")
    _set_attendance(ctx, p, mode, site_id)


def checkout(ctx: Context, args: dict[str, Any]) -> None:
    _need_status(ctx, S.PUBLISHED, S.IN_PROGRESS)
    p = _roll_call_target(ctx, args)
    att = Attendance.objects.filter(participant=p).first()
    if att is None or att.status not in PRESENT:
        raise Invalid(_("This participant has not checked in."), "not_checked_in")
    _set_attendance(ctx, p, A.LEFT)


def mark_absent(ctx: Context, args: dict[str, Any]) -> None:
    _need_organiser(ctx)
    _need_status(ctx, S.PUBLISHED, S.IN_PROGRESS)
    p = _participant(ctx, _int(args, "participant_id"))
    reason = args.get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise Invalid(_("The reason must be a text of at most %(n)d characters.") % {"n": MAX_REASON},
                      "bad_args", field="reason")
    reason = reason.strip()
    if not reason and p.rsvp == Participant.Rsvp.DECLINED:
        reason = p.rsvp_reason
    _set_attendance(ctx, p, A.ABSENT, None, reason)


def quorum_rule(ctx: Context, args: dict[str, Any]) -> None:
    _need_organiser(ctx)
    _need_status(ctx, S.PUBLISHED, S.IN_PROGRESS)
    rule = _choice(args, "rule", list(LiveState.QuorumRule.values))
    live = ctx.live()
    if live.quorum_rule != rule:
        live.quorum_rule = rule
        live.save(update_fields=["quorum_rule"])
        ctx.emit("quorum.changed", {"quorum_rule": rule})


def start_meeting(ctx: Context, args: dict[str, Any]) -> None:
    _need_organiser(ctx)
    ctx.meeting = meeting_service.change_status(ctx.user, ctx.meeting, S.IN_PROGRESS)


def end_meeting(ctx: Context, args: dict[str, Any]) -> None:
    _need_organiser(ctx)
    _need_status(ctx, S.IN_PROGRESS)
    live = ctx.live()
    _end_speaker(ctx)
    _cancel_queue(ctx)
    _set_floor(ctx, live, LiveState.Floor.CLOSED)
    _goto(ctx, live, None)
    ctx.meeting = meeting_service.change_status(ctx.user, ctx.meeting, S.ENDED)


def _goto(ctx: Context, live: LiveState, item: AgendaItem | None) -> None:
    item_ids = set(ctx.meeting.agenda_items.values_list("pk", flat=True))
    current = live.current_item_id if live.current_item_id in item_ids else None
    new = item.pk if item else None
    if current == new:
        return
    elapsed = {k: v for k, v in live.item_elapsed.items() if int(k) in item_ids}
    if current is not None and live.item_started_at is not None:
        spent = (ctx.now - live.item_started_at).total_seconds()
        elapsed[str(current)] = round(elapsed.get(str(current), 0) + max(spent, 0.0), 3)
    live.current_item_id, live.item_started_at, live.item_elapsed = new, (ctx.now if new else None), elapsed
    live.save(update_fields=["current_item", "item_started_at", "item_elapsed"])
    ctx.emit("agenda.current", {
        "item_id": new, "started_at": iso(live.item_started_at),
        "elapsed_before": elapsed.get(str(new), 0) if new else 0,
        "item_elapsed": item_elapsed(live, item_ids),
    })


def agenda_goto(ctx: Context, args: dict[str, Any]) -> None:
    _need_organiser(ctx)
    _need_status(ctx, S.IN_PROGRESS)
    item_id = _int(args, "item_id", required=False)
    item = None
    if item_id is not None:
        item = ctx.meeting.agenda_items.filter(pk=item_id).first()
        if item is None:
            raise NotFound(_("This agenda item does not exist."))
    _goto(ctx, ctx.live(), item)


def queue_request(ctx: Context, args: dict[str, Any]) -> None:
    kind = _choice(args, "kind", list(SpeakRequest.Kind.values), SpeakRequest.Kind.SPEAK)
    if ctx.participant is None:
        raise Forbidden(_("Only participants of the meeting can ask to speak."))
    _need_status(ctx, S.IN_PROGRESS)
    live = ctx.live()
    if live.floor != LiveState.Floor.OPEN:
        raise Invalid(_("Requests to speak are not being taken right now."), "floor_not_open")
    if SpeakRequest.objects.filter(participant=ctx.participant, kind=kind, status=R.PENDING).exists():
        raise Conflict(_("You are already in the queue."), "already_queued")
    SpeakRequest.objects.create(meeting=ctx.meeting, participant=ctx.participant, kind=kind,
                                agenda_item_id=live.current_item_id, requested_at=ctx.now)
    ctx.emit("queue.changed", {"queue": queue_data(ctx.meeting.pk)})


def queue_withdraw(ctx: Context, args: dict[str, Any]) -> None:
    r = SpeakRequest.objects.filter(meeting=ctx.meeting, pk=_int(args, "request_id"), status=R.PENDING).first()
    if r is None:
        raise NotFound(_("This request is no longer in the queue."))
    mine = ctx.participant is not None and r.participant_id == ctx.participant.pk
    if not (mine or ctx.is_chair):
        raise Forbidden(_("Only the person who asked, or the chair, can withdraw this request."))
    r.status, r.ended_at = R.WITHDRAWN, ctx.now
    r.save(update_fields=["status", "ended_at"])
    ctx.emit("queue.changed", {"queue": queue_data(ctx.meeting.pk)})


def _set_floor(ctx: Context, live: LiveState, floor: str) -> bool:
    if live.floor == floor:
        return False
    live.floor = floor
    live.save(update_fields=["floor"])
    ctx.emit("floor.changed", {"floor": live.floor, "speaking_limit": live.speaking_limit})
    return True


def _end_speaker(ctx: Context) -> bool:
    ended = SpeakRequest.objects.filter(meeting=ctx.meeting, status=R.SPEAKING).update(status=R.DONE, ended_at=ctx.now)
    if ended:
        ctx.emit("speaker.changed", {"speaker": None})
    return bool(ended)


def _cancel_queue(ctx: Context) -> None:
    if SpeakRequest.objects.filter(meeting=ctx.meeting, status=R.PENDING).update(status=R.CANCELLED, ended_at=ctx.now):
        ctx.emit("queue.changed", {"queue": []})


def _floor_command(floor: str) -> Callable[[Context, dict[str, Any]], None]:
    def command(ctx: Context, args: dict[str, Any]) -> None:
        _need_chair(ctx)
        _need_status(ctx, S.IN_PROGRESS)
        live = ctx.live()
        if _set_floor(ctx, live, floor) and floor == LiveState.Floor.CLOSED:
            _cancel_queue(ctx)
            _end_speaker(ctx)
    return command


def _give(ctx: Context, r: SpeakRequest, from_queue: bool) -> None:
    """End the current turn and give the floor through request ``r``."""
    live = ctx.live()
    SpeakRequest.objects.filter(meeting=ctx.meeting, status=R.SPEAKING).update(status=R.DONE, ended_at=ctx.now)
    r.status, r.started_at, r.limit_seconds = R.SPEAKING, ctx.now, live.speaking_limit
    r.save()
    if from_queue:
        ctx.emit("queue.changed", {"queue": queue_data(ctx.meeting.pk)})
    ctx.emit("speaker.changed", {"speaker": speaker_data(ctx.meeting.pk)})


def floor_next(ctx: Context, args: dict[str, Any]) -> None:
    _need_chair(ctx)
    _need_status(ctx, S.IN_PROGRESS)
    r = SpeakRequest.objects.filter(meeting=ctx.meeting, status=R.PENDING).order_by("id").first()
    if r is not None:
        _give(ctx, r, from_queue=True)
    elif not _end_speaker(ctx):
        raise Invalid(_("Nobody is waiting to speak."), "queue_empty")


def floor_give(ctx: Context, args: dict[str, Any]) -> None:
    _need_chair(ctx)
    _need_status(ctx, S.IN_PROGRESS)
    p = _participant(ctx, _int(args, "participant_id"))
    kind = _choice(args, "kind", list(SpeakRequest.Kind.values), SpeakRequest.Kind.SPEAK)
    waiting = SpeakRequest.objects.filter(participant=p, status=R.PENDING).order_by("id")
    r = waiting.filter(kind=kind).first() or waiting.first()
    if r is not None:
        _give(ctx, r, from_queue=True)
    else:
        live = ctx.live()
        _give(ctx, SpeakRequest(meeting=ctx.meeting, participant=p, kind=kind, agenda_item_id=live.current_item_id,
                                requested_at=ctx.now), from_queue=False)


def floor_end_speaker(ctx: Context, args: dict[str, Any]) -> None:
    _need_status(ctx, S.IN_PROGRESS)
    speaking = SpeakRequest.objects.filter(meeting=ctx.meeting, status=R.SPEAKING).first()
    own = speaking is not None and ctx.participant is not None and speaking.participant_id == ctx.participant.pk
    if not own:
        _need_chair(ctx)
    if not _end_speaker(ctx):
        raise Invalid(_("Nobody has the floor."), "no_speaker")


def floor_limit(ctx: Context, args: dict[str, Any]) -> None:
    _need_chair(ctx)
    _need_status(ctx, S.PUBLISHED, S.IN_PROGRESS)
    seconds = _int(args, "seconds")
    if not 0 <= seconds <= MAX_SPEAKING_LIMIT:
        raise Invalid(_("The time limit must be between 0 (none) and %(max)d seconds.") % {"max": MAX_SPEAKING_LIMIT},
                      "bad_args", field="seconds")
    live = ctx.live()
    if live.speaking_limit == seconds:
        return
    live.speaking_limit = seconds
    live.save(update_fields=["speaking_limit"])
    ctx.emit("floor.changed", {"floor": live.floor, "speaking_limit": seconds})
    if SpeakRequest.objects.filter(meeting=ctx.meeting, status=R.SPEAKING).update(limit_seconds=seconds):
        ctx.emit("speaker.changed", {"speaker": speaker_data(ctx.meeting.pk)})


COMMANDS: dict[str, Callable[[Context, dict[str, Any]], None]] = {
    "checkin": checkin,
    "checkout": checkout,
    "mark_absent": mark_absent,
    "quorum.rule": quorum_rule,
    "meeting.start": start_meeting,
    "meeting.end": end_meeting,
    "agenda.goto": agenda_goto,
    "queue.request": queue_request,
    "queue.withdraw": queue_withdraw,
    "floor.open": _floor_command(LiveState.Floor.OPEN),
    "floor.pause": _floor_command(LiveState.Floor.PAUSED),
    "floor.close": _floor_command(LiveState.Floor.CLOSED),
    "floor.next": floor_next,
    "floor.give": floor_give,
    "floor.end_speaker": floor_end_speaker,
    "floor.limit": floor_limit,
}


# Commands that do not lock the meeting row: they append no event (so need no seq) and lock what they
# change themselves (vote.cast locks its vote's row, shared, so a burst of ballots runs in parallel).
UNLOCKED: set[str] = set()
# Commands whose arguments are never written anywhere: not the audit trail, not the command receipt, not a
# log line or an error report (vote.cast: a secret ballot's choice; docs/voting.md, "What each can learn").
PRIVATE_ARGS: set[str] = set()
# A command's stored reply → what the client is sent, on the first answer and on every retry (vote.cast:
# the voter's receipt codes are opened from where they are kept sealed, never stored in the reply).
REPLY_VIEWS: dict[str, Callable[[User, dict[str, Any]], dict[str, Any]]] = {}


@dataclass(frozen=True)
class Batched:
    """One socket command handed to its command's batch function (``BATCHES``) instead of ``execute``."""

    user: User
    meeting_id: int
    command_id: str
    name: str
    args: dict[str, Any]


# A command's batch function: the commands of that name that reach a server process together, run at once
# (vote.cast: meetings/voting/batch.py). It returns one answer per command, in order, as ``execute`` would
# have answered it: the reply (already through its reply view), or an exception for that sender alone.
BatchFunction = Callable[[list[Batched]], list[dict[str, Any] | BaseException]]
BATCHES: dict[str, BatchFunction] = {}


def command(name: str, *, lock_meeting: bool = True, private_args: bool = False,
            reply_view: Callable[[User, dict[str, Any]], dict[str, Any]] | None = None,
            batch: BatchFunction | None = None,
            ) -> Callable[[Callable[[Context, dict[str, Any]], None]], Callable[[Context, dict[str, Any]], None]]:
    """Register a socket command from a later feature (documents, votes, video): its AppConfig.ready
    imports the module that uses this decorator. The handler runs inside execute()'s transaction; a dict
    it returns is added to the reply (and stored with it). ``batch``: how the socket runs many of them at
    once (the handler stays the one path of ``execute``, and the batch's fallback)."""

    def register(fn: Callable[[Context, dict[str, Any]], None]) -> Callable[[Context, dict[str, Any]], None]:
        if name in COMMANDS:
            raise RuntimeError(f"socket command {name!r} registered twice")
        COMMANDS[name] = fn
        if not lock_meeting:
            UNLOCKED.add(name)
        if private_args:
            PRIVATE_ARGS.add(name)
        if reply_view is not None:
            REPLY_VIEWS[name] = reply_view
        if batch is not None:
            BATCHES[name] = batch
        return fn

    return register


def view(user: User, name: str, reply: dict[str, Any]) -> dict[str, Any]:
    """What the client is sent for a command's stored reply."""
    return _view(user, name, reply)


def _view(user: User, name: str, reply: dict[str, Any]) -> dict[str, Any]:
    view = REPLY_VIEWS.get(name)
    return view(user, reply) if view is not None else reply


def error_reply(error: ServiceError) -> dict[str, Any]:
    body = {"code": error.code, "message": str(error.message)}
    if error.field:
        body["field"] = error.field
    return {"ok": False, "error": body}


def may_view(user: User, meeting: Meeting, participant: Participant | int | None) -> bool:
    """``permissions.can_view`` without its query in the common case (a burst of ballots): a participant sees
    a meeting once it has been announced, as ``permissions.visible_meetings`` says. ``participant``: the
    user's participant row in the meeting, or its id (a batch reads ids only), or None."""
    announced = meeting.status != S.DRAFT and not (meeting.status == S.CANCELLED and meeting.published_at is None)
    if participant is not None and user.is_active and announced:
        return True
    return permissions.can_view(user, meeting)


def execute(user: User, meeting_id: int, command_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one socket command; returns the reply (without its id). A repeated id returns the stored reply.

    A transaction that PostgreSQL aborts as a deadlock victim or a serialization failure changed nothing
    and is run again (a few times), so the command is answered instead of failing."""
    if name not in COMMANDS:
        return error_reply(Invalid(_("Unknown command “%(name)s”.") % {"name": name[:64]}, "unknown_command"))
    for attempt in range(RETRIES):
        try:
            return _execute_once(user, meeting_id, command_id, name, args)
        except OperationalError as e:
            if attempt + 1 == RETRIES or getattr(e.__cause__, "sqlstate", None) not in RETRY_SQLSTATES:
                raise
            log.warning("command %s: transaction aborted (%s), running it again", name,
                        getattr(e.__cause__, "sqlstate", "?"))
    raise AssertionError("unreachable")


RETRIES = 3
RETRY_SQLSTATES = ("40P01", "40001")  # deadlock_detected, serialization_failure


def lock_meeting(name: str, meeting_id: int) -> Meeting | None:
    """The meeting row, locked in the order every command takes its locks: meeting first, then the rows of
    the feature (a vote's row). Commands that number events take ``FOR NO KEY UPDATE``: it serialises them,
    yet does not block the ``FOR KEY SHARE`` that a foreign key to the meeting takes when a row referring
    to it is inserted (a command receipt, an audit entry). ``UNLOCKED`` commands (vote.cast) take that
    ``FOR KEY SHARE`` themselves, first, so that a ballot never waits for the meeting row while it holds a
    vote's row, whatever lock another service takes on the meeting (docs/voting.md, "Locks": a ballot
    waiting so, and the chair's extend holding the meeting row while waiting for the vote's row, was the
    deadlock of issue 17). SQLite has one writer at a time and ignores both."""
    if name not in UNLOCKED:
        return Meeting.objects.select_for_update(no_key=True).filter(pk=meeting_id).first()
    if connection.vendor != "postgresql":
        return Meeting.objects.filter(pk=meeting_id).first()
    found = list(Meeting.objects.raw(f"SELECT * FROM {Meeting._meta.db_table} WHERE id = %s FOR KEY SHARE",
                                     [meeting_id]))
    return found[0] if found else None


def _execute_once(user: User, meeting_id: int, command_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    try:
        with transaction.atomic():
            meeting = lock_meeting(name, meeting_id)
            if meeting is None:
                return error_reply(NotFound())
            receipt = CommandReceipt.objects.filter(meeting=meeting, user=user, command_id=command_id).first()
            if receipt is not None:
                return _view(user, receipt.name, receipt.reply)
            participant = meeting.participants.filter(user=user).first()
            if not may_view(user, meeting, participant):
                raise NotFound()
            ctx = Context(user, meeting, participant, timezone.now())
            with events.recording() as recorded:
                extra = COMMANDS[name](ctx, args)
            reply = {"ok": True, "seq": max(recorded) if recorded else None, **(extra or {})}
            CommandReceipt.objects.create(meeting=meeting, user=user, command_id=command_id, name=name, reply=reply)
            if recorded and name not in PRIVATE_ARGS:
                events.audit(user, f"live.{name}", meeting, "", args=args)
        return _view(user, name, reply)
    except ServiceError as e:
        return _store_refusal(user, meeting_id, command_id, name, error_reply(e))
    except IntegrityError:
        # The same id ran at the same moment on another connection: its answer stands.
        receipt = CommandReceipt.objects.filter(meeting_id=meeting_id, user=user, command_id=command_id).first()
        if receipt is None:
            raise
        return _view(user, receipt.name, receipt.reply)


def report_failure(name: str, error: BaseException) -> None:
    """Log a command that failed unexpectedly. For ``PRIVATE_ARGS`` commands only the exception's type and
    where it was raised: its message, or a chained one, could quote the arguments (a ``KeyError`` naming
    the option chosen)."""
    if name not in PRIVATE_ARGS:
        log.error("command %s failed", name[:64], exc_info=error)
        return
    where = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
    log.error("command %s failed: %s (message withheld: the arguments are private)\n%s", name,
              type(error).__name__, where)


def _store_refusal(user: User, meeting_id: int, command_id: str, name: str, reply: dict[str, Any]) -> dict[str, Any]:
    try:
        with transaction.atomic():
            CommandReceipt.objects.create(meeting_id=meeting_id, user=user, command_id=command_id, name=name,
                                          reply=reply)
    except IntegrityError:
        receipt = CommandReceipt.objects.filter(meeting_id=meeting_id, user=user, command_id=command_id).first()
        if receipt is not None:
            return _view(user, receipt.name, receipt.reply)
    return reply
