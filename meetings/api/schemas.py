"""Request and response shapes of the REST API."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class ErrorBody(Schema):
    code: str
    message: str
    field: str | None = None


class Error(Schema):
    error: ErrorBody


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""


class UnitOut(Schema):
    id: int
    name: str
    code: str
    kind: str
    parent_id: int | None
    is_remote_site: bool


class PersonOut(Schema):
    id: int
    username: str
    full_name: str
    unit_id: int | None
    position: str
    role: str
    phone: str | None = None  # organisers only (accounts/directory.py); null for everyone else
    email: str | None = None


class TokenOut(Schema):
    token: str  # shown once: only its hash is stored
    id: int
    expires_at: dt.datetime
    user: PersonOut


class TokenInfo(Schema):
    """One of the caller's tokens, without its key."""

    id: int
    name: str
    prefix: str  # the key's first 8 characters, to recognise it
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None  # the day only: the start of the day of the last use (local time)
    expired: bool
    current: bool  # the token this request was sent with


class AgendaItemOut(Schema):
    id: int
    order: int
    title: str
    presenter_id: int | None
    presenter_name: str
    planned_minutes: int
    description: str


class AgendaItemIn(Schema):
    title: str = Field(..., min_length=1, max_length=500)
    presenter_id: int | None = None
    presenter_name: str = ""
    planned_minutes: int = 15
    description: str = ""


class AgendaItemPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=500)
    presenter_id: int | None = None
    presenter_name: str | None = None
    planned_minutes: int | None = None
    description: str | None = None


class ReorderIn(Schema):
    ids: list[int]


class ParticipantOut(Schema):
    id: int
    user_id: int
    full_name: str
    unit: str | None
    position: str
    role: str
    can_vote: bool
    site_id: int | None
    rsvp: str
    rsvp_reason: str
    rsvp_at: dt.datetime | None
    substitute_for_id: int | None
    proxy_to_id: int | None
    invited_at: dt.datetime | None


class ParticipantIn(Schema):
    user_id: int
    role: str = "delegate"
    can_vote: bool | None = None
    site_id: int | None = None


class ParticipantPatch(Schema):
    role: str | None = None
    can_vote: bool | None = None
    site_id: int | None = None


class RsvpIn(Schema):
    answer: str = Field(..., description="confirmed | declined | substituted | proxy")
    reason: str = ""
    substitute_id: int | None = None
    proxy_to: int | None = Field(None, description="participant id that holds the proxy")


class MeetingIn(Schema):
    title: str = Field(..., min_length=1, max_length=500)
    start: dt.datetime
    end: dt.datetime
    kind_id: int | None = None
    description: str = ""
    host_unit_id: int | None = None
    chair_id: int | None = None
    secretary_id: int | None = None
    room_id: int | None = None
    location: str = ""
    format: str = "in_person"
    remote_site_ids: list[int] = []
    classification: str = "none"
    urgent: bool = False
    preparation: str = ""
    contact: str = ""


class MeetingPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=500)
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    kind_id: int | None = None
    description: str | None = None
    host_unit_id: int | None = None
    chair_id: int | None = None
    secretary_id: int | None = None
    room_id: int | None = None
    location: str | None = None
    format: str | None = None
    remote_site_ids: list[int] | None = None
    classification: str | None = None
    urgent: bool | None = None
    preparation: str | None = None
    contact: str | None = None


class MeetingSummary(Schema):
    id: int
    title: str
    status: str
    start: dt.datetime
    end: dt.datetime
    host_unit_id: int
    host_unit: str
    place: str
    format: str
    urgent: bool
    classification: str
    url: str


class MeetingOut(MeetingSummary):
    kind: str | None
    description: str
    chair_id: int | None
    chair: str | None
    secretary_id: int | None
    secretary: str | None
    room_id: int | None
    location: str
    remote_site_ids: list[int]
    preparation: str
    contact: str
    cancel_reason: str
    published_at: dt.datetime | None
    can_edit: bool
    my_participation: ParticipantOut | None
    agenda: list[AgendaItemOut]
    participants: list[ParticipantOut]


class CancelIn(Schema):
    reason: str


class StatusIn(Schema):
    status: str = Field(..., description="in_progress | ended | archived")


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    meeting_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None
