"""The daily retention job, run by Huey (settings.HUEY) like the reminders; ``lock_task`` keeps two consumers
from running it at once, and ``ArchivedRecord`` keeps a meeting from being archived twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .retention import apply


@db_periodic_task(crontab(hour="2", minute="30"))
@lock_task("retention")
def retention() -> int:
    return len(apply())
