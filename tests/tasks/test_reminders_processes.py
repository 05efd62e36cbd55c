"""A task's reminder is sent once even when two processes send reminders at the same moment, on
PostgreSQL with the job queue and its lock in Redis; a later run (after a restart) sends nothing twice.

Needs PostgreSQL (PHONGHOP_TEST_PG) and Redis (PHONGHOP_TEST_REDIS): a scratch database is created,
migrated, seeded with the demo (tasks due soon and overdue) and dropped; the queue's name is unique to the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from urllib.parse import urlparse, urlunparse

import pytest
from integration.daphne_cluster import PG, REDIS, ROOT, admin_sql

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(300)]

COUNT = """
import json
from django.db.models import Count
from meetings.models import Notification
from meetings.tasks.models import TaskReminder
per_user = Notification.objects.filter(kind="task_reminder").values("url", "user").annotate(n=Count("id"))
print(json.dumps({"reminders": TaskReminder.objects.count(),
                  "notifications": Notification.objects.filter(kind="task_reminder").count(),
                  "max_per_person_and_task": max([r["n"] for r in per_user] or [0])}))
"""


def test_two_processes_send_each_reminder_once(tmp_path):
    name = f"phonghop_rem_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_sql(f'CREATE DATABASE "{name}"')
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({
        "DATABASE_URL": urlunparse(urlparse(PG)._replace(path=f"/{name}")), "REDIS_URL": REDIS,
        "CHANNEL_PREFIX": f"rem{uuid.uuid4().hex[:8]}", "PHONGHOP_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings", "PHONGHOP_BALLOT_SECRET": "11" * 32,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "PHONGHOP_TASK_REMIND_DAYS": "3",
    })

    def manage(*args: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=180,
                              capture_output=True, text=True, **kw)

    try:
        manage("migrate", "--noinput", "-v", "0")
        manage("seed_demo")
        both = [subprocess.Popen([sys.executable, "manage.py", "send_task_reminders"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=180) for p in both]
        assert all(p.returncode == 0 for p in both), outputs
        sent = sum(int(out.split()[-1]) for out, _err in outputs if out.startswith("sent"))
        counts = json.loads(manage("shell", "-c", COUNT).stdout.strip().splitlines()[-1])
        # The demo's open tasks due within 3 days and its overdue one: each reminded once, by one process.
        assert counts["reminders"] >= 1 and sent == counts["reminders"], (outputs, counts)
        assert counts["max_per_person_and_task"] == 1, counts
        again = manage("send_task_reminders").stdout  # a later run, as after a restart
        assert again.strip() == "sent 0"
        assert json.loads(manage("shell", "-c", COUNT).stdout.strip().splitlines()[-1]) == counts
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
