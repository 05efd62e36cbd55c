"""Tokens, the caller, units, people, notifications, and the pulls other systems make."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from accounts import directory
from accounts import services as accounts_services
from accounts.models import ApiToken, Unit, User
from meetings.api.auth import AUTH, actor
from meetings.api.schemas import (
    Error,
    MeetingSummary,
    NotificationOut,
    PersonOut,
    TokenIn,
    TokenInfo,
    TokenOut,
    UnitOut,
)
from meetings.api.serialize import meeting_summary, person
from meetings.errors import Forbidden, Invalid
from meetings.models import Notification
from meetings.permissions import admin_unit_ids
from meetings.queries import search_meetings
from meetings.services import notifications as notifications_service

router = Router(tags=["directory"])


@router.post("/auth/token", response={200: TokenOut, 401: Error, 429: Error}, auth=None,
             summary="Exchange a user name and password for a bearer token")
def issue_token(request, payload: TokenIn):
    request.login_via = "api"  # the login log says which door was used
    user = accounts_services.sign_in(request, payload.username, payload.password)
    token, raw = accounts_services.issue_token(request, user, payload.name or "api")
    return {"token": raw, "id": token.pk, "expires_at": token.expires_at, "user": person(user)}


@router.delete("/auth/token", response={204: None, 400: Error, 401: Error}, auth=AUTH,
               summary="Revoke the token this request is sent with")
def revoke_current_token(request):
    token = getattr(request, "api_token", None)
    if token is None:
        raise Invalid(_("This request was not sent with an API token."), "no_token")
    accounts_services.revoke_token(actor(request), token)
    return Status(204, None)


@router.get("/auth/tokens", response=list[TokenInfo], auth=AUTH, summary="The caller's API tokens (never their keys)")
def list_tokens(request):
    current = getattr(request, "api_token", None)
    return [token_info(t, current) for t in ApiToken.objects.filter(user=actor(request)).order_by("-created_at", "-pk")]


@router.delete("/auth/tokens/{int:token_id}", response={204: None, 401: Error, 404: Error}, auth=AUTH,
               summary="Revoke one of the caller's tokens")
def revoke_token(request, token_id: int):
    accounts_services.revoke_own_token(actor(request), token_id)
    return Status(204, None)


def token_info(token: ApiToken, current: ApiToken | None) -> dict:
    return {"id": token.pk, "name": token.name, "prefix": token.prefix, "created_at": token.created_at,
            "expires_at": token.expires_at, "last_used_at": token.last_used_at, "expired": token.expired,
            "current": current is not None and current.pk == token.pk}


@router.get("/me", response=PersonOut, auth=AUTH)
def me(request):
    return person(actor(request), contacts=True)  # one's own contact details


@router.get("/units", response=list[UnitOut], auth=AUTH)
def units(request):
    return list(Unit.objects.all())


@router.get("/people", response=list[PersonOut], auth=AUTH,
            summary="People directory: whom the caller may see (accounts/directory.py); contacts for organisers")
def people(request, q: str = "", unit_id: int | None = None, limit: int = 50):
    viewer = actor(request)
    qs = directory.visible_people(viewer).select_related("unit").order_by("full_name", "pk")
    if q:
        qs = qs.filter(Q(full_name__icontains=q) | Q(username__icontains=q))
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    contacts = directory.sees_contacts(viewer)
    return [person(u, contacts=contacts) for u in qs[: max(1, min(limit, 500))]]


def page(qs, limit: int, offset: int):
    """One page of a list: at most 500 rows, never a negative slice."""
    offset = max(0, offset)
    return qs[offset: offset + max(1, min(limit, 500))]


def parse_when(when: str) -> str:
    """The calendar window a caller asks for ("past" is the API's word for finished meetings)."""
    if when not in ("upcoming", "past", "ongoing", "finished"):
        raise Invalid(_("“when” must be upcoming, ongoing or past."), field="when")
    return "finished" if when == "past" else when


_when = parse_when


@router.get("/units/{int:unit_id}/meetings", response=list[MeetingSummary], auth=AUTH, summary="Meetings hosted by a unit")
def unit_meetings(request, unit_id: int, when: str = "upcoming", limit: int = 100, offset: int = 0):
    get_object_or_404(Unit, pk=unit_id)
    qs = search_meetings(actor(request), when=_when(when), host_unit=unit_id)
    return [meeting_summary(m) for m in page(qs, limit, offset)]


@router.get("/people/{int:user_id}/meetings", response=list[MeetingSummary], auth=AUTH, summary="Meetings a person takes part in")
def person_meetings(request, user_id: int, when: str = "upcoming", limit: int = 100, offset: int = 0):
    user = actor(request)
    target = get_object_or_404(User, pk=user_id)
    if target.pk != user.pk and not (user.is_system_admin or target.unit_id in admin_unit_ids(user)):
        raise Forbidden(_("You may only list your own meetings."))
    qs = search_meetings(user, when=_when(when), person=target)
    return [meeting_summary(m) for m in page(qs, limit, offset)]


@router.get("/notifications", response=list[NotificationOut], auth=AUTH)
def notifications(request, unread: bool = False, limit: int = 50):
    qs = Notification.objects.filter(user=actor(request))
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return list(qs[: max(1, min(limit, 500))])


@router.post("/notifications/{int:notification_id}/read", response=NotificationOut, auth=AUTH)
def mark_read(request, notification_id: int):
    return notifications_service.read_one(actor(request), notification_id)
