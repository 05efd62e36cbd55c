"""Meetings through the REST API: the secretary's work from draft to archive, and what delegates see."""

import datetime as dt
import re

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
from django.test import override_settings
from django.utils import timezone

from accounts.models import ApiToken
from meetings.models import Meeting


def test_the_secretary_invites_and_a_delegate_declines_with_a_reason(
    client, people, units, mailoutbox, django_capture_on_commit_callbacks
):
    """The story the product is bought for, end to end through the API with tokens."""
    from personas import PASSWORD, Api

    token = client.post(
        "/api/v1/auth/token", {"username": "lan", "password": PASSWORD}, content_type="application/json"
    ).json()["token"]
    lan = Api(client, token)
    day = working_days_ahead(5)
    start = at(day, 8)

    r = lan.post("/meetings", {
        "title": "Họp triển khai kế hoạch đầu tư công năm 2027", "start": start.isoformat(),
        "end": at(day, 11, 30).isoformat(), "chair_id": people["minh"].pk, "location": "Phòng họp tầng 3",
        "preparation": "Báo cáo tiến độ giải ngân", "contact": "Nguyễn Thị Lan, 0912 345 678",
    })
    assert r.status_code == 201
    mid = r.json()["id"]
    for title in ("Báo cáo tình hình giải ngân", "Ý kiến các sở, ngành", "Kết luận của chủ trì"):
        assert lan.post(f"/meetings/{mid}/agenda", {"title": title, "planned_minutes": 30}).status_code == 201
    for name, role in (("hoa", "delegate"), ("binh", "delegate"), ("tuan", "delegate"), ("khach", "guest")):
        assert lan.post(f"/meetings/{mid}/participants", {"user_id": people[name].pk, "role": role}).status_code == 201

    with django_capture_on_commit_callbacks(execute=True):
        r = lan.post(f"/meetings/{mid}/publish")
    assert r.status_code == 200
    assert r.json()["status"] == "published"

    invited = {m.to[0] for m in mailoutbox}
    assert {"hoa@example.vn", "binh@example.vn", "tuan@example.vn", "khach@example.vn", "minh@example.vn"} <= invited
    letter = mail_to(mailoutbox, "hoa@example.vn")
    assert "Họp triển khai kế hoạch đầu tư công năm 2027" in letter.subject
    assert "Báo cáo tình hình giải ngân" in letter.body
    calendar = invitation_calendar(letter)
    assert calendar["METHOD"] == "REQUEST"
    event = only_event(calendar)
    assert str(event["SUMMARY"]) == "Họp triển khai kế hoạch đầu tư công năm 2027"
    assert event.decoded("DTSTART") == start

    hoa = Api(client, ApiToken.issue(people["hoa"], "lich")[1])
    calendar_ids = [m["id"] for m in hoa.get("/meetings", when="upcoming", mine="true").json()]
    assert mid in calendar_ids
    r = hoa.post(f"/meetings/{mid}/rsvp", {"answer": "declined", "reason": "Đi công tác tại Hà Nội"})
    assert r.status_code == 200

    seen = lan.get(f"/meetings/{mid}").json()
    hoa_row = next(p for p in seen["participants"] if p["user_id"] == people["hoa"].pk)
    assert hoa_row["rsvp"] == "declined"
    assert hoa_row["rsvp_reason"] == "Đi công tác tại Hà Nội"


def test_other_delegates_do_not_see_the_reason_for_absence(people, published, api):
    api(people["hoa"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "declined", "reason": "Ốm"})

    rows = api(people["binh"]).get(f"/meetings/{published.pk}").json()["participants"]
    hoa_row = next(p for p in rows if p["user_id"] == people["hoa"].pk)
    assert hoa_row["rsvp"] == "declined"
    assert hoa_row["rsvp_reason"] == ""


def test_the_secretary_creates_a_meeting_for_her_unit(people, units, api):
    r = api(people["lan"]).post("/meetings", meeting_payload("Họp chi bộ"))

    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "draft"
    assert body["host_unit_id"] == units["office"].pk
    assert body["secretary_id"] == people["lan"].pk
    assert body["can_edit"] is True


