"""Retention: a meeting over for longer than PHONGHOP_RETENTION_DAYS is written to an archive file that checks
out on its own, then its operational data is cleared; a recent meeting is left alone; a second run does nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_old_meeting_is_archived_to_a_file_then_cleared_and_a_recent_one_is_not(published, docs, people, settings):
    from meetings.documents.models import PageText
    from meetings.models import ArchivedRecord, AuditEntry, CommandReceipt, Meeting
    from meetings.record import archive, retention

    settings.PHONGHOP_RETENTION_DAYS = 365
    long_ago = timezone.now() - dt.timedelta(days=400)
    Meeting.objects.filter(pk=published.pk).update(status=Meeting.Status.ENDED, start=long_ago,
                                                   end=long_ago + dt.timedelta(hours=3))
    CommandReceipt.objects.create(meeting=published, user=people["hoa"], command_id="c-1", name="queue.request",
                                  reply={})
    recent = Meeting.objects.create(title="Họp tuần trước", host_unit=published.host_unit, chair=people["minh"],
                                    secretary=people["lan"], start=timezone.now() - dt.timedelta(days=10),
                                    end=timezone.now() - dt.timedelta(days=10, hours=-2), status=Meeting.Status.ENDED)
    assert PageText.objects.filter(version__document__meeting=published).exists()

    assert retention.apply() == [published.pk]
    record = ArchivedRecord.objects.get(meeting=published)
    data = (Path(settings.DATA_DIR) / record.path).read_bytes()
    assert archive.check(data) == [], "the file checks out against its own manifest"
    assert not CommandReceipt.objects.filter(meeting=published).exists()
    assert not PageText.objects.filter(version__document__meeting=published).exists()
    assert Meeting.objects.filter(pk=published.pk).exists(), "the meeting, its log and the audit trail stay"
    assert AuditEntry.objects.filter(action="meeting.retention_archive", meeting=published).count() == 1
    assert not ArchivedRecord.objects.filter(meeting=recent).exists()
    assert retention.apply() == [], "done once"


def test_retention_is_off_by_default(published, settings):
    from meetings.models import Meeting
    from meetings.record import retention

    long_ago = timezone.now() - dt.timedelta(days=4000)
    Meeting.objects.filter(pk=published.pk).update(status=Meeting.Status.ENDED, start=long_ago, end=long_ago)
    assert settings.PHONGHOP_RETENTION_DAYS == 0
    assert retention.apply() == []
