"""Task deadlines as an iCalendar file: one all-day event per open task, on its deadline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from icalendar import Calendar, Event

from .models import Task


def deadlines_calendar(tasks: Iterable[Task]) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Phong hop so//Nhiem vu//VI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Hạn xử lý nhiệm vụ")
    host = (settings.ALLOWED_HOSTS or ["phonghop"])[0].lstrip(".") or "phonghop"
    for task in tasks:
        event = Event()
        event.add("uid", f"task-{task.pk}@{host}")
        event.add("summary", f"Hạn xử lý: {task.title}")
        event.add("dtstart", task.deadline)
        event.add("dtend", task.deadline + dt.timedelta(days=1))
        event.add("dtstamp", task.updated_at)
        who = ", ".join(x for x in (task.unit.name if task.unit_id else "", str(task.assignee or "")) if x)
        event.add("description", f"Cuộc họp: {task.meeting.title}\nĐơn vị/người thực hiện: {who}")
        cal.add_component(event)
    return cal.to_ical()
