"""Socket origin check.

Browsers send ``Origin``; it must name one of ALLOWED_HOSTS, or a page elsewhere could ride the
person's session cookie into the meeting. Programs of other systems send no Origin and no cookie;
they authenticate with a bearer token, which another site cannot borrow, so they are let through.
"""

from __future__ import annotations

from channels.security.websocket import AllowedHostsOriginValidator


def _has_token(scope) -> bool:
    if b"token=" in scope.get("query_string", b""):
        return True
    return any(name == b"authorization" for name, _ in scope.get("headers", []))


def _has_origin(scope) -> bool:
    return any(name == b"origin" for name, _ in scope.get("headers", []))


class SocketOriginValidator:
    def __init__(self, inner):
        self.inner = inner
        self.checked = AllowedHostsOriginValidator(inner)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not _has_origin(scope) and _has_token(scope):
            return await self.inner(scope, receive, send)
        return await self.checked(scope, receive, send)
