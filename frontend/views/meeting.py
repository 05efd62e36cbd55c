"""One meeting: its page, the create and edit form, publishing, cancelling, status, .ics."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Unit
from accounts.roles import CREATE_MEETING
from frontend.forms import (
    AgendaItemForm,
    CancelForm,
    MeetingForm,
    ParticipantAddForm,
    RsvpForm,
)
from frontend.views.common import (
    attempt,
    editable_meeting,
    in_site_language,
    post_only,
    show_error,
    visible_meeting,
)
from meetings.errors import ServiceError
from meetings.ics import meeting_calendar
from meetings.models import Meeting, Participant
from meetings.permissions import admin_unit_ids, can_edit
from meetings.services import meetings as meeting_services
from meetings.services.meetings import ALLOWED_TRANSITIONS, EDITABLE_STATUSES

S = Meeting.Status
# The buttons for the plain status changes (publishing and cancelling have their own forms).
STATUS_ACTIONS = {
    S.IN_PROGRESS: gettext_lazy("Start the meeting"),
    S.ENDED: gettext_lazy("End the meeting"),
    S.ARCHIVED: gettext_lazy("Archive"),
}
STATUS_DONE = {
    S.IN_PROGRESS: gettext_lazy("The meeting has started."),
    S.ENDED: gettext_lazy("The meeting has ended."),
    S.ARCHIVED: gettext_lazy("The meeting has been archived."),
}


def host_units_for(user, meeting: Meeting | None = None):
    """Units the person may host a meeting in (and the meeting's current unit, when editing)."""
    if user.is_system_admin:
        qs = Unit.objects.all()
    elif user.role == "unit_admin":
        qs = Unit.objects.filter(pk__in=admin_unit_ids(user))
    else:
        qs = Unit.objects.filter(pk=user.unit_id)
    if meeting is not None:
        qs = qs | Unit.objects.filter(pk=meeting.host_unit_id)
    return qs.distinct()


def _participants(meeting: Meeting) -> list[Participant]:
    return list(
        meeting.participants.select_related(
            "user", "user__unit", "site", "substitute_for__user", "proxy_to__user"
        ).order_by("id")
    )


def detail_context(request, meeting: Meeting, **forms) -> dict:
    user = request.user
    editor = can_edit(user, meeting)
    editable = editor and meeting.status in EDITABLE_STATUSES
    people = _participants(meeting)
    mine = next((p for p in people if p.user_id == user.pk), None)
    allowed = ALLOWED_TRANSITIONS.get(meeting.status, set())
    agenda = list(meeting.agenda_items.select_related("presenter").order_by("order"))
    context = {
        "meeting": meeting,
        "editor": editor,
        "editable": editable,
        "agenda": agenda,
        "agenda_minutes": sum(item.planned_minutes for item in agenda),
        "participants": people,
        "remote_sites": list(meeting.remote_sites.all()),
        "mine": mine,
        "answers": {
            key: sum(1 for p in people if p.rsvp == key) for key in Participant.Rsvp.values
        },
        "can_publish": editor and S.PUBLISHED in allowed,
        "can_cancel": editor and S.CANCELLED in allowed,
        "status_actions": [(s, STATUS_ACTIONS[s]) for s in (S.IN_PROGRESS, S.ENDED, S.ARCHIVED)
                           if editor and s in allowed],
        "can_answer": mine is not None and meeting.status in (S.PUBLISHED, S.IN_PROGRESS),
        # The live room (realtime app) opens to participants and editors once the meeting is announced.
        "live_room": (mine is not None or editor) and meeting.status in (S.PUBLISHED, S.IN_PROGRESS),
        "live_console": editor and meeting.status in (S.PUBLISHED, S.IN_PROGRESS),
    }
    if context["can_publish"]:
        context["publish_problem"] = meeting_services.notice_problem(meeting)
    if editable:
        context["agenda_form"] = forms.get("agenda_form") or AgendaItemForm(prefix="agenda")
        context["participant_form"] = forms.get("participant_form") or ParticipantAddForm(
            prefix="participant", meeting=meeting)
    if context["can_cancel"]:
        context["cancel_form"] = forms.get("cancel_form") or CancelForm(prefix="cancel")
    if context["can_answer"]:
        initial = {"answer": mine.rsvp, "reason": mine.rsvp_reason, "proxy_to": mine.proxy_to_id} \
            if mine.rsvp != Participant.Rsvp.PENDING else {}
        context["rsvp_form"] = forms.get("rsvp_form") or RsvpForm(
            prefix="rsvp", meeting=meeting, me=mine, initial=initial)
    return context


def render_detail(request, meeting: Meeting, status: int = 200, **forms):
    return render(request, "frontend/meeting_detail.html", detail_context(request, meeting, **forms),
                  status=status)


@login_required
def detail(request, meeting_id: int):
    return render_detail(request, visible_meeting(request, meeting_id))


@login_required
def create(request):
    user = request.user
    if not user.can(CREATE_MEETING):
        raise PermissionDenied
    units = host_units_for(user)
    if request.method == "POST":
        form = MeetingForm(request.POST, host_units=units)
        if form.is_valid():
            values, sites = form.service_values()
            try:
                meeting = meeting_services.create_meeting(user, remote_sites=sites, **values)
            except ServiceError as error:
                show_error(request, error, form)
            else:
                messages.success(request, _("The meeting has been created as a draft. Add the agenda and the "
                                            "participants, then publish the invitation."))
                return redirect("meeting-detail", meeting.pk)
    else:
        form = MeetingForm(host_units=units, initial={
            "host_unit": user.unit_id if units.filter(pk=user.unit_id).exists() else None,
            "secretary": user.pk if user.role == "secretary" else None,
        })
    return render(request, "frontend/meeting_form.html", {"form": form, "meeting": None})


@login_required
def edit(request, meeting_id: int):
    meeting = editable_meeting(request, meeting_id)
    if meeting.status not in EDITABLE_STATUSES:
        messages.error(request, _("A meeting that has ended or was cancelled can no longer be changed."))
        return redirect("meeting-detail", meeting.pk)
    units = host_units_for(request.user, meeting)
    if request.method == "POST":
        form = MeetingForm(request.POST, host_units=units)
        if form.is_valid():
            values, sites = form.service_values()
            if set(sites) == set(meeting.remote_sites.values_list("pk", flat=True)):
                sites = None  # unchanged: update_meeting would log an update for any list it is given
            try:
                in_site_language(meeting_services.update_meeting, request.user, meeting, remote_sites=sites,
                                 **values)
            except ServiceError as error:
                show_error(request, error, form)
            else:
                if meeting.status == S.DRAFT:
                    messages.success(request, _("The changes have been saved."))
                else:
                    messages.success(request, _("The changes have been saved. Participants are told when the "
                                                "time or place changes."))
                return redirect("meeting-detail", meeting.pk)
    else:
        form = MeetingForm(host_units=units, initial=MeetingForm.initial_from(meeting))
    return render(request, "frontend/meeting_form.html", {"form": form, "meeting": meeting})


@login_required
@post_only("meeting-detail")
def publish(request, meeting_id: int):
    meeting = visible_meeting(request, meeting_id)
    attempt(request, lambda: in_site_language(meeting_services.publish_meeting, request.user, meeting),
            _("The invitation has been published and sent to the participants."))
    return redirect("meeting-detail", meeting.pk)


@login_required
@post_only("meeting-detail")
def cancel(request, meeting_id: int):
    meeting = visible_meeting(request, meeting_id)
    form = CancelForm(request.POST, prefix="cancel")
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    if attempt(request, lambda: in_site_language(meeting_services.cancel_meeting, request.user, meeting, reason),
               _("The meeting has been cancelled."), form):
        return redirect("meeting-detail", meeting.pk)
    return render_detail(request, meeting, cancel_form=form)


@login_required
@post_only("meeting-detail")
def change_status(request, meeting_id: int):
    meeting = visible_meeting(request, meeting_id)
    target = request.POST.get("status", "")
    attempt(request, lambda: meeting_services.change_status(request.user, meeting, target),
            str(STATUS_DONE.get(target, _("The status has been changed."))))
    return redirect("meeting-detail", meeting.pk)


@login_required
def ics(request, meeting_id: int):
    meeting = visible_meeting(request, meeting_id)
    response = HttpResponse(meeting_calendar([meeting], method="PUBLISH").to_ical(),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cuochop-{meeting.pk}.ics"'
    return response
