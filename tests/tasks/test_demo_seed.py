"""The demo holds a finished meeting with approved minutes, an issued notice and tasks in every status."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_finished_meeting_with_its_record(monkeypatch):
    from django.core.management import call_command

    from meetings.minutes.models import ConclusionNotice, MinutesVersion
    from meetings.models import Meeting
    from meetings.tasks.models import Task

    monkeypatch.setenv("PHONGHOP_BALLOT_SECRET", "11" * 32)
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    meeting = Meeting.objects.get(status="ended")
    version = MinutesVersion.objects.get(minutes__meeting=meeting)
    assert version.status == "approved"
    assert version.content["items"][0]["votes"][0]["sentence"].startswith("Thông qua: 3/")
    assert ConclusionNotice.objects.get(meeting=meeting).status == "issued"
    tasks = list(Task.objects.filter(meeting=meeting))
    shown = {t.shown_status for t in tasks}
    assert shown == {"assigned", "in_progress", "extended", "done", "overdue"}
    assert any(t.confirmed_at for t in tasks)
