"""Invitations (giấy mời): in-app notices and e-mail with a calendar file, on publish, change and cancel."""

import pytest
from api_helpers import (  # noqa: F401
    at,
    fast_password_hashing,
    invitation_calendar,
    mail_to,
    meeting_payload,
    only_event,
    refused,
    working_days_ahead,
)
from django.core.mail import EmailMessage

from meetings.models import Notification, Participant
from meetings.services import agenda, participants
from meetings.services import meetings as meeting_services


@pytest.fixture
def ready(meeting, people):
    """The draft with an agenda and hoa, binh and the guest invited, not yet published."""
    meeting.preparation = "Báo cáo số liệu quý IV"
    meeting.contact = "Nguyễn Thị Lan, 0912 345 678"
    meeting.save()
    agenda.add_item(people["lan"], meeting, title="Báo cáo kinh tế - xã hội")
    agenda.add_item(people["lan"], meeting, title="Thảo luận")
    participants.add_participant(people["lan"], meeting, people["hoa"])
    participants.add_participant(people["lan"], meeting, people["binh"])
    participants.add_participant(people["lan"], meeting, people["khach"], role="guest")
    return meeting


@pytest.fixture
def announced(ready, people, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.publish_meeting(people["lan"], ready)
    mailoutbox.clear()
    ready.refresh_from_db()
    return ready


def publish(api_client, meeting, capture):
    with capture(execute=True):
        return api_client.post(f"/meetings/{meeting.pk}/publish")


def test_publishing_mails_each_invitee_their_own_invitation(people, ready, api, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    assert publish(api(people["lan"]), ready, django_capture_on_commit_callbacks).status_code == 200

    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        f"{name}@example.vn" for name in ("lan", "minh", "hoa", "binh", "khach")
    )
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mailoutbox)


def test_the_invitation_says_what_an_invitation_must_say(people, ready, api, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    publish(api(people["lan"]), ready, django_capture_on_commit_callbacks)

    body = mail_to(mailoutbox, "binh@example.vn").body
    for text in ("Họp thường kỳ tháng 12", "Phòng họp số 1", "Văn phòng UBND tỉnh", "Trần Văn Minh",
                 "Báo cáo kinh tế - xã hội", "Thảo luận", "Báo cáo số liệu quý IV", "0912 345 678",
                 f"/meetings/{ready.pk}/"):
        assert text in body


def test_the_calendar_file_puts_the_meeting_in_the_invitees_calendar(people, ready, api, mailoutbox,
                                                                     django_capture_on_commit_callbacks):
    publish(api(people["lan"]), ready, django_capture_on_commit_callbacks)

    calendar = invitation_calendar(mail_to(mailoutbox, "hoa@example.vn"))
    event = only_event(calendar)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["SUMMARY"]) == "Họp thường kỳ tháng 12"
    assert event.decoded("DTSTART") == ready.start
    assert event.decoded("DTEND") == ready.end
    assert str(event["LOCATION"]) == "Phòng họp số 1"
    assert event["SEQUENCE"] == 0
    assert str(event["ORGANIZER"]) == "mailto:minh@example.vn"
    assert str(event["UID"]).startswith(f"meeting-{ready.pk}@")
    assert str(event["ATTENDEE"]) == "mailto:hoa@example.vn"


