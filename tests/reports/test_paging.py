"""The meetings view on the statistics page comes a page at a time; its totals still cover every meeting, and
the API and the files still have every row."""

from __future__ import annotations

import io
import re

import pytest
from report_history import seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(people, units):
    return seed(people, units)


def _titles(page: str) -> list[str]:
    return re.findall(r'<td class="text">(Cuộc họp số \d+)</td>', page)


def _totals(page: str) -> str:
    start = page.index('data-testid="totals"')
    return page[start:page.index("</dl>", start)]


def test_the_meetings_page_lists_a_page_at_a_time_with_totals_over_them_all(client, api, people, history,
                                                                             monkeypatch):
    from meetings.reports import report

    monkeypatch.setattr(report, "PAGE_SIZE", 5)
    body = api(people["lan"]).get("/reports/meetings?from=2026-01-01").json()
    assert len(body["rows"]) == 13, "the API has every row"
    client.force_login(people["lan"])
    pages = [client.get(f"/reports/meetings/?from=2026-01-01&page={n}").content.decode() for n in (1, 2, 3)]
    assert [len(_titles(p)) for p in pages] == [5, 5, 3]
    assert sum((_titles(p) for p in pages), []) == [r["title"] for r in body["rows"]]
    assert len({_totals(p) for p in pages}) == 1, "the same totals on every page"
    assert "<dd>13</dd>" in _totals(pages[0]) and f"<dd>{body['totals']['present']}</dd>" in _totals(pages[0])
    assert "Trang 2/3" in pages[1] and "page=3" in pages[1] and "page=1" in pages[1]
    assert _titles(client.get("/reports/meetings/?from=2026-01-01&page=99").content.decode()) == _titles(pages[2])
    assert _titles(client.get("/reports/meetings/?from=2026-01-01&page=x").content.decode()) == _titles(pages[0])


def test_the_xlsx_from_the_page_has_every_meeting(client, people, history, monkeypatch):
    from openpyxl import load_workbook

    from meetings.reports import report

    monkeypatch.setattr(report, "PAGE_SIZE", 5)
    client.force_login(people["lan"])
    response = client.get("/reports/meetings/export.xlsx?from=2026-01-01&page=2")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=4, values_only=True))
    assert len(rows) == 13


def test_the_table_escapes_what_people_typed(client, people, history):
    from meetings.models import Meeting

    Meeting.objects.filter(pk=min(history.meetings)).update(title="Họp <b>gấp</b> & \"khẩn\"")
    client.force_login(people["lan"])
    page = client.get("/reports/meetings/?from=2026-01-01").content.decode()
    assert "Họp &lt;b&gt;gấp&lt;/b&gt; &amp; &quot;khẩn&quot;" in page and "<b>gấp" not in page