def test_a_meeting_without_an_end_after_its_start_is_refused(people, api):
    payload = meeting_payload()
    payload["end"] = payload["start"]

    refused(api(people["lan"]).post("/meetings", payload), 400, "invalid")


def test_an_unknown_format_is_refused(people, api):
    refused(api(people["lan"]).post("/meetings", meeting_payload(format="hop-tu-xa")), 400, "invalid")


def test_the_list_and_search_find_a_meeting_by_words_without_diacritics(people, meeting, api):
    lan = api(people["lan"])

    assert [m["id"] for m in lan.get("/meetings").json()] == [meeting.pk]
    assert [m["id"] for m in lan.get("/meetings", q="thuong ky").json()] == [meeting.pk]
    assert lan.get("/meetings", q="ngan sach").json() == []


def test_an_unknown_calendar_window_is_refused(people, api):
    refused(api(people["lan"]).get("/meetings", when="next-year"), 400, "invalid")


def test_the_secretary_renames_and_moves_a_draft(people, meeting, api):
    new_day = working_days_ahead(10)
    r = api(people["lan"]).patch(f"/meetings/{meeting.pk}", {
        "title": "Họp thường kỳ tháng 12 (điều chỉnh)", "start": at(new_day, 14).isoformat(),
        "end": at(new_day, 16).isoformat(),
    })

    assert r.status_code == 200
    meeting.refresh_from_db()
    assert meeting.title == "Họp thường kỳ tháng 12 (điều chỉnh)"
    assert meeting.start == at(new_day, 14)


def test_clearing_a_required_field_is_refused_not_a_server_error(people, meeting, api):
    lan = api(people["lan"])

    refused(lan.patch(f"/meetings/{meeting.pk}", {"host_unit_id": None}), 400, "invalid")
    refused(lan.patch(f"/meetings/{meeting.pk}", {"urgent": None}), 400, "invalid")
    assert lan.patch(f"/meetings/{meeting.pk}", {"location": None}).json()["location"] == ""


def test_a_meeting_goes_from_draft_to_archive(people, meeting, api):
    lan = api(people["lan"])
    lan.post(f"/meetings/{meeting.pk}/participants", {"user_id": people["hoa"].pk})

    assert lan.post(f"/meetings/{meeting.pk}/publish").json()["status"] == "published"
    for target in ("in_progress", "ended", "archived"):
        r = lan.post(f"/meetings/{meeting.pk}/status", {"status": target})
        assert r.status_code == 200
        assert r.json()["status"] == target


def test_a_draft_cannot_start_before_it_is_published(people, meeting, api):
    r = api(people["lan"]).post(f"/meetings/{meeting.pk}/status", {"status": "in_progress"})

    refused(r, 400, "bad_transition")
    meeting.refresh_from_db()
    assert meeting.status == "draft"


def test_an_unknown_status_is_refused_not_a_server_error(people, meeting, api):
    refused(api(people["lan"]).post(f"/meetings/{meeting.pk}/status", {"status": "paused"}), 400, "bad_transition")


def test_a_published_meeting_cannot_be_published_again(people, published, api):
    refused(api(people["lan"]).post(f"/meetings/{published.pk}/publish"), 400, "bad_transition")


def test_a_draft_can_be_cancelled_with_a_reason(people, meeting, api):
    r = api(people["lan"]).post(f"/meetings/{meeting.pk}/cancel", {"reason": "Lãnh đạo đi công tác"})

    assert r.json()["status"] == "cancelled"
    assert r.json()["cancel_reason"] == "Lãnh đạo đi công tác"


def test_cancelling_needs_a_reason(people, published, api):
    refused(api(people["lan"]).post(f"/meetings/{published.pk}/cancel", {"reason": "  "}), 400, "reason_required")


def test_a_meeting_that_has_started_cannot_be_cancelled(people, published, api):
    lan = api(people["lan"])
    lan.post(f"/meetings/{published.pk}/status", {"status": "in_progress"})

    refused(lan.post(f"/meetings/{published.pk}/cancel", {"reason": "Mất điện"}), 400, "bad_transition")


