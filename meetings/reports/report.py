"""One report as the pages, the API and the exports show it: which view, over which meetings, for whom.

An organiser gets any view over the meetings they serve (``scope.organised_meetings``); anyone else gets
only their own line of the members' view, over the meetings they were invited to. Asking for more is
refused (403), never silently narrowed, so a page never passes off partial figures as the whole."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Unit, User
from meetings.consultation.services import visible as visible_consultations
from meetings.errors import Forbidden, Invalid
from meetings.reports import figures, scope, sums
from meetings.reports.figures import Filters

PAGE_SIZE = 50  # meetings a page; the totals count them all

VIEWS = {
    "meetings": gettext_lazy("By meeting"),
    "members": gettext_lazy("By member"),
    "units": gettext_lazy("By unit"),
    "kinds": gettext_lazy("By meeting kind"),
    "periods": gettext_lazy("By period"),
    "tasks": gettext_lazy("Follow-up tasks"),
}


@dataclass
class Report:
    view: str
    filters: Filters
    rows: list[dict[str, Any]]
    own_only: bool  # a member's own figures, not an organiser's report
    totals: dict[str, Any] = field(default_factory=dict)
    pager: Page | None = None  # the meetings view on the page: which of its pages the rows are


def parse_filters(params: dict[str, str]) -> Filters:
    """Filters from a query string, with a Vietnamese message naming the field that is wrong."""
    def day(name: str) -> dt.date | None:
        value = (params.get(name) or "").strip()
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise Invalid(_("The date is not valid (use YYYY-MM-DD)."), field=name) from None

    def number(name: str) -> int | None:
        value = (params.get(name) or "").strip()
        if not value:
            return None
        if not value.isdigit():
            raise Invalid(_("The data sent is not valid: field “%(field)s”.") % {"field": name}, field=name)
        return int(value)

    period = params.get("period") or "month"
    if period not in figures.PERIODS:
        raise Invalid(_("The period must be month, quarter or year."), field="period")
    unit_id = number("unit")
    unit_ids = None
    if unit_id is not None:
        unit = Unit.objects.filter(pk=unit_id).first()
        unit_ids = frozenset(unit.descendant_ids()) if unit else frozenset()
    date_from, date_to = day("from"), day("to")
    if date_from and date_to and date_to < date_from:
        raise Invalid(_("The end date is before the start date."), field="to")
    return Filters(date_from=date_from, date_to=date_to, kind_id=number("kind"), unit_ids=unit_ids, period=period)


def build(user: User, view: str, filters: Filters, member_id: int | None = None,
          page: str | int | None = None) -> Report:
    """``page``: the meetings view's rows a page at a time (``PAGE_SIZE``; the totals cover them all), for the
    statistics page; the API and the files have every row."""
    if view not in VIEWS:
        raise Invalid(_("There is no such report."), field="view")
    organiser = scope.is_organiser(user)
    if not organiser and (view != "members" or member_id not in (None, user.pk)):
        raise Forbidden(_("Only the meeting organisers see these statistics; you can see your own."))
    meetings = scope.organised_meetings(user) if organiser else scope.own_meetings(user)
    held = figures.finished(meetings, filters)
    consultations = visible_consultations(user)
    if view == "members":
        only = [member_id] if member_id else (None if organiser else [user.pk])
        rows = figures.member_rows(held, only, filters, consultations)
        return Report(view, filters, rows, own_only=not organiser)
    if view == "tasks":
        return Report(view, filters, figures.task_rows(meetings, filters), own_only=False)
    if view == "units":
        return Report(view, filters, figures.unit_rows(figures.member_rows(held, filters=filters,
                                                                                consultations=consultations)), own_only=False)
    if view == "kinds":
        rows = sums.kind_rows(held)
        return Report(view, filters, rows, own_only=False, totals=sums.add_up(rows))
    if view == "periods":
        rows = sums.period_rows(held, filters.period)
        return Report(view, filters, rows, own_only=False, totals=sums.add_up(rows))
    if page is None:
        rows = sums.meeting_rows(held)
        return Report(view, filters, rows, own_only=False, totals=sums.add_up(rows))
    totals = sums.totals(held)
    # A year of a province is about a thousand meetings: counting them all is one grouped query, listing them
    # all on a page was most of its time (and no one reads a thousand rows; the filters narrow the period).
    pager = Paginator(range(totals["meetings"]), PAGE_SIZE).get_page(page)
    first = (pager.number - 1) * PAGE_SIZE
    rows = sums.meeting_rows(held, slice(first, first + PAGE_SIZE))
    return Report(view, filters, rows, own_only=False, totals=totals, pager=pager)
