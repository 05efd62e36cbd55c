"""Helpers shared by the API and service tests: refusals in our error format, and dates that give
(or do not give) the invitation notice, computed from today so tests do not depend on the day they run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from meetings.workdays import add_working_days


def refused(response, status: int, code: str) -> dict:
    """The response is an error in our format: {"error": {"code", "message"}} with a message to show."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"].strip()
    return error


def at(day: dt.date, hour: int = 8, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def working_days_ahead(count: int) -> dt.date:
    """The working day ``count`` working days after today."""
    return add_working_days(timezone.localdate(), count)


def meeting_payload(title: str = "Họp giao ban tháng", days: int = 5, **extra) -> dict:
    """A meeting ``days`` working days ahead, 08:00–11:00, as the API takes it."""
    day = working_days_ahead(days)
    return {"title": title, "start": at(day, 8).isoformat(), "end": at(day, 11).isoformat(),
            "location": "Phòng họp số 1", **extra}


def invitation_calendar(message) -> Calendar:
    """The .ics attached to an invitation e-mail, parsed."""
    ics = [a for a in message.attachments if a[0].endswith(".ics")]
    assert len(ics) == 1, message.attachments
    content = ics[0][1]
    return Calendar.from_ical(content if isinstance(content, bytes) else content.encode())


def only_event(calendar: Calendar):
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def mail_to(mailoutbox, address: str):
    found = [m for m in mailoutbox if m.to == [address]]
    assert len(found) == 1, [m.to for m in mailoutbox]
    return found[0]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The personas' passwords hashed the quick way: the tests are about meetings, not key stretching.
    A module opts in by importing this fixture."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
