"""Pages and page images of meeting documents.

``page_image`` is a plain async Django view (session cookie, or ``Authorization: Bearer`` for programs):
the access check runs in Django's sync thread, rendering (the render pool) and watermarking (Pillow)
in worker threads. An unrestricted page is the same bytes for everyone who may see it: ETag and
``Cache-Control: private, max-age=31536000, immutable`` (a version's page never changes), so a second
visit costs nothing. A restricted page is drawn for each request with the viewer's name, unit and time
and is never stored: ``no-store``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import ApiToken
from frontend.language import vietnamese_by_default
from meetings.errors import NotFound, ServiceError
from meetings.pdf import render as pdf_render

from . import access, search, serialize, strings, watermark

IMMUTABLE = "private, max-age=31536000, immutable"


def _error(status: int, code: str, message) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": str(message)}}, status=status)


async def _user(request: HttpRequest):
    user = await request.auser()
    if user.is_authenticated:
        return user
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return await sync_to_async(ApiToken.authenticate)(header[7:].strip())
    return None


@dataclass(frozen=True)
class _Page:
    sha256: str
    label: str | None  # the watermark, for a restricted document


def _page_info(user, document_id: int, number: int, page: int) -> _Page:
    version, _viewer = access.readable_version(user, document_id, number)
    if not 1 <= page <= version.pages:
        raise NotFound(_("This page does not exist."), "no_such_page")
    label = watermark.label_for(user) if version.document.restricted else None
    return _Page(version.sha256, label)


async def page_image(request: HttpRequest, document_id: int, number: int, page: int) -> HttpResponse:
    try:
        width = int(request.GET.get("w", pdf_render.WIDTHS["tablet"]))
    except ValueError:
        width = 0
    if width not in pdf_render.WIDTHS.values():
        return _error(400, "bad_width", _("Unknown image width."))
    user = await _user(request)
    if user is None:
        return _error(401, "unauthenticated", _("Please sign in or send a valid API token."))
    try:
        info = await sync_to_async(_page_info)(user, document_id, number, page)
        etag = f'"{info.sha256[:24]}-{page}-{width}"'
        if info.label is None and etag in request.headers.get("If-None-Match", ""):
            return HttpResponse(status=304, headers={"ETag": etag, "Cache-Control": IMMUTABLE})
        path = await sync_to_async(pdf_render.page_image, thread_sensitive=False)(info.sha256, page, width)
        if info.label is not None:
            data = await sync_to_async(watermark.image, thread_sensitive=False)(path, info.label)
            return HttpResponse(data, content_type="image/jpeg",
                                headers={"Cache-Control": "private, no-store", "X-Watermarked": "1"})
        data = await sync_to_async(path.read_bytes, thread_sensitive=False)()
    except ServiceError as exc:
        return _error(exc.status, exc.code, exc.message)
    return HttpResponse(data, content_type="image/jpeg", headers={"ETag": etag, "Cache-Control": IMMUTABLE})


def _config(request: HttpRequest, document, viewer, data: dict) -> dict:
    meeting = viewer.meeting
    live = meeting.status in ("published", "in_progress") and (viewer.organiser or viewer.reader)
    return {
        "document": data,
        "meeting_id": meeting.pk,
        "meeting_title": meeting.title,
        "meeting_url": reverse("meeting-detail", args=[meeting.pk]),
        "room_url": reverse("live-room", args=[meeting.pk]) if live else None,
        "user_id": request.user.pk,
        "participant_id": viewer.participant.pk if viewer.participant else None,
        "is_organiser": viewer.organiser,
        "can_present": request.user.pk in (meeting.chair_id, meeting.secretary_id),
        "live": live,
        "time_zone": settings.TIME_ZONE,
        "widths": pdf_render.WIDTHS,
        "page_url": reverse("document-page", args=[document.pk, 999999, 888888]),
        "login_url": f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}",
    }


@vietnamese_by_default
@login_required
def viewer(request: HttpRequest, document_id: int) -> HttpResponse:
    try:
        document, person = access.document_for(request.user, document_id)
    except NotFound:
        return render(request, "documents/unavailable.html", {"message": _("This document does not exist, or you "
                                                                             "may not see it.")}, status=404)
    refusal = person.refusal(document)
    if refusal is not None:
        return render(request, "documents/unavailable.html", {"message": refusal.message, "meeting": person.meeting},
                      status=403)
    data = serialize.document(document, person, full=True)
    if data["current_version"] is None and data["versions"]:
        latest = document.versions.order_by("-number").first()
        data["current_version"] = serialize.version(latest, full=True)
    return render(request, "documents/viewer.html", {
        "document": document, "meeting": person.meeting,
        "config": _config(request, document, person, json.loads(json.dumps(data, default=str))),
        "strings": strings.viewer(),
    })


@vietnamese_by_default
@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    results = search.everywhere(request.user, q) if q else []
    return render(request, "documents/search.html", {"q": q, "results": results})
