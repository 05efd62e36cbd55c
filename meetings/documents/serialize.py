"""Documents → JSON for the REST API and the pages. One place, so both agree."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accounts.models import User

from .access import Viewer, is_approver
from .models import Document, DocumentVersion, PrivateNote, ReadMark

V = DocumentVersion.Status


def _name(user: User | None) -> str | None:
    return user.get_full_name() if user is not None else None


def page_url(document_id: int, number: int, page: int, width: int | None = None) -> str:
    url = reverse("document-page", args=[document_id, number, page])
    return f"{url}?w={width}" if width else url


def version(v: DocumentVersion, *, full: bool = False) -> dict[str, Any]:
    data = {
        "number": v.number, "status": v.status, "reason": v.reason, "pages": v.pages, "title": v.title,
        "original_name": v.original_name, "converted_from": v.converted_from, "size": v.size,
        "has_javascript": v.has_javascript, "uploaded_by": _name(v.uploaded_by), "uploaded_at": v.uploaded_at,
        "decided_by": _name(v.approved_by), "decided_at": v.decided_at,
        "thumbnail_url": page_url(v.document_id, v.number, 1, 200),
    }
    if full:
        data["page_sizes"] = v.page_sizes
    return data


def document(d: Document, viewer: Viewer, *, full: bool = False) -> dict[str, Any]:
    """What a person may know of a document: organisers and preparers also see pending and returned
    versions and the access settings; readers the approved versions only."""
    manage = viewer.may_manage()
    prepare = viewer.may_prepare(d)
    versions = list(d.versions.select_related("uploaded_by", "approved_by").order_by("number"))
    if not prepare:
        versions = [v for v in versions if v.status == V.APPROVED]
    current = next((v for v in versions if v.pk == d.current_version_id), None)
    data: dict[str, Any] = {
        "id": d.pk, "meeting_id": d.meeting_id, "agenda_item_id": d.agenda_item_id, "title": d.title, "kind": d.kind,
        "kind_label": d.get_kind_display(), "order": d.order, "access": d.access, "access_label": d.get_access_display(),
        "classification": d.classification, "classification_label": d.get_classification_display(),
        "restricted": d.restricted, "available_from": d.available_from, "available_until": d.available_until,
        "recalled_at": d.revoked_at,
        "preparing_unit": {"id": d.preparing_unit_id, "name": str(d.preparing_unit)} if d.preparing_unit_id else None,
        "current_version": version(current, full=full) if current else None,
        "pending_versions": sum(1 for v in versions if v.status == V.PENDING),
        "can_manage": manage, "can_prepare": prepare,
        "can_approve": is_approver(viewer.user, viewer.meeting),
        "viewer_url": reverse("document-viewer", args=[d.pk]),
        "download_url": f"/api/v1/documents/{d.pk}/download",
    }
    data["versions"] = [version(v) for v in versions]
    if manage:
        data["allowed_participant_ids"] = sorted(p.pk for p in d.allowed_participants.all())
    if current is not None:
        mark = ReadMark.objects.filter(user=viewer.user, version=current).first()
        data["my_pages_seen"] = mark.pages_seen if mark else []
    return data


def note(n: PrivateNote) -> dict[str, Any]:
    rect = None if n.x is None else {"x": n.x, "y": n.y, "w": n.w, "h": n.h}
    return {"id": n.pk, "document_id": n.document_id, "page": n.page, "text": n.text, "rect": rect,
            "created_at": n.created_at, "updated_at": n.updated_at}
