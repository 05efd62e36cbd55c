"""Periodic job of written consultations, run by Huey like the tasks' reminders (meetings/tasks/jobs.py).
``lock_task`` keeps two consumers from running it at once; each consultation's conditional UPDATE keeps a
reminder from going out twice even so."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import remind_due


@db_periodic_task(crontab(minute="*/10"))
@lock_task("consultation-reminders")
def consultation_reminders() -> int:
    return remind_due()
