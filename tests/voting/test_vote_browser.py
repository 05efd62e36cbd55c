"""The ballot in real browsers: the secretary runs the vote from the console, hoa votes on a phone, the hall
screen shows the count and then the result. Chromium through Playwright, against a Daphne child process."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "browser"))
from live_server import CHROMIUM, CHROMIUM_ARGS, DaphneServer, session_cookie  # noqa: E402

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def open_as(browser, server, user, path, viewport=DESKTOP, cookie=None):
    context = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.add_cookies([cookie or session_cookie(user, server.url)])
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Close the vote?", "Announce the result?"
    page.goto(server.url + path)
    return page


def online(page):
    from playwright.sync_api import expect

    expect(page.locator("body")).to_have_attribute("data-connection", "online", timeout=20_000)


@pytest.mark.browser
@pytest.mark.timeout(240)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_a_delegate_votes_on_a_phone_and_everyone_sees_the_result(council, people, secret, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from meetings.voting import services

    item = services.prepare(people["lan"], council, {"question": "Thông qua Nghị quyết về dự toán ngân sách năm 2027",
                                                     "secret": secret, "duration": 300})
    server = DaphneServer(log_dir=tmp_path)
    # Every session is written before the server process opens the database (and before the browser's event
    # loop runs in this thread): the pages then only read.
    cookies = [session_cookie(people[name], server.url) for name in ("lan", "hoa", "lan")]
    server.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            console = open_as(browser, server, people["lan"], f"/live/{council.pk}/console/", cookie=cookies[0])
            hoa = open_as(browser, server, people["hoa"], f"/live/{council.pk}/", viewport=PHONE, cookie=cookies[1])
            screen = open_as(browser, server, people["lan"], f"/votes/{council.pk}/screen/", cookie=cookies[2])
            for page in (console, hoa, screen):
                online(page)
            expect(hoa.get_by_test_id("vote-card")).to_be_hidden()  # a prepared vote is not shown to delegates

            row = console.get_by_test_id("votes-list").locator("li", has_text="dự toán ngân sách")
            row.get_by_role("button", name="Bắt đầu biểu quyết").click()
            expect(row.get_by_test_id("vote-count")).to_have_text("Đã biểu quyết: 0/4")
            expect(hoa.get_by_test_id("vote-question")).to_have_text(item.question["text"])
            expect(hoa.get_by_test_id("vote-timer")).to_contain_text("Thời gian còn lại")

            # Large buttons on the phone, then a confirmation before anything is sent.
            option = hoa.get_by_role("button", name="Tán thành", exact=True)
            box = option.bounding_box()
            assert box["height"] >= 56 and box["width"] >= 300, box
            option.click()
            expect(hoa.get_by_test_id("vote-confirm")).to_contain_text("Bạn chọn: Tán thành")
            hoa.get_by_role("button", name="Xác nhận và gửi phiếu").click()
            expect(hoa.get_by_test_id("vote-done")).to_have_text("Bạn đã biểu quyết.")
            code = None
            if secret:
                expect(hoa.get_by_test_id("vote-receipts").locator("code")).to_have_text(
                    re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$"))
                code = hoa.get_by_test_id("vote-receipts").locator("code").first.text_content()
                expect(hoa.get_by_test_id("vote-card")).not_to_contain_text("Lựa chọn của bạn")
            too_wide = hoa.evaluate("""() => [...document.querySelectorAll("#vote-card *")]
                .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).map((e) => e.className)""")
            assert too_wide == []
            hoa.screenshot(path=str(tmp_path / "ballot-phone.png"), full_page=True)

            expect(row.get_by_test_id("vote-count")).to_have_text("Đã biểu quyết: 1/4")
            expect(screen.get_by_test_id("screen-count")).to_have_text("Đã biểu quyết: 1/4")
            if not secret:
                expect(row.get_by_test_id("vote-not-voted")).to_contain_text("Lê Văn Bình")
            else:
                expect(row.get_by_test_id("vote-not-voted")).to_have_count(0)

            console.screenshot(path=str(tmp_path / "console.png"), full_page=True)
            row.get_by_role("button", name="Kết thúc biểu quyết").click()
            sentence = "Không thông qua: 1/4 đại biểu tán thành (25,0 %), không đạt quá nửa tổng số đại biểu"
            expect(row.get_by_test_id("vote-sentence")).to_have_text(sentence)
            expect(hoa.get_by_test_id("vote-body")).to_contain_text("chờ chủ tọa công bố")
            row.get_by_role("button", name="Công bố kết quả").click()
            expect(hoa.get_by_test_id("vote-sentence")).to_have_text(sentence)
            expect(screen.get_by_test_id("vote-sentence")).to_have_text(sentence)
            expect(screen.get_by_test_id("vote-bars").locator("li")).to_have_count(3)
            screen.screenshot(path=str(tmp_path / "screen.png"))
            if secret:
                # hoa checks her receipt as typed on a phone: the page searches the published list itself,
                # and no request it makes carries the code (docs/voting.md, "What each can learn").
                asked: list[str] = []
                hoa.on("request", lambda request: asked.append(request.url))
                hoa.locator(".vote-receipt-input").fill(code.lower().replace("-", " "))
                hoa.get_by_role("button", name="Kiểm tra mã biên nhận").click()
                expect(hoa.locator(".vote-receipt-check .vote-note")).to_have_text("Đã được tính: Tán thành")
                assert any(url.endswith(f"/votes/{item.pk}/receipts") for url in asked), asked
                assert not any(code in url or code.replace("-", "") in url.upper() for url in asked), asked
            browser.close()
    finally:
        server.stop()
    if secret:
        written = server.log_path.read_text(errors="replace")
        assert "/receipts" in written  # the access log was captured
        assert code not in written and code.replace("-", "") not in written


@pytest.mark.browser
@pytest.mark.timeout(240)
@pytest.mark.django_db(transaction=True)
def test_two_open_votes_are_shown_in_the_agendas_order_and_cast_one_by_one(council, people, tmp_path):
    """A slate: two votes open at once. hoa's phone shows both, the one on the agenda item first; she votes
    on each separately; the console shows each vote's own count."""
    from playwright.sync_api import expect, sync_playwright

    from meetings.voting import services

    loose = services.prepare(people["lan"], council, {"question": "Thông qua chương trình giám sát năm 2027"})
    agenda_item = council.agenda_items.order_by("order").first()
    placed = services.prepare(people["lan"], council, {"question": "Thông qua báo cáo kinh tế - xã hội",
                                                       "agenda_item_id": agenda_item.pk})
    services.open_vote(people["minh"], council, loose.pk)
    services.open_vote(people["minh"], council, placed.pk)
    server = DaphneServer(log_dir=tmp_path)
    cookies = [session_cookie(people[name], server.url) for name in ("lan", "hoa")]
    server.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            console = open_as(browser, server, people["lan"], f"/live/{council.pk}/console/", cookie=cookies[0])
            hoa = open_as(browser, server, people["hoa"], f"/live/{council.pk}/", viewport=PHONE, cookie=cookies[1])
            for page in (console, hoa):
                online(page)
            items = hoa.get_by_test_id("vote-item")
            expect(items).to_have_count(2)
            expect(hoa.get_by_test_id("vote-question")).to_have_text([placed.question["text"], loose.question["text"]])
            first, second = items.nth(0), items.nth(1)
            expect(first).to_contain_text(f"Nội dung họp {agenda_item.order}")

            first.get_by_role("button", name="Không tán thành", exact=True).click()
            expect(first.get_by_test_id("vote-confirm")).to_contain_text("Bạn chọn: Không tán thành")
            expect(second.get_by_test_id("vote-confirm")).to_have_count(0)  # each vote has its own ballot
            first.get_by_role("button", name="Xác nhận và gửi phiếu").click()
            expect(first.get_by_test_id("vote-done")).to_have_text("Bạn đã biểu quyết.")
            expect(second.get_by_test_id("vote-done")).to_have_count(0)
            second.get_by_role("button", name="Tán thành", exact=True).click()
            second.get_by_role("button", name="Xác nhận và gửi phiếu").click()
            expect(second.get_by_test_id("vote-done")).to_have_text("Bạn đã biểu quyết.")

            rows = console.get_by_test_id("votes-list")
            for question in (placed.question["text"], loose.question["text"]):
                expect(rows.locator("li", has_text=question).get_by_test_id("vote-count")).to_have_text(
                    "Đã biểu quyết: 1/4")
            browser.close()
    finally:
        server.stop()
    assert services.tally_data(placed)["counts"] == {"for": 0, "against": 1, "abstain": 0}
    assert services.tally_data(loose)["counts"] == {"for": 1, "against": 0, "abstain": 0}