def test_a_cancelled_meeting_can_no_longer_be_changed(people, published, api):
    lan = api(people["lan"])
    lan.post(f"/meetings/{published.pk}/cancel", {"reason": "Hoãn"})

    refused(lan.patch(f"/meetings/{published.pk}", {"title": "Họp lại"}), 400, "not_editable")
    refused(lan.post(f"/meetings/{published.pk}/status", {"status": "in_progress"}), 400, "bad_transition")
    refused(lan.post(f"/meetings/{published.pk}/agenda", {"title": "Thêm"}), 400, "not_editable")


def test_publishing_without_enough_notice_needs_the_urgent_flag(people, units, api):
    lan = api(people["lan"])
    mid = lan.post("/meetings", meeting_payload("Họp xử lý sạt lở", days=1)).json()["id"]
    lan.post(f"/meetings/{mid}/participants", {"user_id": people["hoa"].pk})

    error = refused(lan.post(f"/meetings/{mid}/publish"), 400, "notice_too_short")
    assert error["field"] == "urgent"
    assert re.search(r"\d{2}/\d{2}/\d{4}", error["message"]), "the message names the due date as 23/11/2026"
    assert Meeting.objects.get(pk=mid).status == "draft"

    lan.patch(f"/meetings/{mid}", {"urgent": True})
    assert lan.post(f"/meetings/{mid}/publish").json()["status"] == "published"


def test_three_working_days_ahead_is_enough_notice(people, api):
    lan = api(people["lan"])
    mid = lan.post("/meetings", meeting_payload(days=3)).json()["id"]
    lan.post(f"/meetings/{mid}/participants", {"user_id": people["hoa"].pk})

    assert lan.post(f"/meetings/{mid}/publish").status_code == 200


@override_settings(PHONGHOP_INVITATION_LEAD_DAYS=5)
def test_a_body_that_asks_for_five_working_days_gets_them(people, api):
    lan = api(people["lan"])
    mid = lan.post("/meetings", meeting_payload(days=4)).json()["id"]
    lan.post(f"/meetings/{mid}/participants", {"user_id": people["hoa"].pk})

    refused(lan.post(f"/meetings/{mid}/publish"), 400, "notice_too_short")


def test_bringing_a_published_meeting_forward_keeps_the_notice_rule(people, published, api):
    lan = api(people["lan"])
    soon = working_days_ahead(1)

    r = lan.patch(f"/meetings/{published.pk}", {"start": at(soon, 8).isoformat(), "end": at(soon, 10).isoformat()})

    refused(r, 400, "notice_too_short")
    published.refresh_from_db()
    assert published.start.date() != soon
    r = lan.patch(f"/meetings/{published.pk}", {"start": at(soon, 8).isoformat(), "end": at(soon, 10).isoformat(),
                                                "urgent": True})
    assert r.status_code == 200


def test_putting_a_published_meeting_off_needs_no_urgent_flag(people, published, api):
    later = published.start + dt.timedelta(hours=2)

    r = api(people["lan"]).patch(f"/meetings/{published.pk}", {"start": later.isoformat(),
                                                               "end": (later + dt.timedelta(hours=2)).isoformat()})

    assert r.status_code == 200


def test_a_meeting_in_the_past_cannot_be_published(people, api):
    lan = api(people["lan"])
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    mid = lan.post("/meetings", {"title": "Họp muộn", "start": at(yesterday, 8).isoformat(),
                                 "end": at(yesterday, 9).isoformat(), "urgent": True}).json()["id"]

    refused(lan.post(f"/meetings/{mid}/publish"), 400, "start_in_past")


def test_the_meeting_downloads_as_a_calendar_file(people, published, api):
    r = api(people["hoa"]).get(f"/meetings/{published.pk}/invitation.ics")

    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/calendar")
    from icalendar import Calendar

    event = only_event(Calendar.from_ical(r.content))
    assert str(event["SUMMARY"]) == "Họp thường kỳ tháng 12"
