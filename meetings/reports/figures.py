"""The figures: per meeting, per member, per unit, per meeting kind and per period, over finished meetings.

Definitions (docs/api.md, "Statistics", says the same to users):
- *members* of a meeting are its participants other than remote-site operators (chair, secretary, delegates,
  guests); a substitute counts as the member who attended, the person they replaced as invited and absent;
- *present*: checked in, in the hall or online, including those who left before the end;
- *on time*: checked in no later than ``ON_TIME_GRACE`` after the planned start;
- *absent with reason*: not present, and a reason was given (with the answer to the invitation, or at roll call),
  or a substitute sent or a proxy given;
- *speakers*: members whose turn to speak started; speaking time sums the turns that ended;
- *votes*: votes closed or announced.

Each figure is one grouped query per kind of row (a handful in all, whatever the number of meetings), so a
five-year history stays quick (bench/reports.py). The members' and units' figures are here; the meetings'
(per meeting, kind, period, and the totals) are summed in the database by ``sums``, with the same counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.models import Attendance, Meeting, Participant
from meetings.voting.models import Participation, VotingItem

FINISHED = (Meeting.Status.ENDED, Meeting.Status.ARCHIVED)
MEMBER_ROLES = (Participant.Role.CHAIR, Participant.Role.SECRETARY, Participant.Role.DELEGATE, Participant.Role.GUEST)
PRESENT = (Attendance.Status.IN_PERSON, Attendance.Status.ONLINE, Attendance.Status.LEFT)
ON_TIME_GRACE = dt.timedelta(minutes=5)
COUNTED_VOTES = (VotingItem.Status.CLOSED, VotingItem.Status.PUBLISHED)
PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    kind_id: int | None = None
    unit_ids: frozenset[int] | None = None  # host units (a unit and those below it)
    period: str = "month"


def finished(meetings: QuerySet[Meeting], filters: Filters) -> QuerySet[Meeting]:
    found = meetings.filter(status__in=FINISHED)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        found = found.filter(start__gte=dt.datetime.combine(filters.date_from, dt.time.min, tz))
    if filters.date_to:
        found = found.filter(start__lt=dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, tz))
    if filters.kind_id:
        found = found.filter(kind_id=filters.kind_id)
    if filters.unit_ids is not None:
        found = found.filter(host_unit_id__in=filters.unit_ids)
    return found


def rate(part: int, whole: int) -> float | None:
    """A share in [0, 1], or None when there is nothing to divide (shown as a dash, not 0 %)."""
    return part / whole if whole else None


def attendance_counts() -> dict[str, Any]:
    present = Q(attendance__status__in=PRESENT)
    # Sending a substitute or giving a proxy is itself the reason given.
    reason = (Q(rsvp_reason__gt="") | Q(attendance__reason__gt="")
              | Q(rsvp__in=(Participant.Rsvp.SUBSTITUTED, Participant.Rsvp.PROXY)))
    return {
        "invited": Count("id"),
        "present": Count("id", filter=present),
        "in_person": Count("id", filter=Q(attendance__status=Attendance.Status.IN_PERSON)),
        "online": Count("id", filter=Q(attendance__status=Attendance.Status.ONLINE)),
        "absent_with_reason": Count("id", filter=~present & reason),
        "absent_without_reason": Count("id", filter=~present & ~reason),
        "substitutes_sent": Count("id", filter=Q(rsvp=Participant.Rsvp.SUBSTITUTED)),
    }


def consultation_counts(filters: Filters, user_ids: Iterable[int] | None = None,
                        consultations: QuerySet | None = None) -> dict[int, tuple[int, int]]:
    """Per person: (written consultations asked of them, answered), by deadline within the filters' dates,
    among ``consultations`` (those the reader may see)."""
    from meetings.consultation.models import Consultation, Recipient

    found = Recipient.objects.exclude(consultation__status__in=(Consultation.Status.DRAFT,
                                                                Consultation.Status.WITHDRAWN))
    if consultations is not None:
        found = found.filter(consultation__in=consultations.values("pk"))
    tz = timezone.get_current_timezone()
    if filters.date_from:
        found = found.filter(consultation__deadline__gte=dt.datetime.combine(filters.date_from, dt.time.min, tz))
    if filters.date_to:
        found = found.filter(consultation__deadline__lt=dt.datetime.combine(
            filters.date_to + dt.timedelta(days=1), dt.time.min, tz))
    if user_ids is not None:
        found = found.filter(user_id__in=list(user_ids))
    rows = found.values("user_id").annotate(asked=Count("id"), answered=Count("id", filter=Q(answered_at__isnull=False)))
    return {r["user_id"]: (r["asked"], r["answered"]) for r in rows.order_by()}


def member_rows(meetings: QuerySet[Meeting], user_ids: Iterable[int] | None = None,
                filters: Filters | None = None, consultations: QuerySet | None = None) -> list[dict[str, Any]]:
    ids = meetings.values("pk")
    found = Participant.objects.filter(meeting__in=ids, role__in=MEMBER_ROLES)
    cast = Participation.objects.filter(item__meeting__in=ids)
    if user_ids is not None:
        found, cast = found.filter(user_id__in=list(user_ids)), cast.filter(user_id__in=list(user_ids))
    votes = dict(cast.values("user_id").annotate(n=Count("id")).order_by().values_list("user_id", "n"))
    consulted = consultation_counts(filters or Filters(), user_ids, consultations)
    rows = []
    for row in found.values("user_id", "user__full_name", "user__unit_id", "user__unit__name").annotate(
            **attendance_counts()).order_by("user__unit__name", "user__full_name", "user_id"):
        rows.append({
            "id": row["user_id"], "name": row["user__full_name"], "unit_id": row["user__unit_id"],
            "unit": row["user__unit__name"] or "", "invited": row["invited"], "attended": row["present"],
            "absent_with_reason": row["absent_with_reason"], "absent_without_reason": row["absent_without_reason"],
            "substitutes_sent": row["substitutes_sent"], "votes_cast": votes.get(row["user_id"], 0),
            "consultations_asked": consulted.get(row["user_id"], (0, 0))[0],
            "consultations_answered": consulted.get(row["user_id"], (0, 0))[1],
            "attendance_rate": rate(row["present"], row["invited"]),
        })
    return rows


def unit_rows(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The members' figures added up by the unit each person belongs to."""
    units: dict[Any, dict[str, Any]] = {}
    for m in members:
        u = units.setdefault(m["unit_id"], {
            "id": m["unit_id"], "name": m["unit"] or _("(no unit)"), "members": 0, "invited": 0, "attended": 0,
            "absent_with_reason": 0, "absent_without_reason": 0, "substitutes_sent": 0, "votes_cast": 0,
            "consultations_asked": 0, "consultations_answered": 0,
        })
        u["members"] += 1
        for key in ("invited", "attended", "absent_with_reason", "absent_without_reason", "substitutes_sent",
                    "votes_cast", "consultations_asked", "consultations_answered"):
            u[key] += m[key]
    rows = sorted(units.values(), key=lambda u: u["name"])
    for u in rows:
        u["attendance_rate"] = rate(u["attended"], u["invited"])
    return rows


