"""Socket authentication: a bearer token in the query string or header, or else the session cookie.

Tokens of sockets opening together are read in one query (``realtime.batching``): a mass reconnect
costs a round trip per batch, not per socket, and every answer comes from a read made after the socket
asked, so a revoked or expired token, or a deactivated person, is refused at once on every process
(nothing here is remembered between batches; docs/architecture.md, "Opening a socket").
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack

from accounts.models import ApiToken, User
from realtime.batching import batcher


def _users_for_tokens(raws: list[str]) -> list[User | None]:
    return ApiToken.authenticate_many(raws)


async def user_for_token(raw: str) -> User | None:
    return await batcher(_users_for_tokens).ask(raw)


def bearer(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value.lower().startswith(b"bearer "):
            return value[7:].decode("latin-1").strip() or None
    return (parse_qs(scope.get("query_string", b"").decode()).get("token") or [None])[0] or None


class TokenOrSessionAuthMiddleware:
    """A valid token decides who is connecting; without one (or with a bad one) the session does, as before.
    A token client skips the session's database work altogether."""

    def __init__(self, inner):
        self.inner = inner
        self.session = AuthMiddlewareStack(inner)

    async def __call__(self, scope, receive, send):
        raw = bearer(scope)
        if raw:
            user = await user_for_token(raw)
            if user is not None:
                return await self.inner(dict(scope, user=user), receive, send)
        return await self.session(scope, receive, send)
