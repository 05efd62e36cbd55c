"""The meeting figures summed in the database: per meeting, per meeting kind, per month, quarter or year, or all
together (the totals), from one grouped query per kind of row (meetings, participants, turns to speak, votes).

Each query groups by the key itself (the kind, or the start's month, quarter or year in the site's time zone), so
a five-year history comes back as a few dozen rows, not as every meeting (bench/reports.py). The one figure
that is added up in Python is speaking time: it is rounded per meeting, as the meeting view shows it, before
it is summed, so a kind's or a period's minutes are the sum of its meetings' minutes. For that the turns come
back one row per meeting (at most one per meeting held), already summed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.models import Meeting, MeetingKind, Participant, SpeakRequest
from meetings.reports.figures import (
    COUNTED_VOTES,
    MEMBER_ROLES,
    ON_TIME_GRACE,
    PRESENT,
    attendance_counts,
    rate,
)
from meetings.voting.models import VotingItem

PERIODS = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}
KEYS = ("meeting", "kind", *PERIODS, "all")
# The figures of a group of meetings (a kind, a period, the totals); a meeting's row has a few more.
SUMMED = ("meetings", "invited", "present", "on_time", "absent_with_reason", "absent_without_reason", "speakers",
          "votes")
PER_MEETING = ("in_person", "online", "substitutes_sent")

Key = tuple[Any, ...]


def _key(key: str, path: str) -> dict[str, Any]:
    """The expression naming a row's group; ``path`` leads from the row to its meeting ("" or "meeting__").
    A period is the start truncated to it in the site's time zone (Trunc* use the current one), as the pages
    show dates: one expression per row, not a year and a month (two EXTRACTs cost PostgreSQL half as much
    again on five years of participations, and SQLite a Python call each)."""
    start = f"{path}start"
    if key == "meeting":
        return {"k0": F(f"{path}id" if path else "pk")}
    if key == "kind":
        return {"k0": F(f"{path}kind_id")}
    if key in PERIODS:
        return {"k0": PERIODS[key](start)}
    return {}  # all: no GROUP BY, one row


def _period(key: str, start: dt.datetime) -> Key:
    """A period's key from the start of it: (year,), (year, quarter) or (year, month)."""
    if key == "year":
        return (start.year,)
    return (start.year, (start.month - 1) // 3 + 1) if key == "quarter" else (start.year, start.month)


def _grouped(rows: QuerySet, key: str, path: str, **figures: Any) -> list[tuple[Key, dict[str, Any]]]:
    """``figures`` summed over ``rows`` by ``key``: (group, figures) pairs."""
    exprs = _key(key, path)
    if not exprs:
        return [((), rows.aggregate(**figures))]
    found = rows.values(**exprs).annotate(**figures).order_by()
    if key in PERIODS:
        return [(_period(key, r.pop("k0")), r) for r in found]
    return [((r.pop("k0"),), r) for r in found]


def summed(meetings: QuerySet[Meeting], key: str) -> dict[Key, dict[str, Any]]:
    """The figures of ``meetings`` by ``key`` (one of ``KEYS``): group -> figures, every group with a meeting."""
    ids = meetings.values("pk")
    held = Meeting.objects.filter(pk__in=ids)
    groups: dict[Key, dict[str, Any]] = {}
    for group, row in _grouped(held, key, "", meetings=Count("pk")):
        if row["meetings"]:
            groups[group] = dict.fromkeys(SUMMED + PER_MEETING, 0) | row | {"speaking_minutes": 0.0}
    people = Participant.objects.filter(meeting__in=ids, role__in=MEMBER_ROLES)
    for group, row in _grouped(people, key, "meeting__", **attendance_counts(), on_time=Count("id", filter=Q(
            attendance__status__in=PRESENT, attendance__checked_in_at__lte=F("meeting__start") + ON_TIME_GRACE))):
        if group in groups:
            groups[group].update({k: v or 0 for k, v in row.items()})
    votes = VotingItem.objects.filter(meeting__in=ids, status__in=COUNTED_VOTES)
    for group, row in _grouped(votes, key, "meeting__", votes=Count("id")):
        if group in groups:
            groups[group]["votes"] = row["votes"] or 0
    _add_turns(groups, ids, key)
    for figures in groups.values():
        figures["speaking_minutes"] = round(figures["speaking_minutes"], 1)
        figures["attendance_rate"] = rate(figures["present"], figures["invited"])
        figures["on_time_rate"] = rate(figures["on_time"], figures["present"])
    return groups


def _add_turns(groups: dict[Key, dict[str, Any]], ids: QuerySet, key: str) -> None:
    """Speakers (people whose turn started) and speaking time (turns that ended), one row per meeting."""
    exprs = _key(key, "meeting__") | {"m": F("meeting_id")}
    spoken = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    turns = SpeakRequest.objects.filter(meeting__in=ids, started_at__isnull=False).values(**exprs).annotate(
        speakers=Count("participant_id", distinct=True),
        spoken=Sum(spoken, filter=Q(ended_at__gt=F("started_at")))).order_by()
    for row in turns:
        group = () if "k0" not in row else _period(key, row["k0"]) if key in PERIODS else (row["k0"],)
        figures = groups.get(group)
        if figures is None:
            continue
        figures["speakers"] += row["speakers"]
        if row["spoken"]:
            # Rounded per meeting first: the meeting view's minutes, which the groups add up.
            figures["speaking_minutes"] += round(row["spoken"].total_seconds() / 60, 1)


def group_row(name: str, key: Any, figures: dict[str, Any]) -> dict[str, Any]:
    """A kind's or a period's row (or the totals): the summed figures under a name."""
    return {"key": key, "name": name, **{f: figures[f] for f in (*SUMMED, "speaking_minutes", "attendance_rate",
                                                                   "on_time_rate")}}


def totals(meetings: QuerySet[Meeting]) -> dict[str, Any]:
    return group_row(_("Total"), "total", summed(meetings, "all").get((), _empty()))


def add_up(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The totals of rows that partition the meetings (kinds, periods, or every meeting's own row): their sum,
    not another query over every participation."""
    figures = _empty()
    for row in rows:
        figures["meetings"] += row.get("meetings", 1)  # a meeting's own row is one meeting
        for f in SUMMED[1:]:
            figures[f] += row[f]
        figures["speaking_minutes"] += row["speaking_minutes"]
    figures["speaking_minutes"] = round(figures["speaking_minutes"], 1)
    figures["attendance_rate"] = rate(figures["present"], figures["invited"])
    figures["on_time_rate"] = rate(figures["on_time"], figures["present"])
    return group_row(_("Total"), "total", figures)


def _empty() -> dict[str, Any]:
    return dict.fromkeys(SUMMED + PER_MEETING, 0) | {"speaking_minutes": 0.0, "attendance_rate": None,
                                                       "on_time_rate": None}


def kind_rows(meetings: QuerySet[Meeting]) -> list[dict[str, Any]]:
    groups = summed(meetings, "kind")
    names = dict(MeetingKind.objects.filter(pk__in=[k for (k,) in groups if k]).values_list("pk", "name"))
    rows = [group_row(names.get(k) or _("(no kind)"), k, figures) for (k,), figures in groups.items()]
    return sorted(rows, key=lambda r: r["name"])


def period_label(key: Key, period: str) -> str:
    year = key[0]
    if period == "year":
        return _("Year %(year)s") % {"year": year}
    if period == "quarter":
        return _("Quarter %(quarter)s/%(year)s") % {"quarter": key[1], "year": year}
    return _("Month %(month)s/%(year)s") % {"month": f"{key[1]:02d}", "year": year}


def period_rows(meetings: QuerySet[Meeting], period: str) -> list[dict[str, Any]]:
    groups = summed(meetings, period)
    return [group_row(period_label(k, period), f"{k[0]}-{(k[1] if len(k) > 1 else 0):02d}", groups[k])
            for k in sorted(groups)]


def meeting_rows(meetings: QuerySet[Meeting], page: slice | None = None) -> list[dict[str, Any]]:
    """Each meeting's row, by start; ``page`` takes a slice of them (the page shows 50 at a time), and only
    those are counted."""
    found = meetings.order_by("start", "pk").values("pk", "title", "start", "kind_id", "kind__name",
                                                    "host_unit__name")
    found = list(found[page] if page else found)
    if page:
        meetings = Meeting.objects.filter(pk__in=[m["pk"] for m in found])
    groups = summed(meetings, "meeting")
    rows = []
    for m in found:
        figures = groups.get((m["pk"],)) or _empty()
        rows.append({
            "id": m["pk"], "title": m["title"], "start": timezone.localtime(m["start"]), "kind": m["kind__name"] or "",
            "kind_id": m["kind_id"], "host_unit": m["host_unit__name"],
            **{f: figures[f] for f in (*SUMMED[1:], *PER_MEETING, "speaking_minutes", "attendance_rate",
                                       "on_time_rate")},
        })
    return rows
