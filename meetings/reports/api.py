"""REST API for statistics (docs/api.md, "Statistics"): a view's rows as JSON, or as an XLSX or PDF file.
Read-only; the same rules as the pages (``report.build``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from meetings.api.auth import AUTH, actor
from meetings.api.schemas import Error
from meetings.errors import Invalid
from meetings.reports import exports
from meetings.reports.report import build, parse_filters

router = Router(tags=["statistics"], auth=AUTH)
ERRORS = {400: Error, 401: Error, 403: Error}
FILES = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", exports.to_xlsx),
    "pdf": ("application/pdf", exports.to_pdf),
}


def _report(request, view: str):
    params = request.GET
    member = params.get("member") or None
    if member is not None and not member.isdigit():
        raise Invalid(_("The data sent is not valid: field “%(field)s”.") % {"field": "member"}, field="member")
    return build(actor(request), view, parse_filters(params), int(member) if member else None)


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@router.get("/{view}", response={200: dict, **ERRORS}, summary="Statistics of finished meetings",
            description="view: meetings | members | units | kinds | periods. Query: from, to (YYYY-MM-DD), kind, "
                        "unit (host unit and those below it), period (month | quarter | year), member (a person's "
                        "id, members view). Organisers see the meetings they serve; others only their own line.")
def report_json(request, view: str):
    report = _report(request, view)
    return {"view": report.view, "own_only": report.own_only,
            "rows": [{k: _json(v) for k, v in row.items()} for row in report.rows],
            "totals": {k: _json(v) for k, v in report.totals.items()}}


@router.get("/{view}/export", response={200: None, **ERRORS}, summary="Statistics as an XLSX or PDF file")
def report_file(request, view: str, format: str = "xlsx"):
    if format not in FILES:
        raise Invalid(_("The file format must be xlsx or pdf."), field="format")
    report = _report(request, view)
    content_type, render = FILES[format]
    response = HttpResponse(render(report), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="thong-ke-{view}.{format}"'
    return response
