"""Pages of the live room: the delegate's room and the chair's console.

The pages are shells: the state comes from the meeting socket (docs/protocol.md), so a page opened
late shows what the snapshot says. Access is checked as the socket checks it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from frontend.language import vietnamese_by_default
from meetings import permissions
from meetings.errors import NotFound
from meetings.models import LiveState, Meeting, Participant

# Strings the page scripts show, translated here and handed to them as JSON (see live/base.html).
STRINGS = {
    "connecting": _("Connecting…"),
    "reconnecting": _("Reconnecting…"),
    "closed_4401": _("Your session has ended. Please sign in again."),
    "closed_4403": _("You are not allowed to take part in this meeting."),
    "closed_4404": _("This meeting does not exist, or you may not see it."),
    "sign_in": _("Sign in"),
    "action_failed": _("The action could not be done."),
    "status_draft": _("Draft"),
    "status_published": _("Not started"),
    "status_in_progress": _("In progress"),
    "status_ended": _("Ended"),
    "status_archived": _("Archived"),
    "status_cancelled": _("Cancelled"),
    "attendance_in_person": _("Present in person"),
    "attendance_online": _("Present online"),
    "attendance_absent": _("Absent"),
    "attendance_not_yet": _("Not checked in"),
    "attendance_left": _("Left the meeting"),
    "floor_open": _("Requests to speak are open"),
    "floor_paused": _("Requests to speak are paused"),
    "floor_closed": _("Requests to speak are closed"),
    "kind_speak": _("Speech"),
    "kind_question": _("Question"),
    "no_item": _("No agenda item is under way."),
    "no_speaker": _("Nobody has the floor."),
    "queue_empty": _("Nobody is waiting."),
    "next_item": _("Next: %(title)s"),
    "presenter": _("Presenter: %(name)s"),
    "item_number": _("Item %(order)s"),
    "over_time": _("over time"),
    "quorum_reached": _("Quorum reached: %(present)s of %(members)s members present"),
    "quorum_missing": _("No quorum yet: %(present)s of %(members)s members present, %(required)s needed"),
    "quorum_none": _("No quorum required: %(present)s of %(members)s members present"),
    "queue_position": _("You are number %(position)s in the queue (%(kind)s)."),
    "not_in_queue": _("You have not asked to speak."),
    "you": _("you"),
    "connected_now": _("in the room now"),
    "limit_minutes": _("%(minutes)s min"),
    "no_limit": _("no limit"),
    "confirm_end_meeting": _("End the meeting for everyone?"),
    "give_floor": _("Give the floor"),
    "mark_absent": _("Mark absent"),
    "check_in_person": _("In person"),
    "check_in_online": _("Online"),
    "go_to_item": _("Go to this item"),
    "current": _("Current"),
    "role_chair": _("Chair"),
    "role_secretary": _("Secretary"),
    "role_delegate": _("Delegate"),
    "role_guest": _("Guest"),
    "role_site": _("Remote site"),
}


def _optional_url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _meeting_for(request: HttpRequest, meeting_id: int) -> tuple[Meeting, bool, Participant | None]:
    """The meeting, whether the person edits it, and their participation; 404 / 403 as the socket."""
    try:
        meeting = permissions.get_visible(request.user, meeting_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    editor = permissions.can_edit(request.user, meeting)
    participant = meeting.participants.filter(user=request.user).first()
    if not editor and participant is None:
        raise PermissionDenied
    return meeting, editor, participant


def _context(request: HttpRequest, meeting: Meeting, editor: bool, participant: Participant | None) -> dict:
    return {
        "meeting": meeting,
        "is_editor": editor,
        "participant": participant,
        "config": {
            "meeting_id": meeting.pk,
            "user_id": request.user.pk,
            "participant_id": participant.pk if participant else None,
            "is_editor": editor,
            "time_zone": settings.TIME_ZONE,
            "login_url": f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}",
        },
        "strings": {key: str(value) for key, value in STRINGS.items()},
        "room_url": reverse("live-room", args=[meeting.pk]),
        "console_url": reverse("live-console", args=[meeting.pk]) if editor else None,
        "detail_url": _optional_url("meeting-detail", meeting.pk),
    }


@vietnamese_by_default
@login_required
def room(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting, editor, participant = _meeting_for(request, meeting_id)
    return render(request, "live/room.html", _context(request, meeting, editor, participant))


@vietnamese_by_default
@login_required
def console(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting, editor, participant = _meeting_for(request, meeting_id)
    if not editor:
        raise PermissionDenied
    context = _context(request, meeting, editor, participant)
    context["attendance_csv_url"] = _optional_url("attendance-csv", meeting.pk)
    context["attendance_xlsx_url"] = _optional_url("attendance-xlsx", meeting.pk)
    context["quorum_rules"] = LiveState.QuorumRule.choices
    return render(request, "live/console.html", context)
