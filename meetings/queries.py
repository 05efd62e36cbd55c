"""Read-side queries shared by the pages and the REST API: calendars and meeting search."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from meetings.models import Meeting, Participant
from meetings.permissions import visible_meetings
from meetings.textsearch import fold

WHEN = ("upcoming", "ongoing", "finished")


def search_meetings(
    user: User,
    *,
    when: str | None = None,
    status: str | None = None,
    text: str | None = None,
    start_from: dt.date | dt.datetime | None = None,
    start_to: dt.date | dt.datetime | None = None,
    host_unit: int | None = None,
    person: User | None = None,
    mine: bool = False,
) -> QuerySet[Meeting]:
    qs = visible_meetings(user).select_related("host_unit", "room", "kind", "chair", "secretary")
    now = timezone.now()
    if when == "upcoming":
        qs = qs.filter(start__gt=now).order_by("start")
    elif when == "ongoing":
        qs = qs.filter(start__lte=now, end__gte=now).order_by("start")
    elif when == "finished":
        qs = qs.filter(end__lt=now).order_by("-start")
    else:
        qs = qs.order_by("-start")
    if when in ("upcoming", "ongoing"):
        qs = qs.exclude(status__in=[Meeting.Status.CANCELLED])
    if status:
        qs = qs.filter(status=status)
    if text:
        for word in fold(text).split():
            qs = qs.filter(search_text__contains=word)
    if start_from:
        qs = qs.filter(start__gte=_aware(start_from))
    if start_to:
        qs = qs.filter(start__lt=_aware(start_to, end_of_day=True))
    if host_unit:
        qs = qs.filter(host_unit_id=host_unit)
    target = person or (user if mine else None)
    if target is not None:
        # A subquery, not a join: the join to every participation of a long history needed DISTINCT, and
        # the paginator's COUNT(DISTINCT ...) over it made the home calendar slow for a busy person.
        invited = Participant.objects.filter(user=target).values("meeting_id")
        qs = qs.filter(Q(pk__in=invited) | Q(chair=target) | Q(secretary=target))
    return qs


def _aware(value: dt.date | dt.datetime, end_of_day: bool = False) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min) + (dt.timedelta(days=1) if end_of_day else dt.timedelta())
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value