def task_rows(meetings: QuerySet[Meeting], filters: Filters) -> list[dict[str, Any]]:
    """Follow-up tasks of the meetings in scope, by the unit they were given to (else the assignee's unit): given,
    done on time and late (against the deadline in force, extensions granted included), overdue (not done,
    deadline passed), still open. By deadline within the filters' dates."""
    from meetings.tasks.models import Task

    found = Task.objects.filter(meeting__in=meetings.values("pk"))
    if filters.date_from:
        found = found.filter(deadline__gte=filters.date_from)
    if filters.date_to:
        found = found.filter(deadline__lte=filters.date_to)
    today = timezone.localdate()
    units: dict[Any, dict[str, Any]] = {}
    for unit_id, unit_name, assignee_unit_id, assignee_unit, deadline, status, done_at in found.values_list(
            "unit_id", "unit__name", "assignee__unit_id", "assignee__unit__name", "deadline", "status", "done_at"):
        key, name = (unit_id, unit_name) if unit_id else (assignee_unit_id, assignee_unit)
        u = units.setdefault(key, {"id": key, "name": name or _("(no unit)"), "tasks": 0, "done_on_time": 0,
                                   "done_late": 0, "overdue": 0, "open": 0})
        u["tasks"] += 1
        if status == Task.Status.DONE and done_at:
            u["done_on_time" if timezone.localdate(done_at) <= deadline else "done_late"] += 1
        elif deadline < today:
            u["overdue"] += 1
        else:
            u["open"] += 1
    rows = sorted(units.values(), key=lambda u: u["name"])
    for u in rows:
        u["on_time_rate"] = rate(u["done_on_time"], u["done_on_time"] + u["done_late"])
    return rows
