"""Socket authentication: the session cookie, or a bearer token in the query string or header."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async

from accounts.models import ApiToken


@database_sync_to_async
def _user_for_token(raw: str):
    return ApiToken.authenticate(raw)


class _TokenMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        raw = None
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value.lower().startswith(b"bearer "):
                raw = value[7:].decode("latin-1").strip()
        if raw is None:
            raw = (parse_qs(scope.get("query_string", b"").decode()).get("token") or [None])[0]
        if raw:
            user = await _user_for_token(raw)
            if user is not None:
                scope = dict(scope, user=user)
        return await self.inner(scope, receive, send)


def TokenOrSessionAuthMiddleware(inner):  # noqa: N802 - mirrors Channels' AuthMiddlewareStack
    # Session first; a valid token then overrides the anonymous user it leaves.
    return AuthMiddlewareStack(_TokenMiddleware(inner))
