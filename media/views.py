"""The briefing page: a shell around the meeting socket and one peer connection (frontend/static/briefing/).

Who may open it is who may open the meeting socket (participants, organisers, the meeting's site
operators); the media itself is checked again on the socket (media/signaling.py).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontend.language import vietnamese_by_default
from media.backend import uses_janus
from meetings.errors import Forbidden, NotFound
from meetings.models import Meeting
from meetings.services import live
from meetings.textsearch import sort_key

# Strings the page script shows, translated here and handed to it as JSON.
STRINGS = {
    "connecting": _("Connecting…"),
    "reconnecting": _("Reconnecting…"),
    "closed_4401": _("Your session has ended. Please sign in again."),
    "closed_4403": _("You are not allowed to take part in this meeting."),
    "closed_4404": _("This meeting does not exist, or you may not see it."),
    "sign_in": _("Sign in"),
    "status_draft": _("Draft"),
    "status_published": _("Not started"),
    "status_in_progress": _("In progress"),
    "status_ended": _("Ended"),
    "status_archived": _("Archived"),
    "status_cancelled": _("Cancelled"),
    "media_connecting": _("Connecting the video…"),
    "media_online": _("Video connected"),
    "media_lost": _("The video connection was lost; reconnecting…"),
    "media_closed": _("The briefing has ended."),
    "replaced": _("Another screen now sends this site's camera and microphone."),
    "no_devices": _("No camera or microphone could be opened: you can still watch and listen."),
    "mic_off": _("Mute my microphone"),
    "mic_on": _("Unmute my microphone"),
    "camera_off": _("Turn my camera off"),
    "camera_on": _("Turn my camera on"),
    "share_screen": _("Share my screen"),
    "stop_screen": _("Stop sharing my screen"),
    "shared_screen": _("Shared screen"),
    "you": _("You"),
    "speaking": _("Speaking"),
    "spotlight": _("Spotlight"),
    "end_spotlight": _("End the spotlight"),
    "mute_site": _("Mute"),
    "unmute_site": _("Unmute"),
    "muted_by_chair": _("Muted by the chair"),
    "main_site": _("Main hall"),
    "chair_here": _("Chair"),
    "not_shown": _("Not shown on this page"),
    "no_video": _("No video"),
    "page": _("Page %(page)s of %(pages)s"),
    "quality": _("%(kbps)s kbit/s · loss %(loss)s · %(rtt)s ms"),
    "quality_unknown": _("no figures yet"),
    "quality_janus": _("%(up)s packets lost on the way in · %(down)s on the way out"),
    "quality_loss": _("%(frames)s frames lost · %(freezes)s freezes"),
    "recording": _("Recording"),
    "start_recording": _("Start recording"),
    "stop_recording": _("Stop recording"),
    "action_failed": _("The action could not be done."),
    "weak_down": _("Weak link: this site now receives only the chair and the speaker."),
    "weak_up": _("Weak link: this site's camera sends a lighter picture."),
    "quality_cap": _("camera capped at %(kbps)s kbit/s"),
    "quality_videos": _("receives %(videos)s videos"),
    "state_video": _("In the video"),
    "state_weak": _("Weak link"),
    "state_online": _("Connected, not in the video"),
    "state_offline": _("Not connected"),
    "roster_summary": _("%(video)s in the video · %(online)s connected · %(total)s sites"),
    "roster_empty": _("No site matches."),
    "show_site": _("Show %(name)s in the grid"),
}


@vietnamese_by_default
@login_required
def briefing(request: HttpRequest, meeting_id: int) -> HttpResponse:
    access = _allowed(request, meeting_id)
    meeting = Meeting.objects.select_related("host_unit").get(pk=meeting_id)
    roles = set(access.roles)
    at_remote_site = access.site_id is not None and access.site_id != meeting.host_unit_id
    return render(request, "briefing/briefing.html", {
        "meeting": meeting,
        "config": {
            "meeting_id": meeting.pk,
            "user_id": request.user.pk,
            "participant_id": access.participant_id,
            "is_editor": access.editor,
            "time_zone": settings.TIME_ZONE,
            "login_url": f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}",
        },
        "briefing": {
            "ice_servers": settings.PHONGHOP_ICE_SERVERS,
            # "janus": two peer connections, Janus offering what the page receives (briefing.js).
            "backend": "janus" if uses_janus() else "sfu",
            "codec": settings.PHONGHOP_MEDIA_VIDEO_CODEC,
            "max_videos": settings.PHONGHOP_MEDIA_MAX_VIDEOS,
            "max_audio": settings.PHONGHOP_MEDIA_MAX_AUDIO,
            "site": access.site_id or meeting.host_unit_id,
            "main_site": meeting.host_unit_id,
            # The screens that speak for a site send by default: its operator, the chair in the hall, a
            # delegate at a remote site. A delegate's tablet in the hall only watches unless ticked.
            "publish_default": bool(roles & {"site_operator", "chair"}) or at_remote_site,
            "controls": bool(roles & {"chair", "secretary"}),
            # The chair's and secretary's list of every site the meeting expects, connected or not:
            # a province briefs 60–170 communes and the chair must see which are missing.
            "roster": _roster(meeting) if roles & {"chair", "secretary"} else [],
        },
        "strings": {key: str(value) for key, value in STRINGS.items()},
        "room_url": reverse("live-room", args=[meeting.pk]) if access.participant_id or access.editor else None,
        "recordings_url": reverse("briefing-recordings", args=[meeting.pk]),
    })


def _roster(meeting: Meeting) -> list[dict[str, object]]:
    """The main site first, then the meeting's remote sites in Vietnamese dictionary order (Đ after D)."""
    sites = sorted(meeting.remote_sites.exclude(pk=meeting.host_unit_id).values_list("pk", "name"),
                   key=lambda row: sort_key(row[1]))
    main = [(meeting.host_unit_id, meeting.host_unit.name)] if meeting.host_unit_id else []
    return [{"site": pk, "name": name} for pk, name in [*main, *sites]]


