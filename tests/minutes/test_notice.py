"""The conclusion notice: drafted from the minutes' conclusions, due 5 working days after the meeting (the
project's working-day calendar: weekends and Tết are skipped), issued by the chair, which notifies every
participant and publishes it in the meeting's record."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import refused
from django.utils import timezone

from meetings.errors import Conflict, Forbidden, Invalid

pytestmark = pytest.mark.django_db


def ended_on(meeting, day: dt.date):
    from meetings.models import Meeting

    start = timezone.make_aware(dt.datetime.combine(day, dt.time(8)))
    Meeting.objects.filter(pk=meeting.pk).update(start=start, end=start + dt.timedelta(hours=3))
    meeting.refresh_from_db()
    return meeting


def test_the_due_date_skips_the_weekend(held):
    from meetings.minutes.services import notice_due_date

    # Thursday 3 December 2026: Fri 4, Mon 7, Tue 8, Wed 9, Thu 10.
    assert notice_due_date(ended_on(held, dt.date(2026, 12, 3))) == dt.date(2026, 12, 10)


def test_the_due_date_skips_tet(held):
    from meetings.minutes.services import notice_due_date

    # Wednesday 3 February 2027; Tết holidays run 4–10 February: Thu 11, Fri 12, Mon 15, Tue 16, Wed 17.
    assert notice_due_date(ended_on(held, dt.date(2027, 2, 3))) == dt.date(2027, 2, 17)


def test_due_overdue_and_issued(minutes, held, people):
    from meetings.minutes import services

    ended_on(held, dt.date(2026, 12, 3))
    assert services.notice_state(held, today=dt.date(2026, 12, 10))["state"] == "due"
    assert services.notice_state(held, today=dt.date(2026, 12, 11))["state"] == "overdue"
    services.draft_notice(people["lan"], held)
    services.issue_notice(people["minh"], held)
    state = services.notice_state(held, today=dt.date(2026, 12, 11))
    assert state["state"] == "issued"


def test_the_notice_is_drafted_from_the_minutes_conclusions(minutes, held, people):
    from meetings.minutes import services

    notice = services.draft_notice(people["lan"], held)
    assert [c["text"] for c in notice.content["conclusions"]] == [
        "Giao Sở Tài chính hoàn thiện báo cáo trước ngày 20/12.", "Thống nhất dự toán, trình HĐND tỉnh."]
    assert notice.due_date == services.notice_due_date(held)
    assert notice.content["signer"]["name"] == "Trần Văn Minh"


def test_issuing_notifies_participants_and_publishes_it(minutes, held, people):
    from meetings.minutes import services
    from meetings.models import MeetingEvent, Notification

    services.draft_notice(people["lan"], held)
    services.edit_notice(people["lan"], held, {"header": {"number": "25"}, "recipients": ["Sở Tài chính", "Lưu: VT"]})
    notice = services.issue_notice(people["minh"], held)
    assert notice.status == "issued" and notice.issued_by == people["minh"]
    told = set(Notification.objects.filter(meeting=held, kind="notice").values_list("user__username", flat=True))
    assert told == {"lan", "hoa", "binh", "tuan", "khach"}  # every participant but the chair who issued it
    assert MeetingEvent.objects.filter(meeting=held, type="notice.changed", data__action="issued").exists()
    with pytest.raises(Conflict):
        services.edit_notice(people["lan"], held, {"intro": "x"})
    # Published in the meeting's record: a delegate reads it now.
    assert services.notice_data(notice)["state"] == "issued"


@pytest.mark.parametrize("who", ["lan", "hoa", "root"])
def test_only_the_chair_issues_the_notice(minutes, held, people, who):
    from meetings.minutes import services

    services.draft_notice(people["lan"], held)
    with pytest.raises(Forbidden):
        services.issue_notice(people[who], held)


@pytest.mark.parametrize("who", ["hoa", "hanh"])
def test_only_the_secretary_or_chair_draft_and_edit_the_notice(minutes, held, people, who):
    from meetings.minutes import services

    with pytest.raises(Forbidden):
        services.draft_notice(people[who], held)
    services.draft_notice(people["lan"], held)
    with pytest.raises(Forbidden):
        services.edit_notice(people[who], held, {"intro": "x"})


def test_a_notice_without_conclusions_is_not_issued(held, people):
    from meetings.minutes import services

    services.draft_notice(people["lan"], held)
    with pytest.raises(Invalid):
        services.issue_notice(people["minh"], held)


def test_the_notice_api_and_its_files(minutes, held, people, api):
    from minutes.test_exports import docx_text, pdf_text

    lan, minh, hoa = api(people["lan"]), api(people["minh"]), api(people["hoa"])
    base = f"/meetings/{held.pk}/notice"
    assert lan.get(f"{base}/due").json()["state"] in ("due", "overdue")
    r = lan.post(base)
    assert r.status_code == 201 and r.json()["status"] == "draft"
    assert lan.post(base).status_code == 200  # again: the conclusions are taken from the minutes again
    refused(hoa.get(base), 404, "no_notice")  # a draft is not for delegates
    r = lan.patch(base, {"conclusions": [{"title": "Kinh tế", "text": "Tập trung giải ngân vốn đầu tư công."}]})
    assert r.status_code == 200 and len(r.json()["content"]["conclusions"]) == 1
    refused(lan.post(f"{base}/issue"), 403, "not_chair")
    assert minh.post(f"{base}/issue").json()["status"] == "issued"
    assert hoa.get(base).json()["status"] == "issued"
    r = hoa.get(f"{base}/export.pdf")
    assert r.status_code == 200
    text = pdf_text(r.content)
    for part in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "THÔNG BÁO",
                 "Tập trung giải ngân vốn đầu tư công.", "Nơi nhận:"):
        assert part in text, part
    assert "Kết luận của" in docx_text(hoa.get(f"{base}/export.docx").content)
