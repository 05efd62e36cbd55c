"""The pages of the minutes and the notice, through Django's test client: lan writes, minh approves and
issues, hoa (a delegate) reads once approved and issued."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def page(client, user, url, data=None):
    client.force_login(user)
    return client.post(url, data) if data is not None else client.get(url)


def test_the_secretary_drafts_edits_and_sends_the_minutes_and_the_chair_approves(client, held, people):
    url = reverse("minutes-page", args=[held.pk])
    detail = page(client, people["lan"], reverse("meeting-detail", args=[held.pk])).content.decode()
    assert url in detail  # the meeting page leads to the minutes
    assert page(client, people["lan"], url, {"action": "start"}).status_code == 302
    html = page(client, people["lan"], url).content.decode()
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "Thông qua: 3/" in html
    assert "Biên bản cuộc họp" in html and "Trình chủ trì duyệt" in html  # the page speaks Vietnamese
    assert "Phạm Thị Hoa" in html and "Đi công tác" in html
    from meetings.minutes.models import MinutesVersion

    items = MinutesVersion.objects.get(minutes__meeting=held).content["items"]
    form = {"action": "save", "opening": "Chủ trì khai mạc.", "closing": "", "recipients": "Lưu: VT",
            "header_number": "15", f"conclusion_{items[0]['agenda_item_id']}": "Giao Sở Tài chính.",
            f"discussion_{items[0]['agenda_item_id']}": "<b>Đồng ý</b><script>x</script>"}
    page(client, people["lan"], url, form)
    version = MinutesVersion.objects.get(minutes__meeting=held)
    assert version.content["items"][0]["discussion"] == "<b>Đồng ý</b>"
    assert version.content["header"]["number"] == "15" and version.content["recipients"] == ["Lưu: VT"]
    assert page(client, people["hoa"], url).status_code == 404  # a draft is not for delegates
    page(client, people["lan"], url, {"action": "submit"})
    page(client, people["hoa"], url, {"action": "approve"})  # refused: a delegate
    version.refresh_from_db()
    assert version.status == "in_review"
    page(client, people["minh"], url, {"action": "approve"})
    version.refresh_from_db()
    assert version.status == "approved"
    html = page(client, people["hoa"], url).content.decode()
    assert "Giao Sở Tài chính." in html and 'name="action" value="save"' not in html


def test_the_notice_page_shows_due_then_issued(client, minutes, held, people):
    from meetings.minutes.models import ConclusionNotice

    url = reverse("notice-page", args=[held.pk])
    html = page(client, people["lan"], url).content.decode()
    assert 'data-state="due"' in html or 'data-state="overdue"' in html
    page(client, people["lan"], url, {"action": "draft"})
    assert page(client, people["hoa"], url).status_code == 404
    page(client, people["lan"], url, {"action": "issue"})  # refused: the chair issues
    assert ConclusionNotice.objects.get(meeting=held).status == "draft"
    page(client, people["minh"], url, {"action": "issue"})
    assert ConclusionNotice.objects.get(meeting=held).status == "issued"
    html = page(client, people["hoa"], url).content.decode()
    assert 'data-state="issued"' in html and "THÔNG BÁO" in html


def test_the_secretarys_list_of_what_is_due_after_meetings(client, held, people):
    html = page(client, people["lan"], reverse("after-meetings")).content.decode()
    assert f'data-meeting="{held.pk}"' in html
    assert "Sau cuộc họp" in html and ("Trong hạn" in html or "Quá hạn" in html)
    html = page(client, people["hoa"], reverse("after-meetings")).content.decode()
    assert f'data-meeting="{held.pk}"' not in html


def test_the_calendar_shows_the_notices_still_to_issue(client, minutes, held, people):
    from meetings.minutes import services

    html = page(client, people["lan"], reverse("home")).content.decode()
    assert f'data-meeting="{held.pk}"' in html and "Thông báo kết luận cần ban hành" in html
    assert f'data-meeting="{held.pk}"' not in page(client, people["hoa"], reverse("home")).content.decode()
    services.draft_notice(people["lan"], held)
    services.issue_notice(people["minh"], held)
    assert f'data-meeting="{held.pk}"' not in page(client, people["lan"], reverse("home")).content.decode()
