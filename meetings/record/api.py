"""REST API for the meeting's record (docs/api.md, "Record"): the archive ZIP for the organisers."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router

from meetings.api.auth import AUTH, actor
from meetings.api.schemas import Error
from meetings.permissions import get_visible
from meetings.record import archive

router = Router(tags=["record"], auth=AUTH)


@router.get("/{int:meeting_id}/archive", response={200: None, 401: Error, 403: Error, 404: Error},
            summary="The meeting's whole record as a ZIP with a manifest of SHA-256 hashes (organisers)")
def meeting_archive(request, meeting_id: int):
    user = actor(request)
    meeting = get_visible(user, meeting_id)
    response = HttpResponse(archive.export(user, meeting), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="ho-so-cuoc-hop-{meeting.pk}.zip"'
    return response