PLAYABLE = frozenset({".webm", ".mkv", ".opus"})  # ours (media/recording.py) and Janus's, converted


def _recordings_dir(meeting_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "recordings" / str(meeting_id)


def _allowed(request: HttpRequest, meeting_id: int) -> live.Access:
    try:
        return live.socket_access(request.user, meeting_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except Forbidden as exc:
        raise PermissionDenied from exc


@vietnamese_by_default
@login_required
def recordings(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The meeting's recordings, newest first, each playable in the page."""
    _allowed(request, meeting_id)
    meeting = Meeting.objects.get(pk=meeting_id)
    folder = _recordings_dir(meeting_id)
    files = sorted((f for f in folder.glob("*.*") if f.suffix in PLAYABLE and not f.name.startswith(".")),
                   reverse=True) if folder.is_dir() else []
    rows = [{"name": f.name, "size_mb": round(f.stat().st_size / 1e6, 1), "audio": f.suffix == ".opus",
             "url": reverse("briefing-recording", args=[meeting_id, f.name])} for f in files]
    return render(request, "briefing/recordings.html", {
        "meeting": meeting, "recordings": rows, "briefing_url": reverse("briefing", args=[meeting_id])})


@login_required
def recording_file(request: HttpRequest, meeting_id: int, name: str) -> FileResponse:
    _allowed(request, meeting_id)
    path = _recordings_dir(meeting_id) / name
    if "/" in name or name.startswith(".") or path.suffix not in PLAYABLE or not path.is_file():
        raise Http404
    content_type = {".webm": "video/webm", ".opus": "audio/ogg"}.get(path.suffix, "video/x-matroska")
    return FileResponse(path.open("rb"), content_type=content_type)
