"""The statistics page (/reports/): filters, a table and a chart per view, and the file downloads."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.models import Unit
from frontend.language import vietnamese_by_default
from meetings.errors import Forbidden, Invalid
from meetings.models import MeetingKind
from meetings.reports import charts, exports, scope
from meetings.reports.columns import COLUMNS, Column
from meetings.reports.report import VIEWS, build, parse_filters

CHART_LIMIT = 30  # bars; the table has every row
TABLE_LIMIT = 300  # rows on the page (the meetings view comes a page at a time); the XLSX and PDF have them all


def _chart(report) -> str:
    rows = report.rows[:CHART_LIMIT]
    if report.view == "meetings":
        return charts.share_bars(_("Attendance rate by meeting"), rows, "title")
    if report.view in ("members", "units"):
        return charts.share_bars(_("Attendance rate"), rows, "name")
    if report.view == "tasks":
        return charts.count_bars(_("Overdue tasks"), rows, "name", "overdue") + charts.share_bars(
            _("Done on time (share of done)"), rows, "name", "on_time_rate")
    return charts.count_bars(_("Meetings held"), rows, "name", "meetings") + charts.share_bars(
        _("Attendance rate"), rows, "name")


def _table_body(columns: list[Column], rows: list[dict]) -> SafeString:
    """The table's rows as HTML, built here rather than by two nested template loops: the template engine
    spent about 60 µs a cell, most of a 300-row page's time (bench/reports.py); ``format_html`` per cell
    still took 20. Every cell's text is escaped; a column's kind is one of ours."""
    return mark_safe("".join(  # every text is escaped below
        "<tr>" + "".join(f'<td class="{c.kind}">{escape(exports.cell_text(c, row.get(c.key)))}</td>' for c in columns)
        + "</tr>" for row in rows))


@vietnamese_by_default
@login_required
def index(request: HttpRequest, view: str = "") -> HttpResponse:
    organiser = scope.is_organiser(request.user)
    view = view or ("meetings" if organiser else "members")
    error = ""
    params = request.GET.copy()
    if not params.get("from") and not params.get("to"):
        # A page opens on this year: a province's five-year history is for the downloads and the API.
        params["from"] = timezone.localdate().replace(month=1, day=1).isoformat()
    try:
        filters = parse_filters(params)
    except Invalid as exc:
        filters, error = parse_filters({}), str(exc)
    try:
        report = build(request.user, view, filters, page=request.GET.get("page") or 1)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc
    except Invalid as exc:
        raise PermissionDenied(str(exc)) from exc
    columns = COLUMNS[view]
    shown = report.rows[:TABLE_LIMIT]
    table = _table_body(columns, shown)
    totals = [(c.title, exports.cell_text(c, report.totals.get(c.key))) for c in COLUMNS["kinds"][1:]]
    query = urlencode({k: v for k, v in params.items() if v and k != "page"})
    return render(request, "reports/index.html", {
        "view": view, "views": VIEWS if organiser else {"members": VIEWS["members"]}, "organiser": organiser,
        "columns": columns, "table": table, "report": report, "chart": _chart(report) if report.rows else "",
        "totals": totals if report.totals else [],
        "kinds": MeetingKind.objects.order_by("name"), "units": Unit.objects.order_by("order", "name")
        if organiser else [], "params": params, "query": query, "error": error,
        "more": len(report.rows) - len(shown), "page": report.pager,
        "periods": [("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))],
    })


@vietnamese_by_default
@login_required
def export(request: HttpRequest, view: str, fmt: str) -> HttpResponse:
    from meetings.reports.api import FILES

    try:
        report = build(request.user, view, parse_filters(request.GET))
    except (Forbidden, Invalid) as exc:
        raise PermissionDenied(str(exc)) from exc
    content_type, render_file = FILES[fmt]
    response = HttpResponse(render_file(report), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="thong-ke-{view}.{fmt}"'
    return response
