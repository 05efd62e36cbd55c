"""Working days in Vietnam: weekends and public holidays (lunar Tết included) are off.

The ``holidays`` package knows the statutory calendar, including the Saturdays the government has
already swapped into working days; each year the government may announce further days off and
Saturdays worked in exchange, which a deployment lists in settings.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
from django.conf import settings


@lru_cache(maxsize=32)
def _calendar(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(days off, weekend days worked) of one year, as the ``holidays`` package knows them."""
    known = holidays.country_holidays("VN", years=[year])
    worked = frozenset(d for d in getattr(known, "weekend_workdays", ()) if d.year == year)
    return frozenset(known.keys()), worked


def _statutory(year: int) -> frozenset[dt.date]:
    return _calendar(year)[0]


def _dates(values: list[str]) -> set[dt.date]:
    return {dt.date.fromisoformat(v) for v in values}


def is_working_day(day: dt.date) -> bool:
    if day in _dates(settings.PHONGHOP_EXTRA_WORKDAYS):
        return True
    if day in _dates(settings.PHONGHOP_EXTRA_HOLIDAYS):
        return False
    days_off, weekend_worked = _calendar(day.year)
    if day in days_off:
        return False
    return day.weekday() < 5 or day in weekend_worked


def working_days_between(after: dt.date, until: dt.date) -> int:
    """Working days d with ``after < d <= until``: how many working days ahead ``until`` lies."""
    count, day = 0, after + dt.timedelta(days=1)
    while day <= until:
        count += is_working_day(day)
        day += dt.timedelta(days=1)
    return count


def latest_notice_date(meeting_day: dt.date, lead_days: int) -> dt.date:
    """The last day on which an invitation still gives ``lead_days`` working days' notice."""
    day, counted = meeting_day, 0
    while counted < lead_days:
        if is_working_day(day):
            counted += 1
        day -= dt.timedelta(days=1)
    return day


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The day ``count`` working days after ``start`` (``count`` >= 1), e.g. a 5-working-day deadline."""
    day, found = start, 0
    while found < count:
        day += dt.timedelta(days=1)
        found += is_working_day(day)
    return day
