"""Calendars and search: the personal calendar (home), the unit's calendar, the meeting search."""

from __future__ import annotations

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit
from frontend.forms import CalendarFilterForm, SearchForm
from meetings.formatting import local
from meetings.queries import search_meetings

TABS = [("upcoming", _("Upcoming")), ("ongoing", _("In session")), ("finished", _("Finished"))]
PAGE_SIZE = 30


def _tab(request) -> str:
    when = request.GET.get("when", "upcoming")
    return when if when in dict(TABS) else "upcoming"


def _days(meetings) -> list[tuple]:
    """[(day, [meetings of that day]), ...] in the order given."""
    return [(day, list(group)) for day, group in groupby(meetings, key=lambda m: local(m.start).date())]


def _calendar(request, *, template: str, title, unit: Unit | None, **query):
    when = _tab(request)
    form = CalendarFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    if unit is not None:
        form.fields.pop("host_unit")
        filters = {k: v for k, v in filters.items() if k != "host_unit"}
    qs = search_meetings(
        request.user, when=when, start_from=filters.get("start_from"), start_to=filters.get("start_to"),
        host_unit=unit.pk if unit else (filters["host_unit"].pk if filters.get("host_unit") else None), **query,
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    tab_params = params.copy()
    tab_params.pop("when", None)
    return render(request, template, {
        "title": title, "unit": unit, "tabs": TABS, "when": when, "form": form, "page": page,
        "days": _days(page.object_list), "query": params.urlencode(), "tab_query": tab_params.urlencode(),
    })


@login_required
def home(request):
    """My calendar: the meetings I chair, prepare or am invited to."""
    return _calendar(request, template="frontend/calendar.html", title=_("My meeting calendar"), unit=None,
                     mine=True)


@login_required
def unit_calendar(request):
    """Meetings hosted by my unit."""
    unit = request.user.unit
    if unit is None:
        return render(request, "frontend/calendar.html", {"title": _("Unit meeting calendar"), "no_unit": True})
    return _calendar(request, template="frontend/calendar.html", title=_("Meeting calendar of %(unit)s")
                     % {"unit": unit}, unit=unit)


@login_required
def search(request):
    form = SearchForm(request.GET or None)
    page = None
    if form.is_valid():
        data = form.cleaned_data
        qs = search_meetings(
            request.user, status=data["status"] or None, text=data["q"] or None,
            start_from=data["start_from"], start_to=data["start_to"],
            host_unit=data["host_unit"].pk if data["host_unit"] else None,
        )
    else:
        qs = search_meetings(request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "frontend/search.html", {"form": form, "page": page, "query": params.urlencode()})
