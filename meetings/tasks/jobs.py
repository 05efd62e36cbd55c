"""Periodic jobs of follow-up tasks, run by Huey (settings.HUEY: SQLite queue in the embedded default,
Redis when scaled out). ``lock_task`` keeps two consumers from running the job at the same moment; the
reminders' own unique claim keeps any reminder from going out twice even so."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .reminders import send_due_reminders


@db_periodic_task(crontab(minute="*/15"))
@lock_task("task-reminders")
def task_reminders() -> int:
    return send_due_reminders()
