"""REST API for the minutes and the conclusion notice (docs/api.md, "Minutes and conclusion notices").
Every write goes through ``meetings.minutes.services``; files are rendered from the stored content."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status

from meetings.api.auth import AUTH, actor
from meetings.api.schemas import Error
from meetings.errors import NotFound
from meetings.minutes import access, files, services
from meetings.minutes.models import ConclusionNotice, MinutesVersion
from meetings.models import Meeting

router = Router(tags=["minutes"], auth=AUTH)
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class HeaderIn(Schema):
    parent_body: str | None = None
    issuing_body: str | None = None
    number: str | None = None
    symbol: str | None = None
    place: str | None = None
    date: str | None = None  # YYYY-MM-DD


class ItemTextIn(Schema):
    agenda_item_id: int
    discussion: str | None = None  # HTML (p, br, strong, em, u, ul, ol, li); sanitised
    conclusion: str | None = None  # the chair's conclusion on the item, plain text


class MinutesPatch(Schema):
    header: HeaderIn | None = None
    opening: str | None = None  # HTML, sanitised
    closing: str | None = None  # HTML, sanitised
    recipients: list[str] | None = None
    items: list[ItemTextIn] | None = None


class ReasonIn(Schema):
    reason: str


class ConclusionIn(Schema):
    agenda_item_id: int | None = None
    title: str
    text: str


class SignerIn(Schema):
    name: str
    position: str = ""


class NoticePatch(Schema):
    header: HeaderIn | None = None
    subject: str | None = None
    intro: str | None = None
    conclusions: list[ConclusionIn] | None = None
    closing: str | None = None
    recipients: list[str] | None = None
    signer: SignerIn | None = None


def _changes(payload: Schema) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    if isinstance(data.get("header"), dict):
        data["header"] = {k: v for k, v in data["header"].items() if v is not None}
    if isinstance(data.get("items"), list):
        data["items"] = [{k: v for k, v in i.items() if v is not None} for i in data["items"]]
    return data


def _meeting(request, meeting_id: int) -> Meeting:
    return access.meeting_for(actor(request), meeting_id)


def _readable_version(request, meeting: Meeting, number: int | None = None) -> MinutesVersion:
    user = actor(request)
    if number is None:
        version = services.current_for(user, meeting)
    elif access.may_see_drafts(user, meeting):
        version = MinutesVersion.objects.filter(minutes__meeting=meeting, number=number).first()
    elif access.may_read_record(user, meeting):
        version = MinutesVersion.objects.filter(minutes__meeting=meeting, number=number,
                                                status=MinutesVersion.Status.APPROVED).first()
    else:
        version = None
    if version is None:
        raise NotFound(_("There are no minutes you may read for this meeting."), "no_minutes")
    return version


def _readable_notice(request, meeting: Meeting) -> ConclusionNotice:
    user = actor(request)
    notice = ConclusionNotice.objects.filter(meeting=meeting).select_related("meeting").first()
    if notice is not None and not access.may_see_drafts(user, meeting):
        if notice.status != ConclusionNotice.Status.ISSUED or not access.may_read_record(user, meeting):
            notice = None
    if notice is None:
        raise NotFound(_("There is no conclusion notice you may read for this meeting."), "no_notice")
    return notice


def _download(content: bytes, fmt: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=files.TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _fmt(fmt: str) -> str:
    if fmt not in files.TYPES:
        raise NotFound(_("Files are offered as docx or pdf."))
    return fmt


# Minutes ------------------------------------------------------------------------------------------

@router.get("/{meeting_id}/minutes", response={200: dict, **ERRORS},
            summary="The minutes: the working version (secretary, chair, organisers) or the approved one")
def get_minutes(request, meeting_id: int):
    return services.version_data(_readable_version(request, _meeting(request, meeting_id)))


@router.post("/{meeting_id}/minutes", response={201: dict, **ERRORS},
             summary="Draft the minutes from the record (secretary or chair)")
def start_minutes(request, meeting_id: int):
    return Status(201, services.version_data(services.start(actor(request), _meeting(request, meeting_id))))


@router.patch("/{meeting_id}/minutes", response={200: dict, **ERRORS},
              summary="Edit the working version: header, opening, closing, recipients, per-item texts")
def edit_minutes(request, meeting_id: int, payload: MinutesPatch):
    meeting = _meeting(request, meeting_id)
    return services.version_data(services.edit(actor(request), meeting, _changes(payload)))


@router.post("/{meeting_id}/minutes/redraft", response={200: dict, **ERRORS},
             summary="Refresh attendance, speakers, votes and documents from the record, keeping the texts")
def redraft_minutes(request, meeting_id: int):
    return services.version_data(services.redraft(actor(request), _meeting(request, meeting_id)))


@router.post("/{meeting_id}/minutes/submit", response={200: dict, **ERRORS},
             summary="Send the minutes to the chair for review")
def submit_minutes(request, meeting_id: int):
    return services.version_data(services.submit(actor(request), _meeting(request, meeting_id)))


@router.post("/{meeting_id}/minutes/return", response={200: dict, **ERRORS},
             summary="Return the minutes for changes, with the reason (chair)")
def return_minutes(request, meeting_id: int, payload: ReasonIn):
    meeting = _meeting(request, meeting_id)
    return services.version_data(services.return_for_changes(actor(request), meeting, payload.reason))


@router.post("/{meeting_id}/minutes/approve", response={200: dict, **ERRORS},
             summary="Approve the minutes (chair); the version is frozen")
def approve_minutes(request, meeting_id: int):
    return services.version_data(services.approve(actor(request), _meeting(request, meeting_id)))


@router.post("/{meeting_id}/minutes/versions", response={201: dict, **ERRORS},
             summary="Start a new version of approved minutes, with the reason")
def new_minutes_version(request, meeting_id: int, payload: ReasonIn):
    meeting = _meeting(request, meeting_id)
    return Status(201, services.version_data(services.new_version(actor(request), meeting, payload.reason)))


@router.get("/{meeting_id}/minutes/versions", response={200: list, **ERRORS},
            summary="The versions one may read, without their content")
def list_minutes_versions(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    user = actor(request)
    versions = MinutesVersion.objects.filter(minutes__meeting=meeting).select_related(
        "minutes", "edited_by", "decided_by").order_by("number")
    if not access.may_see_drafts(user, meeting):
        if not access.may_read_record(user, meeting):
            return []
        versions = versions.filter(status=MinutesVersion.Status.APPROVED)
    return [services.version_data(v, with_content=False) for v in versions]


@router.get("/{meeting_id}/minutes/versions/{number}", response={200: dict, **ERRORS})
def get_minutes_version(request, meeting_id: int, number: int):
    return services.version_data(_readable_version(request, _meeting(request, meeting_id), number))


@router.get("/{meeting_id}/minutes/export.{fmt}", response={200: None, **ERRORS},
            summary="The minutes as a file in the NĐ 30/2020 layout: docx or pdf (?version=N)")
def export_minutes(request, meeting_id: int, fmt: str, version: int | None = None):
    fmt = _fmt(fmt)
    found = _readable_version(request, _meeting(request, meeting_id), version)
    return _download(files.minutes_file(found, fmt), fmt, files.minutes_name(found, fmt))


# Conclusion notice --------------------------------------------------------------------------------

@router.get("/{meeting_id}/notice", response={200: dict, **ERRORS},
            summary="The conclusion notice: the draft (secretary, chair, organisers) or the issued one")
def get_notice(request, meeting_id: int):
    return services.notice_data(_readable_notice(request, _meeting(request, meeting_id)))


@router.get("/{meeting_id}/notice/due", response={200: dict, **ERRORS},
            summary="When the notice is due, and whether it is due, overdue or issued")
def notice_due(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    state = services.notice_state(meeting)
    if state is None:
        return {"state": None, "due": services.notice_due_date(meeting).isoformat()}
    return {"state": state["state"], "due": state["due"].isoformat()}


@router.post("/{meeting_id}/notice", response={200: dict, 201: dict, **ERRORS},
             summary="Draft the notice from the minutes' conclusions (again: refresh the conclusions)")
def draft_notice(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    existed = ConclusionNotice.objects.filter(meeting=meeting).exists()
    notice = services.draft_notice(actor(request), meeting)
    return Status(200 if existed else 201, services.notice_data(notice))


@router.patch("/{meeting_id}/notice", response={200: dict, **ERRORS}, summary="Edit the draft notice")
def edit_notice(request, meeting_id: int, payload: NoticePatch):
    meeting = _meeting(request, meeting_id)
    return services.notice_data(services.edit_notice(actor(request), meeting, _changes(payload)))


@router.post("/{meeting_id}/notice/issue", response={200: dict, **ERRORS},
             summary="Issue the notice (chair): participants and the units concerned are notified")
def issue_notice(request, meeting_id: int):
    return services.notice_data(services.issue_notice(actor(request), _meeting(request, meeting_id)))


@router.get("/{meeting_id}/notice/export.{fmt}", response={200: None, **ERRORS},
            summary="The notice as a file in the NĐ 30/2020 layout: docx or pdf")
def export_notice(request, meeting_id: int, fmt: str):
    fmt = _fmt(fmt)
    notice = _readable_notice(request, _meeting(request, meeting_id))
    return _download(files.notice_file(notice, fmt), fmt, files.notice_name(notice, fmt))


# Digital signatures -------------------------------------------------------------------------------

def _signed(request, meeting: Meeting, kind: str, version: int | None):
    from meetings.minutes.models import SignedDocument

    if not access.may_read_record(actor(request), meeting):
        raise NotFound()
    rows = SignedDocument.objects.filter(meeting=meeting, kind=kind).order_by("-version")
    row = (rows.filter(version=version) if version is not None else rows).first()
    if row is None:
        raise NotFound(_("This document has not been signed."), "not_signed")
    return row


@router.post("/{meeting_id}/minutes/sign", response={201: dict, **ERRORS},
             summary="Sign the approved minutes' PDF (chair; PAdES with the server's certificate)")
def sign_minutes(request, meeting_id: int):
    return Status(201, services.signed_data(services.sign_minutes(actor(request), _meeting(request, meeting_id))))


@router.get("/{meeting_id}/minutes/signed", response={200: dict, **ERRORS},
            summary="The signed minutes (?version=N): signer, time and the signature verified now")
def signed_minutes(request, meeting_id: int, version: int | None = None):
    return services.signed_data(_signed(request, _meeting(request, meeting_id), "minutes", version))


@router.get("/{meeting_id}/minutes/signed.pdf", response={200: None, **ERRORS}, summary="The signed minutes' PDF")
def signed_minutes_pdf(request, meeting_id: int, version: int | None = None):
    row = _signed(request, _meeting(request, meeting_id), "minutes", version)
    return _download(bytes(row.pdf), "pdf", f"bien-ban-hop-{meeting_id}-v{row.version}-da-ky.pdf")


@router.post("/{meeting_id}/notice/sign", response={201: dict, **ERRORS},
             summary="Sign the issued notice's PDF (chair; PAdES)")
def sign_notice(request, meeting_id: int):
    return Status(201, services.signed_data(services.sign_notice(actor(request), _meeting(request, meeting_id))))


@router.get("/{meeting_id}/notice/signed", response={200: dict, **ERRORS},
            summary="The signed notice: signer, time and the signature verified now")
def signed_notice(request, meeting_id: int):
    return services.signed_data(_signed(request, _meeting(request, meeting_id), "notice", None))


@router.get("/{meeting_id}/notice/signed.pdf", response={200: None, **ERRORS}, summary="The signed notice's PDF")
def signed_notice_pdf(request, meeting_id: int):
    row = _signed(request, _meeting(request, meeting_id), "notice", None)
    return _download(bytes(row.pdf), "pdf", f"thong-bao-ket-luan-{meeting_id}-da-ky.pdf")
