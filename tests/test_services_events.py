"""The meeting's event log and the audit trail: every change is numbered 1, 2, 3 ... and signed by its author."""

import threading

import pytest
from api_helpers import at, fast_password_hashing, working_days_ahead  # noqa: F401
from django.db import connection

from meetings.errors import Forbidden, Invalid
from meetings.models import AuditEntry, Meeting, MeetingEvent
from meetings.services import agenda, participants
from meetings.services import meetings as meeting_services


def log(meeting):
    return list(MeetingEvent.objects.filter(meeting=meeting).order_by("seq").values_list("seq", "type"))


def actions(meeting):
    return list(AuditEntry.objects.filter(meeting=meeting).order_by("pk").values_list("actor__username", "action"))


def test_a_meetings_whole_life_is_numbered_without_gaps(people, meeting):
    lan = people["lan"]
    first = agenda.add_item(lan, meeting, title="Khai mạc")
    second = agenda.add_item(lan, meeting, title="Báo cáo")
    hoa = participants.add_participant(lan, meeting, people["hoa"])
    participants.add_participant(lan, meeting, people["binh"])
    meeting_services.publish_meeting(lan, meeting)
    participants.respond(people["binh"], meeting, answer="substituted", substitute=people["tuan"])
    meeting_services.update_meeting(lan, meeting, location="Hội trường B")
    agenda.reorder(lan, meeting, [second.pk, first.pk])
    agenda.update_item(lan, meeting, first.pk, planned_minutes=20)
    agenda.delete_item(lan, meeting, first.pk)
    participants.update_participant(lan, meeting, hoa.pk, can_vote=False)
    participants.remove_participant(lan, meeting, hoa.pk)
    for status in ("in_progress", "ended", "archived"):
        meeting_services.change_status(lan, meeting, status)

    entries = log(meeting)
    assert [seq for seq, _ in entries] == list(range(1, 20))
    assert [kind for _, kind in entries] == [
        "meeting.created", "participant.added", "participant.added", "agenda.changed", "agenda.changed", "participant.added", "participant.added",
        "meeting.status", "participant.rsvp", "participant.added", "meeting.updated", "agenda.changed",
        "agenda.changed", "agenda.changed", "participant.updated", "participant.removed",
        "meeting.status", "meeting.status", "meeting.status",
    ]
    meeting.refresh_from_db()
    assert meeting.last_seq == 19


def test_a_refused_change_leaves_no_gap(people, units):
    lan = people["lan"]
    day = working_days_ahead(1)
    rushed = meeting_services.create_meeting(lan, title="Họp gấp", start=at(day, 8), end=at(day, 9))
    participants.add_participant(lan, rushed, people["hoa"])
    with pytest.raises(Invalid):
        meeting_services.publish_meeting(lan, rushed)  # not enough notice
    with pytest.raises(Invalid):
        agenda.reorder(lan, rushed, [12345])

    meeting_services.update_meeting(lan, rushed, urgent=True)
    meeting_services.publish_meeting(lan, rushed)

    assert [seq for seq, _ in log(rushed)] == [1, 2, 3, 4, 5]
    assert log(rushed)[-1][1] == "meeting.status"


def test_each_meeting_counts_for_itself(people, meeting):
    other = meeting_services.create_meeting(people["lan"], title="Họp khác", start=meeting.start, end=meeting.end)
    agenda.add_item(people["lan"], meeting, title="Một")

    assert log(meeting) == [
        (1, "meeting.created"), (2, "participant.added"), (3, "participant.added"), (4, "agenda.changed")]
    assert log(other) == [(1, "meeting.created"), (2, "participant.added")]  # lan, its secretary


def test_the_events_carry_what_a_live_client_needs(people, published):
    participants.respond(people["hoa"], published, answer="declined", reason="Ốm")

    status = MeetingEvent.objects.filter(meeting=published, type="meeting.status").last()
    rsvp = MeetingEvent.objects.filter(meeting=published, type="participant.rsvp").last()
    assert status.data["status"] == "published"
    assert status.actor == people["lan"]
    assert (rsvp.data["user_id"], rsvp.data["rsvp"]) == (people["hoa"].pk, "declined")
    assert rsvp.actor == people["hoa"]


