"""Working days in Vietnam: weekends and public holidays (lunar Tết included) are off.

The ``holidays`` package knows the statutory calendar; each year the government also announces
extra days off and Saturdays worked in exchange, which a deployment lists in settings.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
from django.conf import settings


@lru_cache(maxsize=32)
def _statutory(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("VN", years=[year]).keys())


def _dates(values: list[str]) -> set[dt.date]:
    return {dt.date.fromisoformat(v) for v in values}


def is_working_day(day: dt.date) -> bool:
    if day in _dates(settings.PHONGHOP_EXTRA_WORKDAYS):
        return True
    if day.weekday() >= 5 or day in _dates(settings.PHONGHOP_EXTRA_HOLIDAYS):
        return False
    return day not in _statutory(day.year)


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
