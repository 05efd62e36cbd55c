"""What a ``media`` frame from a page must hold, checked the same way for both media servers (the aiortc
one, media/server.py, and Janus's, media/janus/backend.py): each reader returns the value or raises a
``MediaError`` whose Vietnamese message goes back to the page."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from media.room import MediaError, SessionInfo

MAX_SDP = 60_000


def sdp(frame: dict[str, Any], kind: str = "offer") -> str:
    """The SDP of an ``offer`` (or a subscriber's ``answer``): a string, not empty, not oversized."""
    text = frame.get("sdp")
    if not isinstance(text, str) or not text or len(text) > MAX_SDP:
        raise MediaError("bad_message", _("An answer needs its SDP.") if kind == "answer" else _("An offer needs its SDP."))
    return text


def view(frame: dict[str, Any]) -> list[int]:
    """The sites an offer's page shows first (optional)."""
    sites = frame.get("view") or []
    if not isinstance(sites, list) or not all(isinstance(s, int) for s in sites):
        raise MediaError("bad_message", _("“view” must be a list of site ids."))
    return sites


def sites(frame: dict[str, Any]) -> list[int]:
    """The sites of a ``view`` frame (the page's grid changed)."""
    value = frame.get("sites")
    if not isinstance(value, list) or not all(isinstance(s, int) for s in value):
        raise MediaError("bad_message", _("“sites” must be a list of site ids."))
    return value


def check_controls(info: SessionInfo) -> None:
    """Mute, spotlight and record belong to the chair and the secretary."""
    if not info.controls:
        raise MediaError("forbidden", _("Only the chair or the secretary can do this."))


def site(args: dict[str, Any], required: bool = False) -> int | None:
    """The site a control names (``required``: mute must name one; spotlight without one clears it)."""
    value = args.get("site")
    if value is not None and not isinstance(value, int):
        raise MediaError("bad_message", _("“site” must be a site id."))
    if required and value is None:
        raise MediaError("bad_message", _("Which site?"))
    return value


def unknown() -> MediaError:
    return MediaError("bad_message", _("Unknown media action."))


def no_briefing() -> MediaError:
    return MediaError("no_session", _("The briefing has not started."))
