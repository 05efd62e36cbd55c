"""Bearer tokens beside Django's session (with CSRF) for the REST API."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from accounts.models import ApiToken, User


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = ApiToken.authenticate(token)
        if user is not None:
            request.user = user
        return user


AUTH = [TokenAuth(), SessionAuth()]


def actor(request: HttpRequest) -> User:
    return request.auth if isinstance(request.auth, User) else request.user
