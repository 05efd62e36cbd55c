"""Statistics over a seeded history: the figures the API, the page and the files show equal those computed
here from the facts the history was made of, and each person sees only what their role allows."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

import pytest
from report_history import PRESENT, seed

pytestmark = pytest.mark.django_db

FINISHED = ("ended", "archived")
GRACE = dt.timedelta(minutes=5)


@pytest.fixture
def history(people, units):
    return seed(people, units)


def with_reason(f) -> bool:
    return bool(f.rsvp_reason or f.reason or f.rsvp in ("substituted", "proxy"))


def expected_meetings(h, only=lambda info: True):
    rows = {}
    for mid, info in h.meetings.items():
        if info["status"] not in FINISHED or not only(info):
            continue
        facts = [f for f in h.facts if f.meeting == mid]
        present = [f for f in facts if f.status in PRESENT]
        turns = [t for t in h.turns if t[0] == mid]
        rows[mid] = {
            "invited": len(facts), "present": len(present),
            "in_person": sum(f.status == "in_person" for f in facts),
            "online": sum(f.status == "online" for f in facts),
            "on_time": sum(f.checked_in <= f.start + GRACE for f in present),
            "absent_with_reason": sum(f.status not in PRESENT and with_reason(f) for f in facts),
            "absent_without_reason": sum(f.status not in PRESENT and not with_reason(f) for f in facts),
            "speakers": len({t[1] for t in turns}),
            "speaking_minutes": round(sum((e - b).total_seconds() for _m, _p, b, e in turns if e) / 60, 1),
            "votes": sum(m == mid and s in ("closed", "published") for m, s in h.votes),
        }
    return rows


def expected_members(h):
    rows = defaultdict(lambda: defaultdict(int))
    finished = {mid for mid, info in h.meetings.items() if info["status"] in FINISHED}
    for f in h.facts:
        if f.meeting not in finished:
            continue
        r = rows[f.user]
        r["invited"] += 1
        r["attended"] += f.status in PRESENT
        r["absent_with_reason"] += f.status not in PRESENT and with_reason(f)
        r["absent_without_reason"] += f.status not in PRESENT and not with_reason(f)
        r["substitutes_sent"] += f.rsvp == "substituted"
    for mid, user in h.ballots:
        if mid in finished:
            rows[user]["votes_cast"] += 1
    return {u: dict(r) for u, r in rows.items()}


def test_each_meetings_figures_equal_those_counted_from_the_history(api, people, history):
    body = api(people["lan"]).get("/reports/meetings").json()
    expected = expected_meetings(history)
    assert [r["id"] for r in body["rows"]] == sorted(expected, key=lambda m: history.meetings[m]["start"])
    for row in body["rows"]:
        want = expected[row["id"]]
        assert {k: row[k] for k in want} == want, row["title"]
        assert row["attendance_rate"] == (want["present"] / want["invited"])
    assert body["totals"]["meetings"] == len(expected)
    assert body["totals"]["present"] == sum(r["present"] for r in expected.values())
    assert body["totals"]["votes"] == sum(r["votes"] for r in expected.values())


def test_each_members_figures_equal_those_counted_from_the_history(api, people, history):
    rows = api(people["root"]).get("/reports/members").json()["rows"]
    expected = expected_members(history)
    assert {r["id"] for r in rows} == set(expected)
    for row in rows:
        want = expected[row["id"]]
        assert {k: row.get(k, 0) for k in ("invited", "attended", "absent_with_reason", "absent_without_reason",
                                           "substitutes_sent", "votes_cast")} == {
            k: want.get(k, 0) for k in ("invited", "attended", "absent_with_reason", "absent_without_reason",
                                        "substitutes_sent", "votes_cast")}, row["name"]
    assert people["operator"].pk not in {r["id"] for r in rows}, "a site operator is not a member"


def test_units_kinds_and_periods_add_up_to_the_same_figures(api, people, units, history):
    client = api(people["root"])
    members = expected_members(history)
    by_unit = defaultdict(int)
    for user, r in members.items():
        by_unit[next(p.unit_id for p in people.values() if p.pk == user)] += r["attended"]
    unit_rows = client.get("/reports/units").json()["rows"]
    assert {r["id"]: r["attended"] for r in unit_rows} == dict(by_unit)

    expected = expected_meetings(history)
    kinds = client.get("/reports/kinds").json()["rows"]
    for row in kinds:
        mids = [m for m in expected if history.meetings[m]["kind"] == row["key"]]
        assert (row["meetings"], row["present"]) == (len(mids), sum(expected[m]["present"] for m in mids))
    quarters = client.get("/reports/periods?period=quarter").json()["rows"]
    assert sum(r["meetings"] for r in quarters) == len(expected)
    q1 = [m for m in expected if history.meetings[m]["start"].month <= 3 and history.meetings[m]["start"].year == 2026]
    assert quarters[0]["name"] == "Quý 1/2026" and quarters[0]["meetings"] == len(q1)


def test_filters_narrow_the_meetings(api, people, units, history):
    client = api(people["root"])
    may = [m for m, i in history.meetings.items() if i["status"] in FINISHED
           and dt.date(2026, 5, 1) <= i["start"].date() <= dt.date(2026, 8, 31)]
    rows = client.get("/reports/meetings?from=2026-05-01&to=2026-08-31").json()["rows"]
    assert sorted(r["id"] for r in rows) == sorted(may) and may
    finance = expected_meetings(history, lambda i: i["host_unit"] == units["finance"].pk)
    rows = client.get(f"/reports/meetings?unit={units['finance'].pk}").json()["rows"]
    assert sorted(r["id"] for r in rows) == sorted(finance)
    rows = client.get(f"/reports/meetings?unit={units['province'].pk}").json()["rows"]  # and below it
    assert len(rows) == len(expected_meetings(history))
    bad = client.get("/reports/meetings?from=31-12-2026")
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "Ngày không hợp lệ (dùng dạng NNNN-TT-NN)."
    assert client.get("/reports/meetings?from=2026-09-01&to=2026-01-01").status_code == 400
    assert client.get("/reports/nothing").status_code == 400


@pytest.mark.parametrize("name", ["hoa", "binh", "tuan", "khach", "operator"])
def test_a_member_sees_only_their_own_figures(api, people, history, name):
    client = api(people[name])
    body = client.get("/reports/members").json()
    expected = expected_members(history)
    assert body["own_only"] is True
    assert [r["id"] for r in body["rows"]] == ([people[name].pk] if people[name].pk in expected else [])
    other = people["minh"].pk
    for path in ("/reports/meetings", "/reports/units", "/reports/kinds",
                 "/reports/periods", f"/reports/members?member={other}",
                 "/reports/meetings/export?format=xlsx"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "forbidden"


def test_organisers_see_the_meetings_of_the_units_they_serve(api, people, units, history):
    from personas import make_user

    finance_secretary = make_user("thuky.stc", units["finance"], "secretary", "Vũ Thu Trang")
    rows = api(finance_secretary).get("/reports/meetings").json()["rows"]
    assert sorted(r["id"] for r in rows) == sorted(expected_meetings(
        history, lambda i: i["host_unit"] == units["finance"].pk))
    office_admin = api(people["hanh"]).get("/reports/meetings").json()["rows"]
    assert sorted(r["id"] for r in office_admin) == sorted(expected_meetings(
        history, lambda i: i["host_unit"] == units["office"].pk))
    assert api(None).get("/reports/meetings").status_code == 401


def test_the_xlsx_reads_back_with_the_same_figures_and_real_numbers(api, people, history):
    from openpyxl import load_workbook

    response = api(people["lan"]).get("/reports/meetings/export?format=xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[3]]
    assert header[:4] == ["Bắt đầu", "Cuộc họp", "Loại", "Đơn vị chủ trì"] and "Tỷ lệ dự họp" in header
    expected = expected_meetings(history)
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert len(rows) == len(expected)
    present, rate = header.index("Có mặt"), header.index("Tỷ lệ dự họp")
    by_title = {f"Cuộc họp số {i + 1}": m for i, m in enumerate(sorted(history.meetings))}
    for row in rows:
        want = expected[by_title[row[1]]]
        assert row[present] == want["present"]
        assert row[rate] == pytest.approx(want["present"] / want["invited"])
        assert isinstance(row[0], dt.datetime)  # a real date, not text
    assert sheet.cell(row=4, column=rate + 1).number_format == "0.0%"


def test_the_pdf_carries_the_vietnamese_headers(api, people, history):
    from pypdf import PdfReader

    response = api(people["lan"]).get("/reports/members/export?format=pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "THỐNG KÊ CUỘC HỌP" in text and "Vắng có lý do" in text and "Phạm Thị Hoa" in text


def test_the_page_shows_a_table_and_a_chart_drawn_on_the_server(client, people, history):
    client.force_login(people["lan"])
    page = client.get("/reports/").content.decode()
    assert 'data-testid="report-table"' in page and "<svg" in page and "Tỷ lệ dự họp theo cuộc họp" in page
    chart = page[page.index("<svg"):page.index("</svg>")]
    assert "http" not in chart.replace('xmlns="http://www.w3.org/2000/svg"', ""), "nothing fetched by the chart"
    assert "<script" not in chart
    periods = client.get("/reports/periods/?period=quarter").content.decode()
    assert "Quý 1/2026" in periods and "Quý 4/2026" in periods

    client.force_login(people["hoa"])
    own = client.get("/reports/").content.decode()
    assert "Thống kê dự họp của tôi" in own and "Phạm Thị Hoa" in own and "Lê Văn Bình" not in own
    assert client.get("/reports/meetings/").status_code == 403
    assert client.get("/reports/units/export.xlsx").status_code == 403


def test_written_opinions_asked_and_given_are_counted_per_member(api, people, history):
    import datetime as dt

    from django.utils import timezone

    from meetings.consultation import services as consultations

    for n in range(3):
        c = consultations.create(people["lan"], title=f"Dự thảo {n}", deadline=timezone.now() + dt.timedelta(days=2),
                                 questions=[{"text": "Đồng ý?"}], recipient_ids=[people["hoa"].pk, people["binh"].pk])
        if n < 2:
            q = c.questions.get()
            consultations.answer(people["hoa"], c, [{"question_id": q.pk, "choice": "agree"}])
    rows = {r["name"]: r for r in api(people["lan"]).get("/reports/members").json()["rows"]}
    assert (rows["Phạm Thị Hoa"]["consultations_asked"], rows["Phạm Thị Hoa"]["consultations_answered"]) == (3, 2)
    assert (rows["Lê Văn Bình"]["consultations_asked"], rows["Lê Văn Bình"]["consultations_answered"]) == (3, 0)
    own = api(people["hoa"]).get("/reports/members").json()["rows"]
    assert [(r["consultations_asked"], r["consultations_answered"]) for r in own] == [(3, 2)]


def test_follow_up_tasks_are_counted_per_unit_and_members_may_not_see_them(api, people, units, history):
    import datetime as dt

    from django.utils import timezone

    from meetings.tasks.models import Task

    meeting_id = next(m for m, i in history.meetings.items() if i["status"] in FINISHED)
    today = timezone.localdate()
    done_at = timezone.now()
    for unit, deadline, status, done in (
        ("finance", today + dt.timedelta(days=3), "done", done_at),           # on time
        ("finance", today - dt.timedelta(days=2), "done", done_at),           # late
        ("finance", today - dt.timedelta(days=1), "in_progress", None),       # overdue
        ("office", today + dt.timedelta(days=5), "assigned", None),           # open
        ("office", today - dt.timedelta(days=9), "extended", None),           # overdue
    ):
        Task.objects.create(meeting_id=meeting_id, title="Rà soát dự toán", unit=units[unit], deadline=deadline,
                            status=status, done_at=done)
    rows = {r["name"]: r for r in api(people["lan"]).get("/reports/tasks").json()["rows"]}
    assert {k: rows["Sở Tài chính"][k] for k in ("tasks", "done_on_time", "done_late", "overdue", "open")} == {
        "tasks": 3, "done_on_time": 1, "done_late": 1, "overdue": 1, "open": 0}
    assert rows["Sở Tài chính"]["on_time_rate"] == 0.5
    assert (rows["Văn phòng UBND tỉnh"]["overdue"], rows["Văn phòng UBND tỉnh"]["open"]) == (1, 1)
    assert api(people["hoa"]).get("/reports/tasks").status_code == 403
