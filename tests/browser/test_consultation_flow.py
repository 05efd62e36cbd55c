"""A written consultation in a real browser, in the Vietnamese UI: lan (the office's secretary) asks five
members; three answer on a phone, one of them changes her mind before the deadline; the deadline passes (the
consultation's clock is moved in the test, not waited for); the result sheet lists the three answers and the
two who did not answer, and its XLSX, downloaded from the page, reads back with the same figures. Then the
statistics page draws its chart without a single request leaving the server."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterator

import pytest
from live_server import launch_chromium, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TABLET = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def signed_in(live_server) -> Iterator:
    with launch_chromium() as browser:
        pages = []

        def open_as(user, viewport=TABLET):
            pages.append(sign_in(browser, live_server.url, user, viewport, accept_downloads=True))
            return pages[-1]

        yield open_as
        for page in pages:
            page.context.close()


def answer_on_phone(page, title: str, choice: str, text: str = "", expect_text: str = "") -> None:
    from playwright.sync_api import expect

    page.get_by_role("link", name="Lấy ý kiến", exact=True).click()
    page.get_by_test_id("asked").get_by_role("link", name=title).click()
    page.get_by_test_id(f"q1-{choice}").check()
    page.get_by_test_id("q1-text").fill(text)
    page.get_by_test_id("send-answer").click()
    expect(page.get_by_text(expect_text)).to_be_visible()


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_a_consultation_is_asked_answered_on_phones_and_summed_up(signed_in, people, live_server):
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    from meetings.consultation.models import Consultation

    title = "Dự thảo Quy chế làm việc của UBND tỉnh nhiệm kỳ 2026-2031"
    lan = signed_in(people["lan"])
    lan.goto(live_server.url + "/consultations/new/")
    lan.get_by_label("Tiêu đề").fill(title)
    lan.get_by_label("Hạn trả lời").fill((dt.datetime.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    lan.get_by_label("Câu hỏi, mỗi dòng một câu").fill("Đồng ý thông qua Dự thảo Quy chế?")
    for name in ("Trần Văn Minh", "Phạm Thị Hoa", "Lê Văn Bình", "Đỗ Minh Tuấn", "Khách Mời"):
        lan.locator("label.choice", has_text=name).locator("input").check()
    lan.get_by_role("button", name="Gửi", exact=True).click()
    expect(lan.get_by_text("Đã gửi đề nghị cho ý kiến.")).to_be_visible()
    consultation = Consultation.objects.get(title=title)
    assert consultation.recipients.count() == 5

    for name, choice, text in (("hoa", "agree", ""), ("binh", "other", "Đề nghị bổ sung Điều 5"),
                               ("minh", "agree", "")):
        page = signed_in(people[name], PHONE)
        answer_on_phone(page, title, choice, text, "Ý kiến của bạn đã được ghi nhận.")
        if name == "binh":  # changes his mind before the deadline
            page.get_by_test_id("q1-disagree").check()
            page.get_by_test_id("q1-text").fill("")
            page.get_by_test_id("send-answer").click()
            expect(page.get_by_text("Ý kiến của bạn đã được thay đổi.")).to_be_visible()

    # The deadline passes: the consultation's clock is moved, nobody waits for it.
    Consultation.objects.filter(pk=consultation.pk).update(deadline=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    tuan = signed_in(people["tuan"], PHONE)
    tuan.goto(f"{live_server.url}/consultations/{consultation.pk}/")
    expect(tuan.get_by_test_id("closed")).to_be_visible()
    expect(tuan.get_by_test_id("send-answer")).to_have_count(0)

    lan.goto(f"{live_server.url}/consultations/{consultation.pk}/results/")
    expect(lan.get_by_test_id("sentence-1")).to_have_text(
        "2/5 người được lấy ý kiến đồng ý (40,0 %), chưa quá nửa tổng số người được lấy ý kiến")
    rows = lan.get_by_test_id("people").locator("tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.filter(has_text="Không trả lời")).to_have_count(2)
    expect(rows.filter(has_text="Lê Văn Bình")).to_contain_text("Không đồng ý")
    expect(rows.filter(has_text="Lê Văn Bình")).to_contain_text("đã thay đổi 1 lần")
    with lan.expect_download() as download:
        lan.get_by_test_id("results-xlsx").click()
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    summary = {r[0]: r[1:] for r in book["Tổng hợp"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Đồng ý thông qua Dự thảo Quy chế?"][:4] == (2, 1, 0, 2)
    assert summary["Số người đã trả lời"][0] == 3
    answered = {r[0]: r[3] for r in book["Ý kiến từng người"].iter_rows(min_row=2, values_only=True)}
    assert answered == {"Trần Văn Minh": "Đồng ý", "Phạm Thị Hoa": "Đồng ý", "Lê Văn Bình": "Không đồng ý",
                        "Đỗ Minh Tuấn": "—", "Khách Mời": "—"}

    # Statistics: the chart is drawn by the server; nothing is fetched from anywhere else.
    from meetings.models import Attendance, Meeting, Participant

    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    held = Meeting.objects.create(title="Họp giao ban tuần", host_unit=people["lan"].unit, chair=people["minh"],
                                  secretary=people["lan"], start=start, end=start + dt.timedelta(hours=2),
                                  status=Meeting.Status.ENDED)
    for name in ("minh", "hoa", "binh"):
        p = Participant.objects.create(meeting=held, user=people[name])
        if name != "binh":
            Attendance.objects.create(participant=p, status="in_person", checked_in_at=start)
    outside = []
    lan.on("request", lambda r: outside.append(r.url) if not r.url.startswith((live_server.url, "data:")) else None)
    lan.goto(live_server.url + "/reports/")
    expect(lan.get_by_role("heading", name="Thống kê cuộc họp")).to_be_visible()
    lan.get_by_role("link", name="Theo thành viên").click()
    expect(lan.get_by_test_id("report-table")).to_be_visible()
    expect(lan.locator("svg.chart")).to_be_visible()
    expect(lan.get_by_test_id("report-table").locator("tbody tr").filter(has_text="Lê Văn Bình")).to_contain_text(
        "0,0 %")
    assert outside == [], outside
