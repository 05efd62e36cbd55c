"""Bearer tokens beside Django's session (with CSRF) for the REST API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from accounts.models import ApiToken, User
from meetings.errors import Forbidden, Unauthenticated


class TokenAuth(HttpBearer):
    """``Authorization: Bearer ph_...``. An expired token is told so (401 ``token_expired``); an unknown
    or revoked one is simply not signed in. The token itself is kept on ``request.api_token``."""

    def authenticate(self, request: HttpRequest, key: str) -> User | None:
        token = ApiToken.find(key)
        if token is None or not token.user.is_active:
            return None
        if token.expired:
            raise Unauthenticated(_("This API token has expired. Ask for a new one with your user name and password."),
                                  "token_expired")
        token.touch()
        request.user = token.user
        request.api_token = token
        return token.user


class SessionCsrfAuth(SessionAuth):
    """The browser's session. Unsafe methods need the CSRF token; without a session the caller is
    simply not signed in (401), whatever the method."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise Forbidden(_("The security token of the form is missing or expired. Reload the page and try again."),
                            "csrf_failed")
        return request.user


AUTH = [TokenAuth(), SessionCsrfAuth()]


def actor(request: HttpRequest) -> User:
    return request.auth if isinstance(request.auth, User) else request.user
