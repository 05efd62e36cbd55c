"""Who may open a meeting's socket, decided from facts read once per meeting and seq.

``live.socket_access`` asks the database five or six questions per socket. Everything it needs that is
the meeting's (status, whether it was published, chair, secretary, host unit, remote sites, the
participant rows) is here read once into ``MeetingFacts`` and kept per process with the seq it was
read at. Every change to those facts is made by a service that appends an event in the same
transaction (``meetings.services.events.record``), so facts read at seq ``s`` are still exact
whenever the meeting's ``last_seq`` is ``s``. A batch of sockets reads the current ``last_seq`` of
their meetings in one query (from a read that starts after they asked: ``realtime.batching``), and
re-reads the facts only when it moved. Any process, any change: nothing needs telling.

The person's side (active, role, unit) comes with the person, read when the socket authenticated.
Unit administrators are the exception: their rights follow the unit tree, which has no seq, so they go
through ``live.socket_access`` unchanged (a handful per meeting). ``access_from`` mirrors
``meetings.permissions`` and ``live.socket_access``; ``tests/realtime/test_entry.py`` holds them equal.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import OPERATE_SITE, SEE_ALL_MEETINGS, SEE_UNIT_MEETINGS, Role
from meetings.errors import Forbidden, NotFound, ServiceError
from meetings.models import Meeting, Participant
from meetings.services import live


@dataclass(frozen=True)
class MeetingFacts:
    meeting_id: int
    seq: int
    status: str
    published: bool
    chair_id: int | None
    secretary_id: int | None
    host_unit_id: int | None
    remote_site_ids: frozenset[int]
    participants: dict[int, tuple[int, int | None]]  # user id → (participant id, registered site id)

    @property
    def announced(self) -> bool:
        """Not a draft, nor cancelled before it was ever published (``permissions.visible_meetings``)."""
        return self.status != Meeting.Status.DRAFT and not (self.status == Meeting.Status.CANCELLED
                                                             and not self.published)


def read_facts(meeting_id: int) -> MeetingFacts | None:
    """The facts at one committed moment (one REPEATABLE READ transaction on PostgreSQL)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        row = (Meeting.objects.filter(pk=meeting_id)
               .values("last_seq", "status", "published_at", "chair_id", "secretary_id", "host_unit_id").first())
        if row is None:
            return None
        sites = frozenset(Meeting.remote_sites.through.objects.filter(meeting_id=meeting_id)
                          .values_list("unit_id", flat=True))
        people = {user_id: (pk, site_id) for pk, user_id, site_id in
                  Participant.objects.filter(meeting_id=meeting_id).values_list("pk", "user_id", "site_id")}
    return MeetingFacts(meeting_id, row["last_seq"], row["status"], row["published_at"] is not None,
                        row["chair_id"], row["secretary_id"], row["host_unit_id"], sites, people)


def access_from(user: User, facts: MeetingFacts) -> live.Access:
    """``live.socket_access`` for a person who is not a unit administrator, without the database."""
    if not user.is_authenticated or not user.is_active:
        raise NotFound(_("This meeting does not exist, or you may not see it."))
    entry = facts.participants.get(user.pk)
    organiser = user.pk in (facts.chair_id, facts.secretary_id)
    visible = (user.can(SEE_ALL_MEETINGS) or organiser
               or (facts.announced and (
                   entry is not None
                   or (bool(user.unit_id) and user.can(SEE_UNIT_MEETINGS) and facts.host_unit_id == user.unit_id)
                   or (bool(user.unit_id) and user.can(OPERATE_SITE) and user.unit_id in facts.remote_site_ids))))
    if not visible:
        raise NotFound(_("This meeting does not exist, or you may not see it."))
    editor = user.is_system_admin or organiser
    at_site = bool(user.unit_id) and user.unit_id in facts.remote_site_ids
    operator = at_site and user.can(OPERATE_SITE)
    if entry is None and not editor and not operator:
        raise Forbidden(_("Only the meeting's participants and organisers can join the live room."))
    site_id = entry[1] if entry else None
    if site_id is None and at_site:
        site_id = user.unit_id
    roles = [name for name, yes in (
        ("editor", editor), ("chair", user.pk == facts.chair_id), ("secretary", user.pk == facts.secretary_id),
        ("participant", entry is not None), ("site_operator", operator),
    ) if yes]
    return live.Access(facts.meeting_id, user.pk, editor, entry[0] if entry else None, site_id, roles,
                       facts.host_unit_id)


# The facts of the meetings this process has seen lately, by meeting id. Read and written only from the
# batch calls, which run in the database thread; the lock makes that an invariant, not an assumption.
_facts: dict[int, MeetingFacts] = {}
_facts_lock = threading.Lock()
CACHED_MEETINGS = 512


def current_facts(meeting_id: int, seq: int | None) -> MeetingFacts | None:
    """The facts at ``seq`` (the meeting's last_seq just read), from memory when nothing changed since."""
    with _facts_lock:
        cached = _facts.get(meeting_id)
    if cached is not None and seq is not None and cached.seq == seq:
        return cached
    facts = read_facts(meeting_id)
    with _facts_lock:
        if facts is None:
            _facts.pop(meeting_id, None)
        else:
            if len(_facts) >= CACHED_MEETINGS and meeting_id not in _facts:
                _facts.pop(next(iter(_facts)))
            _facts[meeting_id] = facts
    return facts


def forget_all() -> None:
    """Drop the facts remembered (tests: a fresh database may reuse a meeting id at the same seq)."""
    with _facts_lock:
        _facts.clear()


def last_seqs(meeting_ids: set[int]) -> dict[int, int]:
    return dict(Meeting.objects.filter(pk__in=meeting_ids).values_list("pk", "last_seq"))


def access_many(requests: list[tuple[User, int]]) -> list[live.Access | ServiceError]:
    """The access of each (person, meeting): one query for the meetings' seqs, the facts only when they moved."""
    seqs = last_seqs({meeting_id for _user, meeting_id in requests})
    facts = {m: current_facts(m, seq) for m, seq in seqs.items()}
    answers: list[live.Access | ServiceError] = []
    for user, meeting_id in requests:
        try:
            if user.role == Role.UNIT_ADMIN and user.unit_id and user.is_active:
                answers.append(live.socket_access(user, meeting_id))
                continue
            found = facts.get(meeting_id)
            if found is None:
                raise NotFound(_("This meeting does not exist, or you may not see it."))
            answers.append(access_from(user, found))
        except ServiceError as e:
            answers.append(e)
    return answers