def test_a_new_chair_appears_in_the_event_log_as_a_participant(people, meeting):
    meeting_services.update_meeting(people["lan"], meeting, chair=people["binh"])

    assert log(meeting)[-3:] == [(4, "meeting.updated"), (5, "participant.updated"), (6, "participant.added")]
    former = meeting.participants.get(user=people["minh"])
    assert former.role == "delegate"  # still invited, no longer shown as the chair


def test_every_change_is_in_the_audit_trail_with_its_author(people, meeting):
    lan = people["lan"]
    item = agenda.add_item(lan, meeting, title="Báo cáo")
    hoa = participants.add_participant(lan, meeting, people["hoa"])
    participants.add_participant(lan, meeting, people["binh"])
    meeting_services.publish_meeting(lan, meeting)
    participants.respond(people["binh"], meeting, answer="declined", reason="Công tác")
    meeting_services.update_meeting(people["minh"], meeting, location="Hội trường B")
    agenda.update_item(lan, meeting, item.pk, title="Báo cáo tổng hợp")
    agenda.reorder(lan, meeting, [item.pk])
    participants.update_participant(lan, meeting, hoa.pk, can_vote=False)
    participants.remove_participant(lan, meeting, hoa.pk)
    agenda.delete_item(people["hanh"], meeting, item.pk)
    meeting_services.cancel_meeting(lan, meeting, "Hoãn")

    assert actions(meeting) == [
        ("lan", "meeting.create"), ("lan", "agenda.add"), ("lan", "participant.add"), ("lan", "participant.add"),
        ("lan", "meeting.publish"), ("binh", "participant.rsvp"), ("minh", "meeting.update"),
        ("lan", "agenda.update"), ("lan", "agenda.reorder"), ("lan", "participant.update"),
        ("lan", "participant.remove"), ("hanh", "agenda.delete"), ("lan", "meeting.cancel"),
    ]
    cancel = AuditEntry.objects.get(meeting=meeting, action="meeting.cancel")
    assert cancel.data == {"reason": "Hoãn"}
    assert AuditEntry.objects.get(meeting=meeting, action="meeting.update").data == {"fields": ["location"]}


def test_a_refused_change_is_not_in_the_audit_trail(people, published):
    before = AuditEntry.objects.count()

    with pytest.raises(Forbidden):
        meeting_services.update_meeting(people["hoa"], published, title="Sửa trộm")

    assert AuditEntry.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_two_secretaries_writing_at_once_never_get_the_same_number(units):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to show")
    from personas import make_user

    lan = make_user("lan", units["office"], "secretary")
    hanh = make_user("hanh", units["office"], "unit_admin")
    day = working_days_ahead(10)
    meeting = meeting_services.create_meeting(lan, title="Họp", start=at(day, 8), end=at(day, 9))
    errors = []

    def add_items(user, prefix):
        try:
            for i in range(10):
                agenda.add_item(user, meeting, title=f"{prefix} {i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add_items, args=(u, u.username)) for u in (lan, hanh)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    # 1 created, 2 lan joins as secretary, then 20 agenda changes from the two writers.
    assert [seq for seq, _ in log(meeting)] == list(range(1, 23))
    assert Meeting.objects.get(pk=meeting.pk).last_seq == 22
    assert sorted(meeting.agenda_items.values_list("order", flat=True)) == list(range(1, 21))


def test_saving_the_same_remote_sites_again_records_nothing(people, meeting, units):
    meeting_services.update_meeting(people["lan"], meeting, remote_sites=[units["district"].pk])
    before = log(meeting)
    meeting_services.update_meeting(people["lan"], meeting, remote_sites=[units["district"].pk])

    assert log(meeting) == before
    assert before[-1][1] == "meeting.updated"
