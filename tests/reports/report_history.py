"""A seeded history of finished meetings for the statistics tests, and the facts it was made from, so the
tests compute the expected figures themselves (plain Python over the facts, not the ORM)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

PRESENT = ("in_person", "online", "left")


@dataclass
class Fact:
    meeting: int
    user: int
    unit: int
    role: str
    rsvp: str
    rsvp_reason: str
    status: str | None  # attendance, None: never marked
    reason: str
    checked_in: dt.datetime | None
    start: dt.datetime


@dataclass
class History:
    meetings: dict[int, dict] = field(default_factory=dict)  # id -> {start, kind, host_unit, status}
    facts: list[Fact] = field(default_factory=list)
    turns: list[tuple[int, int, dt.datetime, dt.datetime | None]] = field(default_factory=list)
    votes: list[tuple[int, str]] = field(default_factory=list)  # (meeting, status)
    ballots: list[tuple[int, int]] = field(default_factory=list)  # (meeting, user)


def seed(people, units, count: int = 14, seed_value: int = 7) -> History:
    from meetings.models import Attendance, Meeting, MeetingKind, Participant, SpeakRequest
    from meetings.voting.models import Participation, VotingItem

    rng = random.Random(seed_value)
    kinds = [MeetingKind.objects.create(name="Họp thường kỳ"), MeetingKind.objects.create(name="Giao ban")]
    members = [("minh", "chair"), ("lan", "secretary"), ("hoa", "delegate"), ("binh", "delegate"),
               ("tuan", "delegate"), ("khach", "guest")]
    history = History()
    first = timezone.make_aware(dt.datetime(2026, 1, 6, 8, 0))
    for i in range(count):
        start = first + dt.timedelta(days=23 * i)
        status = Meeting.Status.CANCELLED if i == 3 else Meeting.Status.ENDED if i % 5 else Meeting.Status.ARCHIVED
        host = units["office"] if i % 4 else units["finance"]
        kind = kinds[i % 2]
        meeting = Meeting.objects.create(
            title=f"Cuộc họp số {i + 1}", kind=kind, host_unit=host, chair=people["minh"], secretary=people["lan"],
            start=start, end=start + dt.timedelta(hours=3), status=status, location="Phòng họp số 1")
        history.meetings[meeting.pk] = {"start": start, "kind": kind.pk, "host_unit": host.pk, "status": status}
        parts = {}
        for username, role in members:
            user = people[username]
            rsvp = rng.choice(["confirmed", "confirmed", "declined", "substituted", "pending"])
            rsvp_reason = "Đi công tác" if rsvp == "declined" and rng.random() < 0.6 else ""
            p = Participant.objects.create(meeting=meeting, user=user, role=role, rsvp=rsvp, rsvp_reason=rsvp_reason)
            parts[username] = p
            status_ = rng.choice(["in_person", "in_person", "online", "left", "absent", None])
            if rsvp in ("declined", "substituted") and status_ in PRESENT:
                status_ = "absent"
            reason = "Ốm" if status_ == "absent" and rng.random() < 0.5 else ""
            checked = start + dt.timedelta(minutes=rng.choice([-10, -1, 0, 4, 5, 6, 20])) if status_ in PRESENT else None
            if status_ is not None:
                Attendance.objects.create(participant=p, status=status_, reason=reason, checked_in_at=checked,
                                          at=checked or start)
            history.facts.append(Fact(meeting.pk, user.pk, user.unit_id, role, rsvp, rsvp_reason, status_, reason,
                                      checked, start))
        # A remote site's operator is not a member: never counted.
        Participant.objects.create(meeting=meeting, user=people["operator"], role="site", can_vote=False,
                                   site=units["district"])
        for _turn in range(rng.randint(0, 4)):
            who = rng.choice(list(parts.values()))
            began = start + dt.timedelta(minutes=rng.randint(5, 150))
            ended = began + dt.timedelta(seconds=rng.randint(30, 400)) if rng.random() < 0.85 else None
            SpeakRequest.objects.create(meeting=meeting, participant=who, status="done" if ended else "speaking",
                                        started_at=began, ended_at=ended)
            history.turns.append((meeting.pk, who.pk, began, ended))
        SpeakRequest.objects.create(meeting=meeting, participant=parts["hoa"], status="pending")  # never spoke
        for _vote in range(rng.randint(0, 3)):
            vstatus = rng.choice(["closed", "published", "prepared"])
            item = VotingItem.objects.create(meeting=meeting, question={"text": "Thông qua"}, rule={},
                                             status=vstatus)
            history.votes.append((meeting.pk, vstatus))
            if vstatus != "prepared":
                for username in rng.sample(["minh", "hoa", "binh", "tuan"], rng.randint(1, 4)):
                    Participation.objects.create(item=item, participant=parts[username], user=people[username])
                    history.ballots.append((meeting.pk, people[username].pk))
    return history
