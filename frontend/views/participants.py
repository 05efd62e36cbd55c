"""Participants (thành phần dự họp) and each invitee's answer to the invitation."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from frontend.forms import ParticipantAddForm, ParticipantEditForm, RsvpForm
from frontend.views.common import (
    attempt,
    editable_meeting,
    in_site_language,
    post_only,
    visible_meeting,
)
from frontend.views.meeting import render_detail
from meetings.models import Participant
from meetings.services import participants

RSVP_DONE = {
    Participant.Rsvp.CONFIRMED: gettext_lazy("Your attendance is confirmed."),
    Participant.Rsvp.DECLINED: gettext_lazy("Your absence has been reported to the organisers."),
    Participant.Rsvp.SUBSTITUTED: gettext_lazy("The person attending in your place has been invited."),
    Participant.Rsvp.PROXY: gettext_lazy("Your proxy has been recorded."),
}


def _to_participants(meeting):
    response = redirect("meeting-detail", meeting.pk)
    response["Location"] += "#participants"
    return response


@login_required
@post_only("meeting-detail")
def add(request, meeting_id: int):
    meeting = visible_meeting(request, meeting_id)
    form = ParticipantAddForm(request.POST, prefix="participant", meeting=meeting)
    if form.is_valid():
        data = form.cleaned_data
        if attempt(request, lambda: in_site_language(
                participants.add_participant, request.user, meeting, data["user"], role=data["role"],
                can_vote=data["can_vote"], site=data["site"]), _("The participant has been added."), form):
            return _to_participants(meeting)
    return render_detail(request, meeting, participant_form=form)


@login_required
def edit(request, meeting_id: int, participant_id: int):
    meeting = editable_meeting(request, meeting_id)
    p = meeting.participants.select_related("user", "user__unit").filter(pk=participant_id).first()
    if p is None:
        raise Http404
    if request.method == "POST":
        form = ParticipantEditForm(request.POST)
        if form.is_valid() and attempt(request, lambda: participants.update_participant(
                request.user, meeting, p.pk, **form.cleaned_data), _("The participant has been saved."),
                form):
            return _to_participants(meeting)
    else:
        form = ParticipantEditForm(initial={"role": p.role, "can_vote": p.can_vote, "site": p.site_id})
    return render(request, "frontend/participant_form.html", {"meeting": meeting, "p": p, "form": form})


@login_required
@post_only("meeting-detail")
def remove(request, meeting_id: int, participant_id: int):
    meeting = visible_meeting(request, meeting_id)
    attempt(request, lambda: participants.remove_participant(request.user, meeting, participant_id),
            _("The participant has been removed."))
    return _to_participants(meeting)


@login_required
@post_only("meeting-detail")
def answer(request, meeting_id: int):
    meeting = visible_meeting(request, meeting_id)
    me = meeting.participants.filter(user=request.user).first()
    if me is None:
        raise Http404
    form = RsvpForm(request.POST, prefix="rsvp", meeting=meeting, me=me)
    if form.is_valid():
        data = form.cleaned_data
        answer = data["answer"]
        if attempt(request, lambda: in_site_language(
                participants.respond, request.user, meeting, answer=answer, reason=data["reason"],
                substitute=data["substitute"] if answer == Participant.Rsvp.SUBSTITUTED else None,
                proxy_to=data.get("proxy_to") if answer == Participant.Rsvp.PROXY else None),
                str(RSVP_DONE[answer]), form):
            return redirect("meeting-detail", meeting.pk)
    return render_detail(request, meeting, rsvp_form=form)
