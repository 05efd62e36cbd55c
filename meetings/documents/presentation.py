"""Synchronized presentation (trình chiếu) on the meeting socket.

Commands (docs/protocol.md): ``present.start {document_id, page}`` and ``present.designate
{participant_id | null}`` by the chair or the secretary; ``present.page {page}`` by the designated
presenter (or the chair or the secretary); ``present.stop {}`` by any of them. Each change is one
``present.changed`` event in the meeting's log, whose data is the whole "presentation" state section:

    {"document_id": 12, "version": 2, "page": 5, "presenter_participant_id": 7}

(``document_id`` null: nothing is shown; ``presenter_participant_id`` null: the organisers present).
Followers' viewers show that page; a reader who browses away keeps receiving the events and rejoins
with one tap. The state carries ids only: each client fetches what it may see through the REST API,
so a restricted document's title or pages never reach someone it is not for.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.models import User
from meetings.errors import Forbidden, Invalid, NotFound
from meetings.models import Meeting
from meetings.services import events

from .models import Document, Presentation

EMPTY = {"document_id": None, "version": None, "page": None, "presenter_participant_id": None}
ACTIVE_STATUSES = ("published", "in_progress")


def presentation_data(p: Presentation | None) -> dict[str, Any]:
    if p is None:
        return dict(EMPTY)
    return {"document_id": p.document_id, "version": p.version, "page": p.page,
            "presenter_participant_id": p.presenter_participant_id}


def section(meeting: Meeting) -> dict[str, Any]:
    """The snapshot's "presentation" section."""
    return presentation_data(Presentation.objects.filter(meeting=meeting).first())


def reduce(state: dict[str, Any], kind: str, data: dict[str, Any]) -> None:
    """realtime.reducer for the "present" prefix (mirrored in frontend/static/documents/presentation.js)."""
    if kind == "present.changed":
        state["presentation"] = {key: data.get(key) for key in EMPTY}


def register() -> None:
    from meetings.services import live
    from realtime import reducer, snapshot

    snapshot.SECTIONS["presentation"] = section
    reducer.REDUCERS["present"] = reduce
    reducer.INITIAL["presentation"] = dict(EMPTY)
    for name, handler in COMMANDS.items():
        if name not in live.COMMANDS:
            live.command(name)(handler)


# Commands (run inside live.execute's transaction, the meeting row locked) --------------------------

def _row(meeting: Meeting) -> Presentation:
    return Presentation.objects.get_or_create(meeting=meeting)[0]


def _emit(meeting: Meeting, p: Presentation, actor: User | None) -> None:
    p.save()
    events.record(meeting, "present.changed", presentation_data(p), actor)


def _need_status(meeting: Meeting) -> None:
    if meeting.status not in ACTIVE_STATUSES:
        raise Invalid(_("A presentation needs a published meeting or a meeting in progress."), "bad_status")


def _is_organiser(ctx) -> bool:
    return ctx.is_chair or ctx.is_secretary


def _need_organiser(ctx) -> None:
    if not _is_organiser(ctx):
        raise Forbidden(_("Only the chair or the secretary of the meeting can do this."))


def _page_arg(args: dict[str, Any]) -> int:
    page = args.get("page", 1)
    if not isinstance(page, int) or isinstance(page, bool) or page < 1:
        raise Invalid(_("“%(name)s” must be a whole number.") % {"name": "page"}, "bad_args", field="page")
    return page


def _check_page(page: int, pages: int) -> None:
    if page > pages:
        raise Invalid(_("The document has %(pages)d pages.") % {"pages": pages}, "bad_args", field="page")


def present_start(ctx, args: dict[str, Any]) -> None:
    _need_organiser(ctx)
    _need_status(ctx.meeting)
    document_id = args.get("document_id")
    if not isinstance(document_id, int) or isinstance(document_id, bool):
        raise Invalid(_("“%(name)s” must be a whole number.") % {"name": "document_id"}, "bad_args",
                      field="document_id")
    page = _page_arg(args)
    document = Document.objects.select_related("current_version").filter(pk=document_id, meeting=ctx.meeting).first()
    if document is None:
        raise NotFound(_("This document is not in the meeting."))
    if document.current_version is None or document.revoked_at is not None:
        raise Invalid(_("Only an approved document that has not been recalled can be presented."), "not_presentable")
    _check_page(page, document.current_version.pages)
    p = _row(ctx.meeting)
    if (p.document_id, p.version, p.page) == (document.pk, document.current_version.number, page):
        return
    p.document_id, p.version, p.page = document.pk, document.current_version.number, page
    _emit(ctx.meeting, p, ctx.user)


def present_page(ctx, args: dict[str, Any]) -> None:
    _need_status(ctx.meeting)
    page = _page_arg(args)
    p = Presentation.objects.filter(meeting=ctx.meeting).first()
    presenter = ctx.participant is not None and p is not None and p.presenter_participant_id == ctx.participant.pk
    if not (presenter or _is_organiser(ctx)):
        raise Forbidden(_("Only the presenter can turn the pages."))
    if p is None or p.document_id is None:
        raise Invalid(_("Nothing is being presented."), "not_presenting")
    document = Document.objects.filter(pk=p.document_id).first()
    version = document.versions.filter(number=p.version).first() if document else None
    if version is None:
        raise Invalid(_("Nothing is being presented."), "not_presenting")
    _check_page(page, version.pages)
    if p.page == page:
        return
    p.page = page
    _emit(ctx.meeting, p, ctx.user)


def present_stop(ctx, args: dict[str, Any]) -> None:
    p = Presentation.objects.filter(meeting=ctx.meeting).first()
    presenter = ctx.participant is not None and p is not None and p.presenter_participant_id == ctx.participant.pk
    if not (presenter or _is_organiser(ctx)):
        raise Forbidden(_("Only the presenter can stop the presentation."))
    if p is None or p.document_id is None:
        return
    p.document_id = p.version = p.page = None
    _emit(ctx.meeting, p, ctx.user)


def present_designate(ctx, args: dict[str, Any]) -> None:
    _need_organiser(ctx)
    _need_status(ctx.meeting)
    pid = args.get("participant_id")
    if pid is not None:
        if not isinstance(pid, int) or isinstance(pid, bool):
            raise Invalid(_("“%(name)s” must be a whole number.") % {"name": "participant_id"}, "bad_args",
                          field="participant_id")
        if not ctx.meeting.participants.filter(pk=pid).exists():
            raise NotFound(_("This participant is not in the meeting."))
    p = _row(ctx.meeting)
    if p.presenter_participant_id == pid:
        return
    p.presenter_participant_id = pid
    _emit(ctx.meeting, p, ctx.user)


COMMANDS = {
    "present.start": present_start,
    "present.page": present_page,
    "present.stop": present_stop,
    "present.designate": present_designate,
}


def stop_if_showing(meeting: Meeting, document_id: int, actor: User | None) -> None:
    """A recalled document leaves the screen at once (called inside the recalling transaction)."""
    p = Presentation.objects.filter(meeting=meeting, document_id=document_id).first()
    if p is not None:
        p.document_id = p.version = p.page = None
        _emit(meeting, p, actor)
