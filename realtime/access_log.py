"""Daphne's access log without query strings (issue 17).

Daphne writes each request's full URI to its access log (``daphne.access.AccessLogGenerator``), query
string included, with the time and the client's address: whatever a client puts after ``?`` (a socket's
``?token=``, an old client's ``?code=`` receipt check) would sit in the server log beside the moment it was
sent. The path alone is kept. Installed by ``config/asgi.py`` in every server process, however Daphne was
started (``phonghop start`` or ``daphne`` itself): the class is patched, so the logger Daphne's command
line has already made uses it too.
"""

from __future__ import annotations

from typing import Any

_installed = False


def without_query(path: Any) -> Any:
    """``/a/b?x=1`` → ``/a/b`` (and ``#...`` fragments, which clients should not send, likewise)."""
    if not isinstance(path, str):
        return path
    return path.split("?", 1)[0].split("#", 1)[0]


def install() -> bool:
    """Patch Daphne's access log in this process (idempotent). False when Daphne is not installed."""
    global _installed
    if _installed:
        return True
    try:
        from daphne.access import AccessLogGenerator
    except ImportError:  # pragma: no cover - Daphne is a dependency
        return False
    original = AccessLogGenerator.__call__

    def __call__(self, protocol: str, action: str, details: dict[str, Any]) -> None:  # noqa: N807 - the patched name
        if "path" in details:
            details = {**details, "path": without_query(details["path"])}
        original(self, protocol, action, details)

    AccessLogGenerator.__call__ = __call__
    _installed = True
    return True