def test_mail_programs_recognise_the_attachment_as_a_meeting_request(people, ready, api, mailoutbox,
                                                                     django_capture_on_commit_callbacks):
    publish(api(people["lan"]), ready, django_capture_on_commit_callbacks)

    parts = [p for p in mail_to(mailoutbox, "hoa@example.vn").message().walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == "REQUEST"
    assert parts[0].get_content_charset() == "utf-8"
    assert parts[0].get_filename() == "giaymoi.ics"


def test_invitees_find_the_invitation_in_their_notifications(people, ready, api, django_capture_on_commit_callbacks):
    publish(api(people["lan"]), ready, django_capture_on_commit_callbacks)
    hoa = api(people["hoa"])

    notes = hoa.get("/notifications").json()
    assert [(n["kind"], n["meeting_id"]) for n in notes] == [("invitation", ready.pk)]
    assert "Họp thường kỳ tháng 12" in notes[0]["title"]
    assert Participant.objects.get(meeting=ready, user=people["hoa"]).invited_at is not None

    assert hoa.post(f"/notifications/{notes[0]['id']}/read").json()["read_at"] is not None
    assert hoa.get("/notifications", unread="true").json() == []


def test_a_refused_publication_invites_nobody(people, api, mailoutbox, django_capture_on_commit_callbacks):
    lan = api(people["lan"])
    mid = lan.post("/meetings", meeting_payload(days=1)).json()["id"]
    lan.post(f"/meetings/{mid}/participants", {"user_id": people["hoa"].pk})

    with django_capture_on_commit_callbacks(execute=True):
        refused(lan.post(f"/meetings/{mid}/publish"), 400, "notice_too_short")

    assert mailoutbox == []
    assert not Notification.objects.filter(meeting_id=mid).exists()


def test_a_mail_server_that_is_down_does_not_undo_the_publication(people, ready, api, monkeypatch,
                                                                  django_capture_on_commit_callbacks):
    def mail_server_down(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailMessage, "send", mail_server_down)

    r = publish(api(people["lan"]), ready, django_capture_on_commit_callbacks)

    assert r.json()["status"] == "published"
    assert Notification.objects.filter(user=people["hoa"], kind="invitation").exists()


def test_moving_the_meeting_tells_everyone_again_with_an_updated_calendar_entry(
    people, announced, api, mailoutbox, django_capture_on_commit_callbacks
):
    new_day = working_days_ahead(12)
    with django_capture_on_commit_callbacks(execute=True):
        r = api(people["lan"]).patch(f"/meetings/{announced.pk}", {
            "start": at(new_day, 14).isoformat(), "end": at(new_day, 16).isoformat(),
        })
    assert r.status_code == 200

    assert Notification.objects.filter(user=people["hoa"], kind="changed", meeting=announced).count() == 1
    letter = mail_to(mailoutbox, "hoa@example.vn")
    assert "Họp thường kỳ tháng 12" in letter.subject
    event = only_event(invitation_calendar(letter))
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == at(new_day, 14)


def test_each_change_of_place_raises_the_calendar_sequence(people, announced, api, mailoutbox,
                                                           django_capture_on_commit_callbacks):
    lan = api(people["lan"])
    for sequence, place in ((1, "Hội trường A"), (2, "Hội trường B")):
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            lan.patch(f"/meetings/{announced.pk}", {"location": place})
        event = only_event(invitation_calendar(mail_to(mailoutbox, "binh@example.vn")))
        assert (event["SEQUENCE"], str(event["LOCATION"])) == (sequence, place)


def test_a_change_that_is_not_time_or_place_sends_nothing(people, announced, api, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api(people["lan"]).patch(f"/meetings/{announced.pk}", {"description": "Bổ sung nội dung"})

    assert mailoutbox == []
    assert not Notification.objects.filter(kind="changed").exists()


def test_changes_to_a_draft_tell_nobody(people, ready, api, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api(people["lan"]).patch(f"/meetings/{ready.pk}", {"location": "Hội trường B"})

    assert mailoutbox == []
    assert not Notification.objects.exists()


def test_cancelling_tells_everyone_and_removes_the_calendar_entry(people, announced, api, mailoutbox,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = api(people["lan"]).post(f"/meetings/{announced.pk}/cancel", {"reason": "Trùng lịch làm việc với Trung ương"})
    assert r.json()["status"] == "cancelled"

    note = Notification.objects.get(user=people["binh"], kind="cancelled")
    assert "Trùng lịch làm việc với Trung ương" in note.body
    letter = mail_to(mailoutbox, "binh@example.vn")
    assert "Trùng lịch làm việc với Trung ương" in letter.body
    calendar = invitation_calendar(letter)
    event = only_event(calendar)
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert {m.to[0] for m in mailoutbox} >= {"hoa@example.vn", "binh@example.vn", "khach@example.vn"}


def test_cancelling_a_draft_tells_nobody(people, ready, api, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api(people["lan"]).post(f"/meetings/{ready.pk}/cancel", {"reason": "Không cần họp"})

    assert mailoutbox == []
    assert not Notification.objects.exists()


def test_someone_added_after_publishing_is_invited_at_once(people, announced, api, mailoutbox,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = api(people["lan"]).post(f"/meetings/{announced.pk}/participants", {"user_id": people["tuan"].pk})

    assert r.json()["invited_at"] is not None
    assert [m.to for m in mailoutbox] == [["tuan@example.vn"]]
    assert only_event(invitation_calendar(mailoutbox[0]))["SEQUENCE"] == 0
    assert Notification.objects.filter(user=people["tuan"], kind="invitation").exists()


def test_a_new_chair_of_a_published_meeting_is_invited(people, announced, api, mailoutbox,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api(people["lan"]).patch(f"/meetings/{announced.pk}", {"chair_id": people["hanh"].pk})

    assert Participant.objects.get(meeting=announced, user=people["hanh"]).role == "chair"
    assert [m.to for m in mailoutbox] == [["hanh@example.vn"]]


def test_someone_taken_off_the_list_is_told_and_the_entry_leaves_their_calendar(
    people, announced, api, mailoutbox, django_capture_on_commit_callbacks
):
    binh_row = Participant.objects.get(meeting=announced, user=people["binh"])

    with django_capture_on_commit_callbacks(execute=True):
        api(people["lan"]).delete(f"/meetings/{announced.pk}/participants/{binh_row.pk}")

    assert Notification.objects.filter(user=people["binh"], kind="withdrawn").exists()
    assert [m.to for m in mailoutbox] == [["binh@example.vn"]]
    calendar = invitation_calendar(mailoutbox[0])
    assert calendar["METHOD"] == "CANCEL"
    assert only_event(calendar)["SEQUENCE"] == 1


def test_someone_taken_off_a_draft_was_never_told_anything_and_is_not_now(
    people, ready, api, mailoutbox, django_capture_on_commit_callbacks
):
    binh_row = Participant.objects.get(meeting=ready, user=people["binh"])

    with django_capture_on_commit_callbacks(execute=True):
        api(people["lan"]).delete(f"/meetings/{ready.pk}/participants/{binh_row.pk}")

    assert mailoutbox == []
    assert not Notification.objects.exists()
