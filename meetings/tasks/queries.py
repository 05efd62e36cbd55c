"""Lists of tasks: per person, per unit, per meeting, filtered. Read-only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from meetings.models import Meeting

from .access import visible_tasks
from .models import Task

SHOWN_STATUSES = ("assigned", "in_progress", "extended", "done", "overdue", "confirmed", "open")


def filtered(user: User, *, meeting_id: int | None = None, unit_id: int | None = None,
             assignee_id: int | None = None, status: str | None = None, mine: bool = False,
             today: dt.date | None = None) -> QuerySet[Task]:
    tasks = visible_tasks(user).select_related("meeting", "unit", "assignee")
    today = today or timezone.localdate()
    if meeting_id is not None:
        tasks = tasks.filter(meeting_id=meeting_id)
    if unit_id is not None:
        tasks = tasks.filter(unit_id=unit_id)
    if assignee_id is not None:
        tasks = tasks.filter(assignee_id=assignee_id)
    if mine:
        tasks = tasks.filter(assignee=user)
    if status == "overdue":
        tasks = tasks.filter(Task.overdue_q(today))
    elif status == "open":
        tasks = tasks.filter(status__in=Task.OPEN)
    elif status == "confirmed":
        tasks = tasks.filter(confirmed_at__isnull=False)
    elif status in Task.OPEN:
        tasks = tasks.filter(status=status).exclude(Task.overdue_q(today))
    elif status == Task.Status.DONE:
        tasks = tasks.filter(status=status)
    return tasks.order_by("deadline", "id")


def meeting_task_counts(user: User, meeting: Meeting) -> dict[str, Any] | None:
    tasks = filtered(user, meeting_id=meeting.pk)
    total = tasks.count()
    if not total:
        return None
    return {"total": total, "overdue": tasks.filter(Task.overdue_q()).count(),
            "done": tasks.filter(status=Task.Status.DONE).count(),
            "url": reverse("meeting-tasks", args=[meeting.pk])}
