"""The web pages, through Django's test client: lan prepares the meeting, minh chairs it, hoa and binh
are invited, tuan (another unit) is not. Pages speak Vietnamese unless someone chose English."""

from __future__ import annotations

import pytest
from django.urls import reverse
from icalendar import Calendar
from personas import in_days

from meetings.models import Meeting, Notification, Participant

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def meeting_form(units, people, **overrides) -> dict:
    data = {
        "title": "Họp bàn kế hoạch đầu tư công năm 2027", "description": "Rà soát danh mục dự án.",
        "host_unit": units["office"].pk, "chair": people["minh"].pk, "secretary": people["lan"].pk,
        "start": in_days(21).strftime("%Y-%m-%dT%H:%M"), "end": in_days(21, 11).strftime("%Y-%m-%dT%H:%M"),
        "location": "Phòng họp số 2", "format": "hybrid", "remote_sites": [units["district"].pk],
        "classification": "none", "preparation": "Đọc trước tài liệu.", "contact": "Nguyễn Thị Lan, 0209 3 855 123",
    }
    data.update(overrides)
    return data


# Signing in, language ------------------------------------------------------------------------------

def test_anonymous_people_are_sent_to_the_login_page(client, meeting):
    for url in (reverse("home"), reverse("meeting-detail", args=[meeting.pk]), reverse("notifications")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")


def test_the_login_page_is_vietnamese_even_for_an_english_browser(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = text(response)
    assert '<html lang="vi">' in page
    assert "Đăng nhập" in page and "Tên đăng nhập" in page and "Mật khẩu" in page


def test_a_wrong_password_is_refused_in_vietnamese(client, people):
    response = client.post(reverse("login"), {"username": "lan", "password": "sai"})
    assert response.status_code == 200
    assert "Sai tên đăng nhập hoặc mật khẩu." in text(response)


def test_signing_in_leads_to_the_calendar_and_out_again(client, people):
    from personas import PASSWORD

    response = client.post(reverse("login"), {"username": "lan", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_the_language_switch_gives_english_pages(client, people):
    as_user(client, people["lan"])
    client.post("/i18n/setlang/", {"language": "en", "next": reverse("home")})
    page = text(client.get(reverse("home")))
    assert '<html lang="en">' in page and "My meeting calendar" in page
    client.post("/i18n/setlang/", {"language": "vi", "next": reverse("home")})
    assert "Lịch họp của tôi" in text(client.get(reverse("home")))


def test_the_password_can_be_changed(client, people):
    from personas import PASSWORD

    as_user(client, people["hoa"])
    assert "Mật khẩu cũ" in text(client.get(reverse("password-change")))
    response = client.post(reverse("password-change"), {
        "old_password": PASSWORD, "new_password1": "Phong-hop-moi-2027", "new_password2": "Phong-hop-moi-2027",
    }, follow=True)
    assert "Đã đổi mật khẩu." in text(response)
    people["hoa"].refresh_from_db()
    assert people["hoa"].check_password("Phong-hop-moi-2027")


# Calendars and search ------------------------------------------------------------------------------

def test_the_calendar_shows_my_meetings_with_vietnamese_dates(client, people, published):
    page = text(as_user(client, people["hoa"]).get(reverse("home")))
    assert "Lịch họp của tôi" in page and "Sắp diễn ra" in page
    assert published.title in page
    assert "Đã phát hành" in page
    weekday = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"][in_days(21).weekday()]
    assert f"{weekday}, {in_days(21):%d/%m/%Y}" in page
    # tuan is not invited and his unit does not host it.
    assert published.title not in text(as_user(client, people["tuan"]).get(reverse("home")))


def test_finished_tab_and_unit_calendar(client, people, published):
    as_user(client, people["hoa"])
    assert published.title not in text(client.get(reverse("home") + "?when=finished"))
    # hoa belongs to the office, the host unit.
    assert published.title in text(client.get(reverse("unit-calendar")))
    assert published.title not in text(as_user(client, people["binh"]).get(reverse("unit-calendar")))


def test_search_ignores_diacritics(client, people, published):
    as_user(client, people["hoa"])
    page = text(client.get(reverse("meeting-search"), {"q": "hop thuong ky"}))
    assert published.title in page and "Tìm thấy 1 cuộc họp." in page
    assert published.title not in text(client.get(reverse("meeting-search"), {"q": "ngan sach"}))
    assert published.title not in text(client.get(reverse("meeting-search"), {"status": "cancelled"}))


# The meeting form -----------------------------------------------------------------------------------

def test_the_secretary_creates_a_meeting(client, people, units):
    as_user(client, people["lan"])
    page = text(client.get(reverse("meeting-create")))
    assert "Tạo cuộc họp" in page and "Đơn vị chủ trì" in page and "Họp đột xuất" in page
    response = client.post(reverse("meeting-create"), meeting_form(units, people))
    meeting = Meeting.objects.get(title="Họp bàn kế hoạch đầu tư công năm 2027")
    assert response.status_code == 302 and response["Location"] == reverse("meeting-detail", args=[meeting.pk])
    assert meeting.status == Meeting.Status.DRAFT and meeting.format == "hybrid"
    assert list(meeting.remote_sites.all()) == [units["district"]]
    assert meeting.participants.filter(user=people["minh"], role=Participant.Role.CHAIR).exists()


def test_an_invalid_form_shows_the_services_vietnamese_message(client, people, units):
    as_user(client, people["lan"])
    response = client.post(reverse("meeting-create"), meeting_form(
        units, people, end=in_days(21, 7).strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 200
    assert "Thời gian kết thúc phải sau thời gian bắt đầu." in text(response)
    response = client.post(reverse("meeting-create"), meeting_form(units, people, classification="mat"))
    assert "Hệ thống này chưa được phép xử lý cuộc họp có nội dung mật" in text(response)
    assert not Meeting.objects.exists()


def test_delegates_cannot_create_or_edit(client, people, published, units):
    as_user(client, people["hoa"])
    assert client.get(reverse("meeting-create")).status_code == 403
    edit = reverse("meeting-edit", args=[published.pk])
    assert client.get(edit).status_code in (403, 404)
    assert client.post(edit, meeting_form(units, people)).status_code in (403, 404)
    published.refresh_from_db()
    assert published.title == "Họp thường kỳ tháng 12"


def test_a_draft_is_hidden_from_delegates(client, people, meeting):
    as_user(client, people["hoa"])
    assert client.get(reverse("meeting-detail", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("meeting-edit", args=[meeting.pk])).status_code == 404


def test_the_secretary_edits_the_meeting(client, people, meeting, units):
    as_user(client, people["lan"])
    page = text(client.get(reverse("meeting-edit", args=[meeting.pk])))
    assert "Họp thường kỳ tháng 12" in page
    assert f'value="{in_days(21):%Y-%m-%dT%H:%M}"' in page
    response = client.post(reverse("meeting-edit", args=[meeting.pk]), meeting_form(units, people, title="Họp đã sửa"))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Họp đã sửa"


# The meeting page: agenda, participants, publishing ------------------------------------------------

def test_agenda_items_are_added_moved_and_deleted(client, people, meeting):
    as_user(client, people["lan"])
    add = reverse("agenda-add", args=[meeting.pk])
    for title in ("Báo cáo kinh tế", "Dự toán ngân sách", "Kết luận"):
        assert client.post(add, {"agenda-title": title, "agenda-planned_minutes": 20}).status_code == 302
    titles = lambda: list(meeting.agenda_items.order_by("order").values_list("title", flat=True))  # noqa: E731
    last = meeting.agenda_items.get(title="Kết luận")
    client.post(reverse("agenda-move", args=[meeting.pk, last.pk]), {"direction": "up"})
    assert titles() == ["Báo cáo kinh tế", "Kết luận", "Dự toán ngân sách"]
    client.post(reverse("agenda-edit", args=[meeting.pk, last.pk]), {"title": "Kết luận của Chủ tịch",
                                                                      "planned_minutes": 10})
    client.post(reverse("agenda-delete", args=[meeting.pk, meeting.agenda_items.get(order=1).pk]))
    assert titles() == ["Kết luận của Chủ tịch", "Dự toán ngân sách"]
    # An item without a title: the service's message, on the page.
    response = client.post(add, {"agenda-title": " ", "agenda-planned_minutes": 20})
    assert "Nội dung họp phải có tiêu đề." in text(response)


def test_participants_are_added_changed_and_removed(client, people, meeting, units):
    as_user(client, people["lan"])
    add = reverse("participant-add", args=[meeting.pk])
    client.post(add, {"participant-user": people["hoa"].pk, "participant-role": "delegate"})
    client.post(add, {"participant-user": people["khach"].pk, "participant-role": "guest"})
    response = client.post(add, {"participant-user": people["binh"].pk, "participant-role": "guest",
                                 "participant-can_vote": "1"})
    assert "Khách mời không có quyền biểu quyết." in text(response)
    guest = meeting.participants.get(user=people["khach"])
    assert guest.can_vote is False
    hoa = meeting.participants.get(user=people["hoa"])
    client.post(reverse("participant-edit", args=[meeting.pk, hoa.pk]),
                {"role": "delegate", "can_vote": "on", "site": units["district"].pk})
    hoa.refresh_from_db()
    assert hoa.site == units["district"]
    client.post(reverse("participant-remove", args=[meeting.pk, guest.pk]))
    assert not meeting.participants.filter(user=people["khach"]).exists()
    chair = meeting.participants.get(user=people["minh"])
    response = client.post(reverse("participant-remove", args=[meeting.pk, chair.pk]), follow=True)
    assert "Không thể xóa chủ trì và thư ký" in text(response)


def test_the_notice_problem_is_shown_before_publishing(client, people, units):
    from meetings.services import meetings, participants

    lan = people["lan"]
    soon = meetings.create_meeting(lan, title="Họp gấp", host_unit=units["office"], chair=people["minh"],
                                   start=in_days(1), end=in_days(1, 10))
    participants.add_participant(lan, soon, people["hoa"])
    page = text(as_user(client, lan).get(reverse("meeting-detail", args=[soon.pk])))
    assert "Phát hành giấy mời" in page
    assert "Giấy mời phải được gửi trước cuộc họp ít nhất 3 ngày làm việc" in page
    response = client.post(reverse("meeting-publish", args=[soon.pk]), follow=True)
    assert "Giấy mời phải được gửi trước cuộc họp" in text(response)
    soon.refresh_from_db()
    assert soon.status == Meeting.Status.DRAFT


def test_publishing_sends_invitations(client, people, meeting, mailoutbox, django_capture_on_commit_callbacks):
    from meetings.services import participants

    participants.add_participant(people["lan"], meeting, people["hoa"])
    as_user(client, people["lan"])
    assert "Giấy mời phải được gửi" not in text(client.get(reverse("meeting-detail", args=[meeting.pk])))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("meeting-publish", args=[meeting.pk]), follow=True)
    assert "Đã phát hành giấy mời và gửi đến thành phần dự họp." in text(response)
    assert any(m.to == ["hoa@example.vn"] and m.attachments for m in mailoutbox)


def test_cancelling_needs_a_reason(client, people, published):
    as_user(client, people["lan"])
    url = reverse("meeting-cancel", args=[published.pk])
    assert "Vui lòng nêu lý do hủy cuộc họp." in text(client.post(url, {"cancel-reason": ""}))
    response = client.post(url, {"cancel-reason": "Lãnh đạo đi công tác"}, follow=True)
    assert "Cuộc họp này đã bị hủy." in text(response) and "Lãnh đạo đi công tác" in text(response)


def test_start_end_and_archive(client, people, published):
    as_user(client, people["lan"])
    url = reverse("meeting-status", args=[published.pk])
    page = text(client.get(reverse("meeting-detail", args=[published.pk])))
    assert "Bắt đầu cuộc họp" in page and "Kết thúc cuộc họp" not in page
    for status in ("in_progress", "ended", "archived"):
        client.post(url, {"status": status})
        published.refresh_from_db()
        assert published.status == status
    assert "không thể chuyển sang" in text(client.post(url, {"status": "in_progress"}, follow=True))


# Answers to the invitation ---------------------------------------------------------------------------

def test_a_delegate_declines_and_only_the_organisers_see_the_reason(client, people, published):
    url = reverse("meeting-answer", args=[published.pk])
    as_user(client, people["hoa"])
    page = text(client.get(reverse("meeting-detail", args=[published.pk])))
    assert "Trả lời giấy mời" in page and "Báo vắng" in page
    response = client.post(url, {"rsvp-answer": "declined", "rsvp-reason": ""})
    assert "Vui lòng nêu lý do vắng mặt." in text(response)
    response = client.post(url, {"rsvp-answer": "declined", "rsvp-reason": "Đi công tác tại Hà Nội"}, follow=True)
    assert "Đã gửi báo vắng đến ban tổ chức." in text(response)
    assert "Đi công tác tại Hà Nội" in text(as_user(client, people["lan"]).get(
        reverse("meeting-detail", args=[published.pk])))
    assert "Đi công tác tại Hà Nội" not in text(as_user(client, people["binh"]).get(
        reverse("meeting-detail", args=[published.pk])))


def test_a_substitute_and_a_proxy(client, people, published):
    url = reverse("meeting-answer", args=[published.pk])
    # The form offers the people hoa may see in the directory (accounts/directory.py): not tuan of the district.
    as_user(client, people["hoa"]).post(url, {"rsvp-answer": "substituted", "rsvp-substitute": people["tuan"].pk})
    assert not published.participants.filter(user=people["tuan"]).exists()
    client.post(url, {"rsvp-answer": "substituted", "rsvp-substitute": people["hanh"].pk})  # a colleague
    assert published.participants.get(user=people["hanh"]).substitute_for.user == people["hoa"]
    binh_holder = published.participants.get(user=people["minh"])
    as_user(client, people["binh"]).post(url, {"rsvp-answer": "proxy", "rsvp-proxy_to": binh_holder.pk})
    assert published.participants.get(user=people["binh"]).proxy_to == binh_holder


# Notifications, profile and the calendar feed --------------------------------------------------------

def test_notifications_are_listed_and_marked_read(client, people, published):
    as_user(client, people["hoa"])
    page = text(client.get(reverse("notifications")))
    assert "Giấy mời: Họp thường kỳ tháng 12" in page
    note = Notification.objects.get(user=people["hoa"])
    response = client.get(reverse("notification-open", args=[note.pk]))
    assert response["Location"] == reverse("meeting-detail", args=[published.pk])
    note.refresh_from_db()
    assert note.read_at is not None
    client.post(reverse("notifications-read"), {"all": "1"})
    assert not Notification.objects.filter(user=people["hoa"], read_at__isnull=True).exists()
    # Someone else's notification cannot be opened.
    other = Notification.objects.filter(user=people["binh"]).first()
    assert client.get(reverse("notification-open", args=[other.pk])).status_code == 404


def feed_events(client, user) -> list:
    response = client.get(reverse("calendar-feed", args=[user.calendar_token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content).walk("VEVENT")


def test_the_calendar_feed_has_only_that_persons_announced_meetings(client, people, published, units):
    from meetings.services import meetings

    meetings.create_meeting(people["lan"], title="Bản nháp", host_unit=units["office"], start=in_days(30),
                            end=in_days(30, 10))
    client.logout()
    hoa_events = feed_events(client, people["hoa"])
    assert [str(e["summary"]) for e in hoa_events] == ["Họp thường kỳ tháng 12"]
    assert [str(e["summary"]) for e in feed_events(client, people["lan"])] == ["Họp thường kỳ tháng 12"]
    assert feed_events(client, people["tuan"]) == []
    assert client.get(reverse("calendar-feed", args=["not-a-key"])).status_code == 404


def test_the_profile_shows_the_feed_and_makes_a_new_key(client, people, settings):
    settings.SITE_URL = "https://hop.tinh.gov.vn"
    hoa = people["hoa"]
    old = hoa.calendar_token
    page = text(as_user(client, hoa).get(reverse("profile")))
    assert f"https://hop.tinh.gov.vn/calendar/{old}.ics" in page
    client.post(reverse("calendar-key-reset"))
    hoa.refresh_from_db()
    assert hoa.calendar_token != old
    assert client.get(reverse("calendar-feed", args=[old])).status_code == 404


# Translations ------------------------------------------------------------------------------------------

def test_every_string_of_the_catalogue_is_translated():
    from pathlib import Path

    po = (Path(__file__).resolve().parents[1] / "frontend/locale/vi/LC_MESSAGES/django.po").read_text("utf-8")
    entries = po.strip().split("\n\n")[1:]  # the first block is the header
    # An empty translation is a block whose last line is an empty msgstr (a filled one ends in its text).
    untranslated = [e for e in entries if e.splitlines()[-1] in ('msgstr ""', 'msgstr[0] ""')]
    assert len(entries) > 400 and untranslated == []
    assert "#, fuzzy" not in po


def test_dates_are_written_the_vietnamese_way():
    import datetime as dt

    from django.utils import timezone, translation

    from meetings.formatting import long_datetime

    with translation.override("vi"):
        monday = timezone.make_aware(dt.datetime(2026, 11, 23, 8, 0))
        assert long_datetime(monday) == "Thứ Hai, 23/11/2026, 08:00"
        assert long_datetime(monday + dt.timedelta(days=6)) == "Chủ Nhật, 29/11/2026, 08:00"


def test_opening_an_action_address_leads_back_to_its_page(client, people, published):
    as_user(client, people["lan"])
    response = client.get(reverse("meeting-publish", args=[published.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("meeting-detail", args=[published.pk])
    assert client.get(reverse("notifications-read"))["Location"] == reverse("notifications")
    published.refresh_from_db()
    assert published.status == Meeting.Status.PUBLISHED


def test_saving_an_unchanged_published_meeting_tells_nobody(client, people, published, units):
    from meetings.models import MeetingEvent

    before = (Notification.objects.count(), MeetingEvent.objects.filter(meeting=published).count())
    as_user(client, people["lan"])
    response = client.post(reverse("meeting-edit", args=[published.pk]), meeting_form(
        units, people, title=published.title, description="", location="Phòng họp số 1", format="in_person",
        remote_sites=[], preparation="", contact=""))
    assert response.status_code == 302
    assert (Notification.objects.count(), MeetingEvent.objects.filter(meeting=published).count()) == before
    client.post(reverse("meeting-edit", args=[published.pk]), meeting_form(
        units, people, title=published.title, description="", location="Hội trường B", format="in_person",
        remote_sites=[], preparation="", contact=""))
    assert Notification.objects.filter(user=people["hoa"], title__startswith="Thay đổi:").exists()


def test_a_secretary_using_english_pages_still_invites_in_vietnamese(client, people, meeting):
    from meetings.services import participants

    participants.add_participant(people["lan"], meeting, people["hoa"])
    as_user(client, people["lan"])
    client.post("/i18n/setlang/", {"language": "en", "next": reverse("home")})
    response = client.post(reverse("meeting-publish", args=[meeting.pk]), follow=True)
    assert "The invitation has been published" in text(response)
    note = Notification.objects.get(user=people["hoa"])
    assert note.title == "Giấy mời: Họp thường kỳ tháng 12" and "Thời gian:" in note.body
