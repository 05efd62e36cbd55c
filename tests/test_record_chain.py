"""The tamper-evident record: each meeting's event log and the audit trail are hash chains; changing one
field of one entry directly in the database makes verification name exactly that entry."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

# transaction=True: the audit trail is sealed after each commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def verify(*args: str) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("verify_record", *args, stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


@pytest.fixture
def worked_on(published, people):
    """A published meeting with an agenda change, two more participants and an answer: events and audits."""
    from meetings.services import agenda, participants

    lan = people["lan"]
    agenda.add_item(lan, published, title="Dự toán ngân sách năm 2027")
    participants.add_participant(lan, published, people["tuan"])
    participants.add_participant(lan, published, people["khach"], role="guest")
    participants.respond(people["hoa"], published, answer="declined", reason="Đi công tác")
    return published


def test_an_untouched_record_verifies(worked_on):
    from meetings.models import AuditEntry, MeetingEvent

    ok, out = verify()
    assert ok, out
    assert "intact" in out
    worked_on.refresh_from_db()
    assert MeetingEvent.objects.filter(meeting=worked_on).exclude(hash="").count() == worked_on.last_seq
    assert not AuditEntry.objects.filter(chain_index__isnull=True).exists(), "every entry sealed after commit"


def test_a_changed_event_is_named(worked_on):
    from meetings.models import MeetingEvent

    target = MeetingEvent.objects.filter(meeting=worked_on).order_by("seq")[2]
    MeetingEvent.objects.filter(pk=target.pk).update(data={**target.data, "title": "Nội dung khác"})
    ok, out = verify()
    assert not ok
    broken = [line for line in out.splitlines() if line.startswith("BROKEN")]
    assert broken == [f"BROKEN meeting {worked_on.pk}: entry {target.pk} at {target.seq}: changed after it was written"]


def test_a_changed_audit_entry_is_named_and_a_removed_one_too(worked_on, people):
    from meetings.models import AuditEntry

    entries = list(AuditEntry.objects.order_by("chain_index"))
    victim = entries[3]
    AuditEntry.objects.filter(pk=victim.pk).update(actor=people["binh"])  # who did it, rewritten
    ok, out = verify()
    assert not ok and f"BROKEN audit: entry {victim.pk} at {victim.chain_index}: changed" in out
    AuditEntry.objects.filter(pk=victim.pk).update(actor=victim.actor)
    assert verify()[0], "put back, it verifies again"

    AuditEntry.objects.filter(pk=entries[1].pk).delete()
    ok, out = verify()
    assert not ok and "entry 2 is missing" in out
    AuditEntry.objects.filter(pk__in=[e.pk for e in entries[1:]]).delete()  # and cutting off the end shows too
    ok, out = verify()
    assert not ok and "the last entries were removed" in out


def test_an_event_removed_from_the_middle_of_a_log_is_found(worked_on):
    from meetings.models import MeetingEvent

    MeetingEvent.objects.filter(meeting=worked_on, seq=2).delete()
    ok, out = verify("--meeting", str(worked_on.pk))
    assert not ok and "event 2 is missing" in out


def test_the_admin_page_shows_the_verification(client, people, worked_on):
    from meetings.models import MeetingEvent

    client.force_login(people["root"])
    page = client.get("/admin/meetings/auditentry/verify/")
    assert page.status_code == 200 and 'data-testid="intact"' in page.content.decode()
    MeetingEvent.objects.filter(meeting=worked_on, seq=1).update(type="meeting.forged")
    page = client.get("/admin/meetings/auditentry/verify/").content.decode()
    assert 'data-testid="broken"' in page and f"meeting {worked_on.pk}" in page
    client.force_login(people["lan"])  # not an administrator of the system
    assert client.get("/admin/meetings/auditentry/verify/").status_code in (302, 403)
