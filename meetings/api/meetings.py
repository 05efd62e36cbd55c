"""Meetings, agenda items, participants and answers. Every write goes through a service."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.utils import timezone
from ninja import Router
from ninja.responses import Status

from meetings.api.auth import AUTH, actor
from meetings.api.directory import page, parse_when
from meetings.api.schemas import (
    AgendaItemIn,
    AgendaItemOut,
    AgendaItemPatch,
    CancelIn,
    Error,
    MeetingIn,
    MeetingOut,
    MeetingPatch,
    MeetingSummary,
    ParticipantIn,
    ParticipantOut,
    ParticipantPatch,
    ReorderIn,
    RsvpIn,
    StatusIn,
)
from meetings.api.serialize import agenda_item, meeting_detail, meeting_summary, participant
from meetings.ics import meeting_calendar
from meetings.permissions import get_visible
from meetings.queries import search_meetings
from meetings.services import agenda, participants
from meetings.services import meetings as meeting_services

router = Router(tags=["meetings"], auth=AUTH)
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _meeting_values(payload: MeetingIn | MeetingPatch, partial: bool) -> tuple[dict, list[int] | None]:
    data = payload.dict(exclude_unset=partial)
    sites = data.pop("remote_site_ids", None)
    values = {}
    for key, value in data.items():
        name = key[:-3] if key.endswith("_id") else key
        if name in ("start", "end"):
            value = _aware(value)
        values[name] = value
    return values, sites


@router.get("", response=list[MeetingSummary], summary="Meetings the caller may see; calendar and search")
def list_meetings(
    request, when: str | None = None, status: str | None = None, q: str | None = None,
    start_from: dt.date | None = None, start_to: dt.date | None = None, host_unit_id: int | None = None,
    mine: bool = False, limit: int = 100, offset: int = 0,
):
    qs = search_meetings(
        actor(request), when=parse_when(when) if when else None, status=status, text=q, start_from=start_from,
        start_to=start_to, host_unit=host_unit_id, mine=mine,
    )
    return [meeting_summary(m) for m in page(qs, limit, offset)]


@router.post("", response={201: MeetingOut, **ERRORS})
def create_meeting(request, payload: MeetingIn):
    user = actor(request)
    values, sites = _meeting_values(payload, partial=False)
    if values.get("host_unit") is None:
        values.pop("host_unit")
    meeting = meeting_services.create_meeting(user, remote_sites=sites, **values)
    return Status(201, meeting_detail(meeting, user))


@router.get("/{int:meeting_id}", response={200: MeetingOut, **ERRORS})
def read_meeting(request, meeting_id: int):
    user = actor(request)
    return meeting_detail(get_visible(user, meeting_id), user)


@router.patch("/{int:meeting_id}", response={200: MeetingOut, **ERRORS})
def update_meeting(request, meeting_id: int, payload: MeetingPatch):
    user = actor(request)
    values, sites = _meeting_values(payload, partial=True)
    meeting = meeting_services.update_meeting(user, get_visible(user, meeting_id), remote_sites=sites, **values)
    return meeting_detail(meeting, user)


@router.post("/{int:meeting_id}/publish", response={200: MeetingOut, **ERRORS}, summary="Publish and send invitations")
def publish(request, meeting_id: int):
    user = actor(request)
    return meeting_detail(meeting_services.publish_meeting(user, get_visible(user, meeting_id)), user)


@router.post("/{int:meeting_id}/cancel", response={200: MeetingOut, **ERRORS}, summary="Cancel and notify participants")
def cancel(request, meeting_id: int, payload: CancelIn):
    user = actor(request)
    return meeting_detail(meeting_services.cancel_meeting(user, get_visible(user, meeting_id), payload.reason), user)


@router.post("/{int:meeting_id}/status", response={200: MeetingOut, **ERRORS}, summary="Start, end or archive")
def set_status(request, meeting_id: int, payload: StatusIn):
    user = actor(request)
    return meeting_detail(meeting_services.change_status(user, get_visible(user, meeting_id), payload.status), user)


@router.get("/{int:meeting_id}/invitation.ics", response={200: None, **ERRORS}, summary="The meeting as iCalendar")
def invitation_ics(request, meeting_id: int):
    meeting = get_visible(actor(request), meeting_id)
    return HttpResponse(meeting_calendar([meeting], method="PUBLISH").to_ical(), content_type="text/calendar; charset=utf-8")


# Agenda ------------------------------------------------------------------------------------------

@router.get("/{int:meeting_id}/agenda", response={200: list[AgendaItemOut], **ERRORS})
def list_agenda(request, meeting_id: int):
    meeting = get_visible(actor(request), meeting_id)
    return [agenda_item(i) for i in meeting.agenda_items.select_related("presenter").order_by("order")]


def _item_values(payload: AgendaItemIn | AgendaItemPatch, partial: bool) -> dict:
    data = payload.dict(exclude_unset=partial)
    if "presenter_id" in data:
        data["presenter"] = data.pop("presenter_id")
    return {k: v for k, v in data.items() if v is not None or k == "presenter"}


@router.post("/{int:meeting_id}/agenda", response={201: AgendaItemOut, **ERRORS})
def add_agenda_item(request, meeting_id: int, payload: AgendaItemIn):
    user = actor(request)
    item = agenda.add_item(user, get_visible(user, meeting_id), **_item_values(payload, partial=False))
    return Status(201, agenda_item(item))


@router.patch("/{int:meeting_id}/agenda/{int:item_id}", response={200: AgendaItemOut, **ERRORS})
def update_agenda_item(request, meeting_id: int, item_id: int, payload: AgendaItemPatch):
    user = actor(request)
    item = agenda.update_item(user, get_visible(user, meeting_id), item_id, **_item_values(payload, partial=True))
    return agenda_item(item)


@router.delete("/{int:meeting_id}/agenda/{int:item_id}", response={204: None, **ERRORS})
def delete_agenda_item(request, meeting_id: int, item_id: int):
    user = actor(request)
    agenda.delete_item(user, get_visible(user, meeting_id), item_id)
    return Status(204, None)


@router.post("/{int:meeting_id}/agenda/reorder", response={200: list[AgendaItemOut], **ERRORS})
def reorder_agenda(request, meeting_id: int, payload: ReorderIn):
    user = actor(request)
    return [agenda_item(i) for i in agenda.reorder(user, get_visible(user, meeting_id), payload.ids)]


# Participants ------------------------------------------------------------------------------------

@router.get("/{int:meeting_id}/participants", response={200: list[ParticipantOut], **ERRORS})
def list_participants(request, meeting_id: int):
    user = actor(request)
    meeting = get_visible(user, meeting_id)
    return meeting_detail(meeting, user)["participants"]


@router.post("/{int:meeting_id}/participants", response={201: ParticipantOut, **ERRORS})
def add_participant(request, meeting_id: int, payload: ParticipantIn):
    user = actor(request)
    p = participants.add_participant(
        user, get_visible(user, meeting_id), payload.user_id, role=payload.role, can_vote=payload.can_vote,
        site=payload.site_id,
    )
    return Status(201, participant(p))


@router.patch("/{int:meeting_id}/participants/{int:participant_id}", response={200: ParticipantOut, **ERRORS})
def update_participant(request, meeting_id: int, participant_id: int, payload: ParticipantPatch):
    user = actor(request)
    values = payload.dict(exclude_unset=True)
    if "site_id" in values:
        values["site"] = values.pop("site_id")
    p = participants.update_participant(user, get_visible(user, meeting_id), participant_id, **values)
    return participant(p)


@router.delete("/{int:meeting_id}/participants/{int:participant_id}", response={204: None, **ERRORS})
def remove_participant(request, meeting_id: int, participant_id: int):
    user = actor(request)
    participants.remove_participant(user, get_visible(user, meeting_id), participant_id)
    return Status(204, None)


@router.post("/{int:meeting_id}/rsvp", response={200: ParticipantOut, **ERRORS}, summary="The caller's answer to the invitation")
def rsvp(request, meeting_id: int, payload: RsvpIn):
    user = actor(request)
    p = participants.respond(
        user, get_visible(user, meeting_id), answer=payload.answer, reason=payload.reason,
        substitute=payload.substitute_id, proxy_to=payload.proxy_to,
    )
    return participant(p)


