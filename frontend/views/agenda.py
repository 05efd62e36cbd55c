"""The agenda (chương trình họp): add, edit, delete, move up and down."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from frontend.forms import AgendaItemForm
from frontend.views.common import attempt, editable_meeting, post_only, visible_meeting
from frontend.views.meeting import render_detail
from meetings.services import agenda


def _values(form: AgendaItemForm) -> dict:
    values = dict(form.cleaned_data)
    values["title"] = values["title"].strip()
    return values


def _to_agenda(meeting):
    response = redirect("meeting-detail", meeting.pk)
    response["Location"] += "#agenda"
    return response


@login_required
@post_only("meeting-detail")
def add(request, meeting_id: int):
    meeting = visible_meeting(request, meeting_id)
    form = AgendaItemForm(request.POST, prefix="agenda")
    if form.is_valid() and attempt(request, lambda: agenda.add_item(request.user, meeting, **_values(form)),
                                   _("The agenda item has been added."), form):
        return _to_agenda(meeting)
    return render_detail(request, meeting, agenda_form=form)


@login_required
def edit(request, meeting_id: int, item_id: int):
    meeting = editable_meeting(request, meeting_id)
    item = meeting.agenda_items.filter(pk=item_id).first()
    if item is None:
        raise Http404
    if request.method == "POST":
        form = AgendaItemForm(request.POST)
        if form.is_valid() and attempt(request, lambda: agenda.update_item(
                request.user, meeting, item.pk, **_values(form)), _("The agenda item has been saved."), form):
            return _to_agenda(meeting)
    else:
        form = AgendaItemForm(initial={
            "title": item.title, "presenter": item.presenter_id, "presenter_name": item.presenter_name,
            "planned_minutes": item.planned_minutes, "description": item.description,
        })
    return render(request, "frontend/agenda_item_form.html", {"meeting": meeting, "item": item, "form": form})


@login_required
@post_only("meeting-detail")
def delete(request, meeting_id: int, item_id: int):
    meeting = visible_meeting(request, meeting_id)
    attempt(request, lambda: agenda.delete_item(request.user, meeting, item_id),
            _("The agenda item has been deleted."))
    return _to_agenda(meeting)


@login_required
@post_only("meeting-detail")
def move(request, meeting_id: int, item_id: int):
    meeting = visible_meeting(request, meeting_id)
    delta = -1 if request.POST.get("direction") == "up" else 1
    attempt(request, lambda: agenda.move_item(request.user, meeting, item_id, delta),
            _("The agenda order has been changed."))
    return _to_agenda(meeting)
