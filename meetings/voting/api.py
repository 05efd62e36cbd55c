"""REST API for votes (docs/api.md, "Votes"): prepare and run them, one's own state, the organisers'
live tally, results, the published receipts of secret ballots, and exports; casting a ballot
(``POST /votes/{id}/ballots``, rest_cast.py). Every write goes through ``meetings.voting.services``; a
ballot goes through ``services.cast``, the same service as the socket's ``vote.cast``."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema
from ninja.responses import Status

from meetings import permissions
from meetings.api.auth import AUTH, actor
from meetings.api.schemas import Error
from meetings.errors import Forbidden, Invalid, NotFound
from meetings.models import Meeting
from meetings.voting import exports, rest_cast, services
from meetings.voting.live_state import for_members
from meetings.voting.models import VotingItem

router = Router(tags=["votes"], auth=AUTH)
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
V = VotingItem.Status


class RuleIn(Schema):
    threshold: str = "more_than_half"  # more_than_half | two_thirds | custom
    fraction: str | None = None  # custom: "3/5"
    comparison: str = "more_than"  # custom: more_than | at_least
    denominator: str = "members"  # members | present | cast
    quorum: str = "majority"  # majority | two_thirds | none
    abstentions: str = "count"  # count | exclude


class VoteIn(Schema):
    question: str
    preset: str = "approval"  # approval | consultation | confidence | election | custom | custom_motion
    options: list[str] = []
    max_choices: int | None = None
    seats: int | None = None
    allow_blank: bool = True
    secret: bool = False
    rule: RuleIn = RuleIn()
    allow_change: bool = False
    duration: int = Field(0, description="seconds to vote, 0: until closed; at the limit the vote closes by itself")
    publish_on_close: bool = Field(False, description="announce the result as soon as the vote closes, by the chair "
                                                     "or at its time limit")
    agenda_item_id: int | None = None
    noun: str = "đại biểu"


class ExtendIn(Schema):
    seconds: int


def _meeting(request, meeting_id: int) -> tuple[Meeting, bool]:
    user = actor(request)
    meeting = permissions.get_visible(user, meeting_id)
    return meeting, permissions.can_edit(user, meeting)


def _visible_item(meeting: Meeting, editor: bool, item_id: int) -> VotingItem:
    item = VotingItem.objects.filter(meeting=meeting, pk=item_id).first()
    if item is None or (item.status == V.PREPARED and not editor):
        raise NotFound(_("This vote does not exist in this meeting."))
    return item


def _shown(item: VotingItem, editor: bool) -> dict[str, Any]:
    data = services.item_data(item)
    return data if editor else for_members(data)


def _with_result(item: VotingItem, editor: bool) -> VotingItem:
    if item.status == V.PUBLISHED or (editor and item.status == V.CLOSED):
        return item
    if editor:
        raise Invalid(_("The vote has not been closed yet."), f"vote_{item.status}")
    raise Forbidden(_("The result has not been announced yet."), "not_published")


@router.get("/{meeting_id}/votes", summary="The meeting's votes (delegates: not the prepared ones)")
def list_votes(request, meeting_id: int):
    meeting, editor = _meeting(request, meeting_id)
    items = VotingItem.objects.filter(meeting=meeting).order_by("id")
    return [_shown(i, editor) for i in items if editor or i.status != V.PREPARED]


@router.post("/{meeting_id}/votes", response={201: dict, **ERRORS}, summary="Prepare a vote")
def prepare_vote(request, meeting_id: int, payload: VoteIn):
    meeting, _editor = _meeting(request, meeting_id)
    item = services.prepare(actor(request), meeting, payload.dict())
    return Status(201, services.item_data(item))


@router.get("/{meeting_id}/votes/{item_id}", response={200: dict, **ERRORS})
def get_vote(request, meeting_id: int, item_id: int):
    meeting, editor = _meeting(request, meeting_id)
    return _shown(_visible_item(meeting, editor, item_id), editor)


@router.put("/{meeting_id}/votes/{item_id}", response={200: dict, **ERRORS}, summary="Change a prepared vote")
def edit_vote(request, meeting_id: int, item_id: int, payload: VoteIn):
    meeting, _editor = _meeting(request, meeting_id)
    return services.item_data(services.edit(actor(request), meeting, item_id, payload.dict()))


@router.delete("/{meeting_id}/votes/{item_id}", response={204: None, **ERRORS}, summary="Delete a prepared vote")
def delete_vote(request, meeting_id: int, item_id: int):
    meeting, _editor = _meeting(request, meeting_id)
    services.delete(actor(request), meeting, item_id)
    return Status(204, None)


@router.post("/{meeting_id}/votes/{item_id}/open", response={200: dict, **ERRORS})
def open_vote(request, meeting_id: int, item_id: int):
    meeting, _editor = _meeting(request, meeting_id)
    return services.item_data(services.open_vote(actor(request), meeting, item_id))


@router.post("/{meeting_id}/votes/{item_id}/extend", response={200: dict, **ERRORS})
def extend_vote(request, meeting_id: int, item_id: int, payload: ExtendIn):
    meeting, _editor = _meeting(request, meeting_id)
    return services.item_data(services.extend(actor(request), meeting, item_id, payload.seconds))


@router.post("/{meeting_id}/votes/{item_id}/close", response={200: dict, **ERRORS})
def close_vote(request, meeting_id: int, item_id: int):
    meeting, _editor = _meeting(request, meeting_id)
    return services.item_data(services.close(actor(request), meeting, item_id))


@router.post("/{meeting_id}/votes/{item_id}/publish", response={200: dict, **ERRORS})
def publish_vote(request, meeting_id: int, item_id: int):
    meeting, _editor = _meeting(request, meeting_id)
    return services.item_data(services.publish(actor(request), meeting, item_id))


@router.get("/{meeting_id}/votes/{item_id}/me", response={200: dict, **ERRORS},
            summary="The caller's own state: may vote, weight, voted, receipts while open")
def my_vote(request, meeting_id: int, item_id: int):
    meeting, editor = _meeting(request, meeting_id)
    return services.my_state(actor(request), _visible_item(meeting, editor, item_id))


@router.get("/{meeting_id}/votes/{item_id}/tally", response={200: dict, **ERRORS},
            summary="The live count (organisers): ballots cast; per option and who has not voted for named votes")
def tally(request, meeting_id: int, item_id: int):
    meeting, editor = _meeting(request, meeting_id)
    if not editor:
        raise Forbidden(_("Only the meeting's organisers see the count before the result is announced."))
    return services.tally_data(_visible_item(meeting, editor, item_id))


@router.get("/{meeting_id}/votes/{item_id}/result", response={200: dict, **ERRORS},
            summary="The result (organisers once closed, everyone once announced)")
def result(request, meeting_id: int, item_id: int):
    meeting, editor = _meeting(request, meeting_id)
    item = _with_result(_visible_item(meeting, editor, item_id), editor)
    return {**services.item_data(item), "ballots": services.named_ballots(item),
            "not_voted": services.not_voted_names(item) if not item.secret else []}


@router.get("/{meeting_id}/votes/{item_id}/receipts", response={200: dict, **ERRORS},
            summary="A secret vote's published (receipt, choice) list, once announced: search it on your side")
def receipts(request, meeting_id: int, item_id: int):
    """The same list for everyone who may see the meeting. A voter checks their code by searching it where
    they are (the live page does it in the browser): the server never learns which code someone checked,
    and no code ever travels in a URL, where an access log would keep it beside the time (issue 17)."""
    if "code" in request.GET:
        raise Invalid(_("Receipt codes are not sent to the server: download the list and look for your code in it."),
                      "code_in_url", field="code")
    meeting, editor = _meeting(request, meeting_id)
    item = _visible_item(meeting, editor, item_id)
    if not item.secret:
        raise Invalid(_("Only secret ballots have receipt codes."), "not_secret")
    if item.status != V.PUBLISHED:
        raise Forbidden(_("The result has not been announced yet."), "not_published")
    return {"item_id": item.pk, "receipts": services.published_receipts(item)}


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/{meeting_id}/votes/{item_id}/export.{fmt}", response={200: None, **ERRORS},
            summary="The result as a file: csv, xlsx or pdf")
def export(request, meeting_id: int, item_id: int, fmt: str):
    meeting, editor = _meeting(request, meeting_id)
    item = _with_result(_visible_item(meeting, editor, item_id), editor)
    name = f"bieu-quyet-{meeting.pk}-{item.pk}"
    if fmt == "csv":
        return _download(exports.to_csv(item), "text/csv; charset=utf-8", f"{name}.csv")
    if fmt == "xlsx":
        return _download(exports.to_xlsx(item), exports.XLSX_TYPE, f"{name}.xlsx")
    if fmt == "pdf":
        return _download(exports.to_pdf(item), "application/pdf", f"{name}.pdf")
    raise NotFound(_("Files are offered as csv, xlsx or pdf."))


# Casting over REST (rest_cast.py) ----------------------------------------------------------------

ballots_router = Router(tags=["votes"], auth=AUTH)


class BallotIn(Schema):
    choices: list[str] = Field(..., description="the keys of the options chosen (question.options[].key); "
                                                "[] is a blank ballot where the vote allows one")
    text: str = Field("", description="the written opinion of an option that asks for one (Ý kiến khác)")


class BallotOut(Schema):
    item_id: int
    secret: bool
    voted: bool
    weight: int = Field(..., description="1 + the proxies the voter holds")
    changed: bool = Field(..., description="this ballot replaced the voter's earlier one (votes that allow a change)")
    receipts: list[str] | None = Field(None, description="secret votes: one receipt code per voting right, while "
                                                         "the vote is open")
    receipts_gone: bool | None = Field(None, description="secret votes closed since: the codes are no longer kept")


@ballots_router.post(
    "/{item_id}/ballots", response={200: BallotOut, 201: BallotOut, **ERRORS},
    summary="Cast a ballot (the same rules and receipts as the socket's vote.cast); Idempotency-Key header required",
)
def cast_ballot(request, response: HttpResponse, item_id: int, payload: BallotIn,
                idempotency_key: str = Header("", alias="Idempotency-Key",
                                              description="a new random value (at most 64 characters) per ballot")):
    """Cast one's ballot in an open vote (docs/voting.md, "Casting over REST").

    Send a fresh `Idempotency-Key` with each ballot and the same key again when retrying it (a timeout, a
    lost connection): the retry stores nothing more and answers `200` with the same body as the first answer
    (`201`), the same receipt codes included, and the header `Idempotent-Replayed: true`. The same key with
    other choices is refused with `409 idempotency_key_reused`. A refusal is not kept: the same key may be
    sent again once the ballot would be accepted. A second ballot under a new key is refused with
    `409 already_voted` (or replaces the first where the vote allows a change). Wrong roles: a guest, a
    delegate who gave their proxy, or anyone without a voting right in this vote gets `403`; someone who may
    not see the meeting gets `404`. Session callers send the CSRF token (`X-CSRFToken`), as elsewhere."""
    created, body = rest_cast.cast_with_key(actor(request), item_id, idempotency_key, payload.choices, payload.text)
    if created:
        return Status(201, body)
    response["Idempotent-Replayed"] = "true"
    return Status(200, body)
