"""Preparing a meeting in a real browser, in the Vietnamese UI.

lan, the office's secretary, creates a meeting three weeks ahead, builds its agenda and its list of
participants and publishes the invitation; hoa, a delegate, finds it on her calendar and reports
her absence with a reason; lan reloads the meeting and reads the reason.

Debian's Chromium, driven by Playwright's sync API, against pytest-django's live_server (WSGI: no
socket here, so not the Daphne of tests/browser/conftest.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from live_server import launch_chromium
from live_server import sign_in as sign_in_page
from personas import in_days

# The sync Playwright API runs an event loop in this thread; the ORM calls of fixtures and
# assertions in between are still synchronous and safe (scripts/test sets this too).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TABLET = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def chromium() -> Iterator:
    with launch_chromium() as browser:
        yield browser


@pytest.fixture
def sign_in(chromium, live_server):
    """sign_in(user, viewport) → a page in a fresh browser context, signed in through the login form."""
    contexts = []

    def open_as(user, viewport=TABLET):
        page = sign_in_page(chromium, live_server.url, user, viewport)
        contexts.append(page.context)
        return page

    yield open_as
    for context in contexts:
        context.close()


def open_details(page, selector: str):
    """Open a folded form (<details>) the way a person does: by clicking its summary."""
    details = page.locator(selector)
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def add_agenda_item(page, title: str, minutes: int, presenter: str | None = None) -> None:
    from playwright.sync_api import expect

    form = open_details(page, "#agenda details.add-form")
    form.get_by_label("Nội dung họp", exact=True).fill(title)
    if presenter:
        form.get_by_label("Người trình bày", exact=True).select_option(label=presenter)
    form.get_by_label("Thời lượng dự kiến (phút)").fill(str(minutes))
    form.get_by_role("button", name="Thêm vào chương trình").click()
    expect(page.get_by_text("Đã thêm nội dung họp.")).to_be_visible()
    expect(page.locator("#agenda .agenda-item").filter(has_text=title)).to_be_visible()


def add_participant(page, name: str, role: str = "Đại biểu", site: str | None = None) -> None:
    from playwright.sync_api import expect

    form = open_details(page, "#participants details.add-form")
    form.get_by_label("Người được mời").select_option(label=name)
    form.get_by_label("Vai trò trong cuộc họp").select_option(label=role)
    if site:
        form.get_by_label("Điểm cầu").select_option(label=site)
    form.get_by_role("button", name="Thêm người dự họp").click()
    expect(page.get_by_text("Đã thêm người dự họp.")).to_be_visible()
    expect(page.locator("#participants tbody tr").filter(has_text=name)).to_be_visible()


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_the_secretary_prepares_and_publishes_and_a_delegate_declines(
    sign_in, people, units, mailoutbox, settings,
):
    from playwright.sync_api import expect

    from meetings.models import Meeting, Participant

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    start, end = in_days(21, 8), in_days(21, 11)
    title = "Hội nghị triển khai kế hoạch chuyển đổi số năm 2027"

    # lan creates the meeting ------------------------------------------------------------------------
    lan = sign_in(people["lan"])
    lan.get_by_role("link", name="Tạo cuộc họp").first.click()
    expect(lan.get_by_role("heading", name="Tạo cuộc họp")).to_be_visible()
    lan.get_by_label("Tiêu đề").fill(title)
    lan.get_by_label("Nội dung", exact=True).fill("Quán triệt kế hoạch và phân công nhiệm vụ cho các sở, ngành.")
    lan.get_by_label("Chủ trì", exact=True).select_option(label="Trần Văn Minh")
    lan.get_by_label("Bắt đầu").fill(start.strftime("%Y-%m-%dT%H:%M"))
    lan.get_by_label("Kết thúc").fill(end.strftime("%Y-%m-%dT%H:%M"))
    lan.get_by_label("Địa điểm", exact=True).fill("Hội trường tầng 3, trụ sở UBND tỉnh")
    lan.get_by_label("Kết hợp trực tiếp và trực tuyến").check()
    lan.get_by_label("Huyện An Phú").check()
    lan.get_by_label("Nội dung đại biểu cần chuẩn bị").fill("Báo cáo kết quả chuyển đổi số của đơn vị.")
    lan.get_by_label("Đầu mối liên hệ").fill("Nguyễn Thị Lan, 0209 3 855 123")
    lan.get_by_role("button", name="Tạo cuộc họp").click()

    expect(lan.get_by_text("Đã tạo dự thảo cuộc họp.")).to_be_visible()
    expect(lan.get_by_role("heading", name=title)).to_be_visible()
    expect(lan.locator(".meeting-head .badge").first).to_have_text("Dự thảo")

    # ... its agenda ...
    add_agenda_item(lan, "Quán triệt kế hoạch chuyển đổi số năm 2027", 20, presenter="Trần Văn Minh")
    add_agenda_item(lan, "Báo cáo của Sở Tài chính về kinh phí thực hiện", 30, presenter="Lê Văn Bình")
    add_agenda_item(lan, "Thảo luận và kết luận", 40)
    expect(lan.locator("#agenda .agenda-item")).to_have_count(3)
    expect(lan.locator("#agenda h2")).to_contain_text("3 nội dung, 90 phút")

    # ... and its participants, next to the chair and the secretary.
    add_participant(lan, "Phạm Thị Hoa")
    add_participant(lan, "Lê Văn Bình")
    add_participant(lan, "Đỗ Minh Tuấn", site="Huyện An Phú")
    add_participant(lan, "Khách Mời", role="Khách mời")
    expect(lan.locator("#participants tbody tr")).to_have_count(6)

    # Three weeks ahead is enough notice: no warning next to the button.
    expect(lan.get_by_text("Giấy mời phải được gửi trước")).to_have_count(0)
    lan.get_by_role("button", name="Phát hành giấy mời").click()
    expect(lan.get_by_text("Đã phát hành giấy mời và gửi đến thành phần dự họp.")).to_be_visible()
    expect(lan.locator(".meeting-head .badge").first).to_have_text("Đã phát hành")

    meeting = Meeting.objects.get(title=title)
    assert meeting.status == Meeting.Status.PUBLISHED
    invited = {"hoa@example.vn", "binh@example.vn", "tuan@example.vn", "khach@example.vn"}
    invitations = [m for m in mailoutbox if m.to[0] in invited]
    assert sorted(m.to[0] for m in invitations) == sorted(invited)
    for message in invitations:
        assert message.subject == f"Giấy mời: {title}"
        name, content, mimetype = message.attachments[0]
        assert name.endswith(".ics") and mimetype.startswith("text/calendar")
        content = content.decode() if isinstance(content, bytes) else content
        assert "BEGIN:VEVENT" in content and "METHOD:REQUEST" in content

    # hoa finds it on her calendar and reports her absence ---------------------------------------------
    hoa = sign_in(people["hoa"], viewport=PHONE)
    hoa.get_by_role("link", name=title).click()
    expect(hoa.get_by_role("heading", name=title)).to_be_visible()
    answer = hoa.locator("#answer")
    expect(answer.get_by_text("Trả lời giấy mời")).to_be_visible()
    answer.get_by_label("Báo vắng").check()
    answer.get_by_label("Lý do vắng").fill("Đi công tác tại Hà Nội theo Quyết định số 125/QĐ-UBND")
    answer.get_by_role("button", name="Gửi trả lời").click()
    expect(hoa.get_by_text("Đã gửi báo vắng đến ban tổ chức.")).to_be_visible()
    assert meeting.participants.get(user=people["hoa"]).rsvp == Participant.Rsvp.DECLINED

    # lan reloads and reads the reason ---------------------------------------------------------------
    lan.reload()
    row = lan.locator("#participants tbody tr").filter(has_text="Phạm Thị Hoa")
    expect(row.locator(".badge")).to_have_text("Báo vắng")
    expect(row).to_contain_text("Lý do: Đi công tác tại Hà Nội theo Quyết định số 125/QĐ-UBND")
    expect(lan.locator(".tally")).to_contain_text("Báo vắng: 1")
