"""{% documents_panel %}: the documents section of the meeting page; {% room_documents %}: the live room's list."""

from __future__ import annotations

from django import template
from django.conf import settings

from accounts.models import Unit
from meetings.documents import strings
from meetings.documents.access import Viewer, is_approver
from meetings.documents.models import Document
from meetings.models import Meeting
from meetings.pdf import limits as pdf_limits

register = template.Library()


@register.inclusion_tag("documents/panel.html", takes_context=True)
def documents_panel(context) -> dict:
    request = context["request"]
    meeting: Meeting = context["meeting"]
    viewer = Viewer.of(request.user, meeting)
    manage = viewer.organiser
    config = {
        "meeting_id": meeting.pk,
        "status": meeting.status,
        "can_manage": manage,
        "can_approve": is_approver(request.user, meeting),
        "has_book": manage or viewer.reader,
        "time_zone": settings.TIME_ZONE,
        "max_bytes": pdf_limits.current().max_bytes,
        "agenda": [{"id": i.pk, "order": i.order, "title": i.title} for i in meeting.agenda_items.order_by("order")],
    }
    if manage:
        config.update({
            "participants": [{"id": p.pk, "name": p.user.get_full_name(), "unit": str(p.user.unit or "")}
                             for p in meeting.participants.select_related("user", "user__unit").order_by("id")],
            "kinds": [[value, str(label)] for value, label in Document.Kind.choices],
            "access_levels": [[value, str(label)] for value, label in Document.Access.choices
                              if value != Document.Access.CLASSIFIED or settings.PHONGHOP_ALLOW_CLASSIFIED],
            "classifications": [[value, str(label)] for value, label in Meeting.Classification.choices
                                if value != Meeting.Classification.NONE],
            "allow_classified": settings.PHONGHOP_ALLOW_CLASSIFIED,
            "units": [{"id": u.pk, "name": u.name} for u in Unit.objects.order_by("order", "name")[:2000]],
        })
    return {"meeting": meeting, "can_manage": manage, "config": config, "strings": strings.panel(),
            "has_book": config["has_book"], "request": request}


@register.inclusion_tag("documents/room_list.html", takes_context=True)
def room_documents(context) -> dict:
    meeting: Meeting = context["meeting"]
    return {"meeting": meeting, "config": {"meeting_id": meeting.pk}, "strings": strings.room()}
