"""The meeting figures summed in the database: per meeting, per meeting kind, per month, quarter or year, or all
together (the totals).

One grouped query per kind of row (participants with their attendance, votes, turns to speak) sums each
meeting's figures in the database, grouped by the meeting's id, a column: a year's 40,000 participations come
back as a thousand rows. Those are added up into the meeting's group (its kind or period, read once per
meeting by ``_groups_of``). Grouping the participations by the period itself made SQLite run its Python
time-zone truncation for every participation (a 1,500-meeting history's periods took 2.3 s instead of 0.9 s)
and saved PostgreSQL nothing measurable; grouping by meeting also keeps speaking time rounded per meeting,
as the meeting view shows it, before it is summed, so a kind's or a period's minutes are the sum of its
meetings' minutes.

The rows themselves are never model instances: building a thousand meetings with their dates was most of
the time of the kind and period pages before (bench/reports.py, docs/benchmarks.md).
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


def _groups_of(held: QuerySet[Meeting], key: str) -> dict[int, Key]:
    """Each meeting's group. A period is the start truncated to it in the site's time zone (Trunc* use the
    current one), as the pages show dates; it is worked out once per meeting, here, never per participation:
    SQLite truncates by a Python call for each row it is asked of."""
    if key == "all":
        return dict.fromkeys(held.values_list("pk", flat=True), ())
    if key == "meeting":
        return {pk: (pk,) for pk in held.values_list("pk", flat=True)}
    if key == "kind":
        return {pk: (kind,) for pk, kind in held.values_list("pk", "kind_id")}
    return {pk: _period(key, start) for pk, start in held.values_list("pk", PERIODS[key]("start"))}


def _period(key: str, start: dt.datetime) -> Key:
    """A period's key from the start of it: (year,), (year, quarter) or (year, month)."""
    if key == "year":
        return (start.year,)
    return (start.year, (start.month - 1) // 3 + 1) if key == "quarter" else (start.year, start.month)


def summed(meetings: QuerySet[Meeting], key: str) -> dict[Key, dict[str, Any]]:
    """The figures of ``meetings`` by ``key`` (one of ``KEYS``): group -> figures, every group with a meeting."""
    ids = meetings.values("pk")
    group_of = _groups_of(Meeting.objects.filter(pk__in=ids), key)
    groups: dict[Key, dict[str, Any]] = {}
    for group in group_of.values():
        groups.setdefault(group, _empty())["meetings"] += 1
    people = Participant.objects.filter(meeting__in=ids, role__in=MEMBER_ROLES).values("meeting_id").annotate(
        **attendance_counts(), on_time=Count("id", filter=Q(
            attendance__status__in=PRESENT, attendance__checked_in_at__lte=F("meeting__start") + ON_TIME_GRACE)))
    votes = VotingItem.objects.filter(meeting__in=ids, status__in=COUNTED_VOTES).values("meeting_id").annotate(
        votes=Count("id"))
    spoken = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    turns = SpeakRequest.objects.filter(meeting__in=ids, started_at__isnull=False).values("meeting_id").annotate(
        speakers=Count("participant_id", distinct=True), spoken=Sum(spoken, filter=Q(ended_at__gt=F("started_at"))))
    for rows in (people, votes, turns):
        for row in rows.order_by():
            group = group_of.get(row.pop("meeting_id"))
            if group is None:  # finished between two of these queries: counted on the next request
                continue
            figures = groups[group]
            spoken_time = row.pop("spoken", None)
            if spoken_time:
                # Rounded per meeting first: the meeting view's minutes, which the groups add up.
                figures["speaking_minutes"] += round(spoken_time.total_seconds() / 60, 1)
            for name, value in row.items():
                figures[name] += value
    for figures in groups.values():
        figures["speaking_minutes"] = round(figures["speaking_minutes"], 1)
        figures["attendance_rate"] = rate(figures["present"], figures["invited"])
        figures["on_time_rate"] = rate(figures["on_time"], figures["present"])
    return groups


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
