"""Reminders of task deadlines: in the application and by e-mail, a few days before the deadline and once
the task is overdue.

Each reminder is claimed by inserting a ``TaskReminder`` row (unique per task and key) in its own
transaction; a second process sending the same reminder meets the constraint and skips it. So a
reminder goes out once whatever runs this (the periodic job in one or several consumers, a cron line, a
test), and a run after a restart sends what was missed and nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from meetings.models import Notification

from .models import Task, TaskReminder

log = logging.getLogger(__name__)


def _recipients(task: Task, overdue: bool) -> list[User]:
    people: dict[int, User] = {}
    if task.assignee_id:
        people[task.assignee_id] = task.assignee
    elif task.unit_id:
        people.update({u.pk: u for u in User.objects.filter(role="unit_admin", unit_id=task.unit_id, is_active=True)})
    if overdue:  # the office that assigned it follows up overdue tasks
        for u in (task.meeting.secretary, task.created_by):
            if u is not None and u.is_active:
                people.setdefault(u.pk, u)
    return list(people.values())


def _claim(task: Task, key: str) -> bool:
    try:
        with transaction.atomic():
            TaskReminder.objects.create(task=task, key=key)
    except IntegrityError:
        return False
    return True


def send_due_reminders(today: dt.date | None = None) -> int:
    """Send the reminders due today that nobody has sent yet; returns how many this call sent."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.PHONGHOP_TASK_REMIND_DAYS)
    tasks = (Task.objects.filter(status__in=Task.OPEN, deadline__lte=horizon)
             .select_related("meeting__secretary", "assignee", "created_by", "unit"))
    sent = 0
    for task in tasks:
        overdue = task.deadline < today
        key = f"{'overdue' if overdue else 'due'}:{task.deadline.isoformat()}"
        if not _claim(task, key):
            continue
        sent += 1
        people = _recipients(task, overdue)
        with translation.override(settings.LANGUAGE_CODE):
            if overdue:
                title = _("Task overdue: %(title)s") % {"title": task.title}
            else:
                title = _("Task deadline approaching: %(title)s") % {"title": task.title}
            body = _("Deadline: %(date)s. Meeting: %(meeting)s.") % {
                "date": task.deadline.strftime("%d/%m/%Y"), "meeting": task.meeting.title}
        url = reverse("task-detail", args=[task.pk])
        Notification.objects.bulk_create([Notification(user=u, meeting=task.meeting, kind="task_reminder",
                                                       title=title[:500], body=body, url=url) for u in people])
        mails = [(title, f"{body}\n{url}", settings.DEFAULT_FROM_EMAIL, [u.email]) for u in people if u.email]
        if mails:
            try:
                send_mass_mail(mails, fail_silently=False)
            except Exception:  # the in-app reminder is sent; a mail server that is down is only logged
                log.exception("task reminder mail for task %s failed", task.pk)
    return sent
