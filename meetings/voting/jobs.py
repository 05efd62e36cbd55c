"""Jobs of votes, run by Huey (settings.HUEY) like the tasks' reminders (meetings/tasks/jobs.py).

``close_at_deadline`` is queued for each deadline (deadlines.schedule); ``vote_deadlines`` sweeps every
minute for anything a lost task left open. ``lock_task`` keeps two consumers from sweeping at once; the
vote's row lock and status check (deadlines.close_if_due) keep a vote from being closed twice even so.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from meetings.voting import deadlines


@db_task()
def close_at_deadline(item_id: int) -> bool:
    return deadlines.close_if_due(item_id)


@db_periodic_task(crontab(minute="*"))
@lock_task("vote-deadlines")
def vote_deadlines() -> int:
    return deadlines.close_due()
