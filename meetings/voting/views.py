"""The hall screen (màn hình hội trường): the open vote, then its announced result, in large type for the
projector. A live page like the room: the state comes from the meeting socket."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url

from frontend.language import vietnamese_by_default
from meetings import permissions
from meetings.errors import NotFound
from meetings.voting.strings import strings
from realtime.views import STRINGS


@vietnamese_by_default
@login_required
def screen(request: HttpRequest, meeting_id: int) -> HttpResponse:
    try:
        meeting = permissions.get_visible(request.user, meeting_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    editor = permissions.can_edit(request.user, meeting)
    participant = meeting.participants.filter(user=request.user).first()
    if not editor and participant is None:
        raise PermissionDenied
    return render(request, "voting/screen.html", {
        "meeting": meeting,
        "config": {
            "meeting_id": meeting.pk, "user_id": request.user.pk,
            "participant_id": participant.pk if participant else None, "is_editor": editor,
            "time_zone": settings.TIME_ZONE,
            "login_url": f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}",
        },
        "strings": {key: str(value) for key, value in STRINGS.items()},
        "vote_config": {"meeting_id": meeting.pk, "api": f"/api/v1/meetings/{meeting.pk}/votes",
                        "item": request.GET.get("item")},
        "vote_strings": strings(),
    })
