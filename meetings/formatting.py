"""Dates as Vietnamese officials write them: "Thứ Hai, 23/11/2026, 08:00"."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import pgettext_lazy

WEEKDAYS = [
    pgettext_lazy("weekday", "Monday"),
    pgettext_lazy("weekday", "Tuesday"),
    pgettext_lazy("weekday", "Wednesday"),
    pgettext_lazy("weekday", "Thursday"),
    pgettext_lazy("weekday", "Friday"),
    pgettext_lazy("weekday", "Saturday"),
    pgettext_lazy("weekday", "Sunday"),
]


def local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def weekday(value: dt.date) -> str:
    return str(WEEKDAYS[value.weekday()])


def long_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    value = local(value)
    return f"{weekday(value)}, {value:%d/%m/%Y}, {value:%H:%M}"


def long_date(value: dt.date | None) -> str:
    if value is None:
        return ""
    return f"{weekday(value)}, {value:%d/%m/%Y}"


def time_range(start: dt.datetime, end: dt.datetime) -> str:
    start, end = local(start), local(end)
    if start.date() == end.date():
        return f"{long_datetime(start)} – {end:%H:%M}"
    return f"{long_datetime(start)} – {long_datetime(end)}"
