"""After the meeting, in a real browser and the Vietnamese UI.

The meeting was held through the live room's commands (roll call in the hall and online, two items, a
speaker, a question, a named vote announced) and ended (tests/minutes/conftest.py). lan, the secretary,
opens the meeting, drafts the minutes and finds attendance, speakers and the vote result already written;
she writes the chair's conclusion and sends the minutes for review; minh, the chair, approves and signs
them digitally; the signed PDF downloads and its PAdES signature verifies with pyHanko here.

Debian's Chromium, driven by Playwright's sync API, against pytest-django's live_server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from live_server import launch_chromium, session_cookie
from minutes.conftest import _quick, held  # noqa: F401  (fixtures)
from minutes.test_signatures import make_ca_and_signer

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signer(tmp_path, settings):
    p12, _root = make_ca_and_signer(tmp_path)
    settings.PHONGHOP_SIGNER_PKCS12 = p12
    settings.PHONGHOP_SIGNER_PASSPHRASE = "mat-khau"


@pytest.fixture
def chromium(held) -> Iterator:  # noqa: F811  (held first: its services publish before the browser's loop runs)
    with launch_chromium() as browser:
        yield browser


def test_the_secretary_drafts_the_chair_approves_and_signs_and_the_pdf_verifies(
        held, people, signer, chromium, live_server, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    from meetings.minutes import signing

    def open_as(user, path):
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                       timezone_id="Asia/Ho_Chi_Minh", accept_downloads=True)
        context.add_cookies([session_cookie(user, live_server.url)])
        page = context.new_page()
        page.goto(live_server.url + path)
        return page

    lan = open_as(people["lan"], f"/meetings/{held.pk}/")
    expect(lan.get_by_role("heading", name="Sau cuộc họp")).to_be_visible()
    lan.get_by_role("link", name="Lập biên bản").click()
    lan.get_by_role("button", name="Lập biên bản từ dữ liệu cuộc họp").click()
    preview = lan.locator(".official-doc")
    expect(preview).to_contain_text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    expect(preview).to_contain_text("Phạm Thị Hoa")  # present in the hall, and the first item's speaker
    expect(preview).to_contain_text("Dự trực tuyến tại điểm cầu Huyện An Phú")
    expect(preview).to_contain_text("Lê Văn Bình, Sở Tài chính (Đi công tác)")
    expect(preview).to_contain_text("Thông qua: 3/")
    first = lan.locator("fieldset[data-item]").first
    discussion = first.get_by_role("textbox", name="Ý kiến thảo luận")  # the rich editor
    discussion.click()
    first.get_by_role("button", name="Chữ đậm").click()
    lan.keyboard.type("Các đại biểu thống nhất cao")
    first.get_by_label("Kết luận của chủ trì").fill("Giao Sở Tài chính hoàn thiện báo cáo trước ngày 20/12.")
    lan.get_by_role("button", name="Lưu biên bản").click()
    expect(preview).to_contain_text("Kết luận của chủ trì: Giao Sở Tài chính hoàn thiện báo cáo")
    expect(preview.locator("strong", has_text="Các đại biểu thống nhất cao")).to_be_visible()
    lan.get_by_role("button", name="Trình chủ trì duyệt").click()
    expect(lan.locator("[data-status]").first).to_have_attribute("data-status", "in_review")

    minh = open_as(people["minh"], f"/meetings/{held.pk}/minutes/")
    minh.once("dialog", lambda dialog: dialog.accept())
    minh.get_by_role("button", name="Duyệt", exact=True).click()
    expect(minh.locator("[data-status]").first).to_have_attribute("data-status", "approved")
    minh.get_by_role("button", name="Ký số (PAdES)").click()
    signature = minh.locator("[data-signature-valid]")
    expect(signature).to_have_attribute("data-signature-valid", "true")
    expect(signature).to_contain_text("Chữ ký hợp lệ")
    with minh.expect_download() as download:
        minh.get_by_role("link", name="Tải PDF đã ký số").click()
    path = tmp_path / "signed.pdf"
    download.value.save_as(path)
    check = signing.verify_pdf(path.read_bytes())
    assert check["valid"] and check["signer"] == "Trần Văn Minh", check


@pytest.fixture
def assigned(held, people):  # noqa: F811
    """A task binh must report on, assigned before any browser runs (services publish events)."""
    import datetime as dt

    from django.utils import timezone

    from meetings.tasks import services

    return services.create(people["lan"], held, {
        "title": "Hoàn thiện báo cáo kinh tế - xã hội", "assignee_id": people["binh"].pk,
        "deadline": (timezone.localdate() + dt.timedelta(days=10)).isoformat()})


@pytest.fixture
def browser_after_task(assigned) -> Iterator:
    with launch_chromium() as browser:
        yield browser


def test_the_office_sees_a_task_change_live(held, people, assigned, server, browser_after_task):  # noqa: F811
    """lan watches the meeting's tasks; binh reports progress on his own page; lan's list follows through the
    meeting socket (task.changed) without her reloading."""
    from playwright.sync_api import expect

    def open_as(user, path):
        context = browser_after_task.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
        context.add_cookies([session_cookie(user, server.url)])
        page = context.new_page()
        page.goto(server.url + path)
        return page

    lan = open_as(people["lan"], f"/meetings/{held.pk}/tasks/")
    row = lan.locator(f'tr[data-task="{assigned.pk}"]')
    expect(row).to_have_attribute("data-status", "assigned")
    expect(lan.locator("[data-live-meeting]")).to_have_attribute("data-live-ready", "true")  # following
    binh = open_as(people["binh"], f"/tasks/{assigned.pk}/")
    binh.get_by_label("Kết quả đã thực hiện").fill("Đã thu thập số liệu của các sở")
    binh.get_by_role("button", name="Gửi báo cáo").click()
    expect(binh.locator("article.task")).to_have_attribute("data-status", "in_progress")
    expect(lan.locator(f'tr[data-task="{assigned.pk}"]')).to_have_attribute("data-status", "in_progress",
                                                                             timeout=15000)
