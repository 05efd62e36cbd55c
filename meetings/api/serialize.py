"""Model → API dicts. One place, so the REST API, pages' JSON and socket snapshots agree."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from meetings.models import AgendaItem, Meeting, Participant
from meetings.permissions import can_edit
from meetings.services.invitations import meeting_url


def person(user: User, contacts: bool = False) -> dict[str, Any]:
    """A person as the API shows them; phone and e-mail only when ``contacts`` (accounts/directory.py)."""
    return {
        "id": user.pk, "username": user.username, "full_name": user.get_full_name(), "unit_id": user.unit_id,
        "position": user.position, "role": user.role,
        "phone": (user.phone or "") if contacts else None, "email": (user.email or "") if contacts else None,
    }


def meeting_summary(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.pk, "title": m.title, "status": m.status, "start": m.start, "end": m.end,
        "host_unit_id": m.host_unit_id, "host_unit": str(m.host_unit), "place": m.place, "format": m.format,
        "urgent": m.urgent, "classification": m.classification, "url": meeting_url(m),
    }


def agenda_item(i: AgendaItem) -> dict[str, Any]:
    return {
        "id": i.pk, "order": i.order, "title": i.title, "presenter_id": i.presenter_id,
        "presenter_name": i.presenter_display, "planned_minutes": i.planned_minutes, "description": i.description,
    }


def participant(p: Participant) -> dict[str, Any]:
    return {
        "id": p.pk, "user_id": p.user_id, "full_name": p.user.get_full_name(),
        "unit": str(p.user.unit) if p.user.unit_id else None, "position": p.user.position, "role": p.role,
        "can_vote": p.can_vote, "site_id": p.site_id, "rsvp": p.rsvp, "rsvp_reason": p.rsvp_reason,
        "rsvp_at": p.rsvp_at, "substitute_for_id": p.substitute_for_id, "proxy_to_id": p.proxy_to_id,
        "invited_at": p.invited_at,
    }


def participants_of(m: Meeting) -> list[Participant]:
    return list(m.participants.select_related("user", "user__unit").order_by("id"))


def meeting_detail(m: Meeting, viewer: User) -> dict[str, Any]:
    people = participants_of(m)
    editor = can_edit(viewer, m)
    mine = next((p for p in people if p.user_id == viewer.pk), None)
    data = meeting_summary(m) | {
        "kind": str(m.kind) if m.kind_id else None, "description": m.description,
        "chair_id": m.chair_id, "chair": str(m.chair) if m.chair_id else None,
        "secretary_id": m.secretary_id, "secretary": str(m.secretary) if m.secretary_id else None,
        "room_id": m.room_id, "location": m.location,
        "remote_site_ids": list(m.remote_sites.values_list("pk", flat=True)),
        "preparation": m.preparation, "contact": m.contact, "cancel_reason": m.cancel_reason,
        "published_at": m.published_at, "can_edit": editor,
        "my_participation": participant(mine) if mine else None,
        "agenda": [agenda_item(i) for i in m.agenda_items.select_related("presenter").order_by("order")],
        "participants": [_private(participant(p), editor or p.user_id == viewer.pk) for p in people],
    }
    return data


def _private(row: dict[str, Any], may_see_reason: bool) -> dict[str, Any]:
    # Reasons for absence are for the person and the meeting's organisers, not for every delegate.
    if not may_see_reason:
        row["rsvp_reason"] = ""
    return row
