"""Pages of the minutes and the conclusion notice, and the secretary's list of what is due after meetings.
Plain forms posted to the page itself (field ``action``); every change is a service call."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from frontend.views.common import attempt, in_site_language
from meetings.errors import NotFound
from meetings.minutes import access, layout, services
from meetings.minutes.models import ConclusionNotice, MinutesVersion, SignedDocument
from meetings.models import Meeting


def _meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    try:
        return access.meeting_for(request.user, meeting_id)
    except NotFound:
        raise Http404 from None


def _lines(text: str) -> list[str]:
    return [line.strip().lstrip("-").strip().rstrip(";.") for line in (text or "").splitlines() if line.strip()]


def _minutes_changes(post, version: MinutesVersion) -> dict[str, Any]:
    header = {k: post.get(f"header_{k}", "") for k in services.HEADER_FIELDS if f"header_{k}" in post}
    items = [{"agenda_item_id": i["agenda_item_id"],
              "discussion": post.get(f"discussion_{i['agenda_item_id']}", ""),
              "conclusion": post.get(f"conclusion_{i['agenda_item_id']}", "")}
             for i in version.content.get("items", [])]
    return {"header": header, "opening": post.get("opening", ""), "closing": post.get("closing", ""),
            "recipients": _lines(post.get("recipients", "")), "items": items}


@login_required
def minutes_page(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action", "")
        calls = {
            "start": (lambda: services.start(user, meeting), _("The minutes have been drafted from the record.")),
            "redraft": (lambda: services.redraft(user, meeting),
                        _("Attendance, speakers and votes have been refreshed from the record.")),
            "submit": (lambda: in_site_language(services.submit, user, meeting),
                       _("The minutes have been sent to the chair for review.")),
            "approve": (lambda: services.approve(user, meeting), _("The minutes have been approved.")),
            "return": (lambda: in_site_language(services.return_for_changes, user, meeting,
                                                request.POST.get("reason", "")),
                       _("The minutes have been returned to the secretary.")),
            "new_version": (lambda: services.new_version(user, meeting, request.POST.get("reason", "")),
                            _("A new version has been started.")),
            "sign": (lambda: services.sign_minutes(user, meeting), _("The minutes have been digitally signed.")),
        }
        if action == "save":
            version = services.current_for(user, meeting)
            if version is not None:
                changes = _minutes_changes(request.POST, version)
                attempt(request, lambda: services.edit(user, meeting, changes), _("The minutes have been saved."))
        elif action in calls:
            call, message = calls[action]
            attempt(request, call, message)
        return redirect("minutes-page", meeting.pk)
    version = services.current_for(user, meeting)
    if version is None and not access.is_writer(user, meeting):
        raise Http404
    writer = access.is_writer(user, meeting)
    versions = list(MinutesVersion.objects.filter(minutes__meeting=meeting).order_by("number")
                    .select_related("edited_by", "decided_by")) if access.may_see_drafts(user, meeting) else []
    context = {
        "meeting": meeting,
        "version": version,
        "versions": versions,
        "document": layout.minutes_document(version.content) if version else None,
        "writer": writer,
        "chair": access.is_chair(user, meeting),
        "editable": writer and version is not None and version.status in services.EDITABLE,
        "can_start": writer and version is None and meeting.status in services.RECORD_STATUSES,
        "recipients_text": "\n".join(version.content.get("recipients", []) if version else []),
        "api": f"/api/v1/meetings/{meeting.pk}/minutes",
        "signature": _signature(meeting, "minutes", version.number if version else None),
        "editor_labels": {"bold": _("Bold"), "italic": _("Italic"), "underline": _("Underline"),
                          "bullets": _("Bulleted list"), "numbers": _("Numbered list")},
        "can_sign": bool(settings.PHONGHOP_SIGNER_PKCS12),
    }
    return render(request, "minutes/minutes.html", context)


def _signature(meeting: Meeting, kind: str, version: int | None) -> dict[str, Any] | None:
    """The stored signed PDF of this document, verified now (signer, time, validity), or None."""
    if version is None:
        return None
    row = SignedDocument.objects.filter(meeting=meeting, kind=kind, version=version).first()
    return services.signed_data(row) if row is not None else None


def _notice_changes(post, notice: ConclusionNotice) -> dict[str, Any]:
    header = {k: post.get(f"header_{k}", "") for k in services.HEADER_FIELDS if f"header_{k}" in post}
    conclusions = []
    for n, c in enumerate(notice.content.get("conclusions", [])):
        if post.get(f"remove_{n}"):
            continue
        conclusions.append({"agenda_item_id": c.get("agenda_item_id"), "title": post.get(f"ctitle_{n}", c["title"]),
                            "text": post.get(f"ctext_{n}", c["text"])})
    if post.get("new_title", "").strip() and post.get("new_text", "").strip():
        conclusions.append({"agenda_item_id": None, "title": post["new_title"], "text": post["new_text"]})
    return {"header": header, "subject": post.get("subject", ""), "intro": post.get("intro", ""),
            "conclusions": conclusions, "closing": post.get("closing", ""),
            "recipients": _lines(post.get("recipients", "")),
            "signer": {"name": post.get("signer_name", ""), "position": post.get("signer_position", "")}}


@login_required
def notice_page(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    user = request.user
    notice = ConclusionNotice.objects.filter(meeting=meeting).first()
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "draft":
            attempt(request, lambda: services.draft_notice(user, meeting),
                    _("The notice has been drafted from the minutes' conclusions."))
        elif action == "save" and notice is not None:
            changes = _notice_changes(request.POST, notice)
            attempt(request, lambda: services.edit_notice(user, meeting, changes), _("The notice has been saved."))
        elif action == "issue":
            attempt(request, lambda: in_site_language(services.issue_notice, user, meeting),
                    _("The notice has been issued and the participants notified."))
        elif action == "sign":
            attempt(request, lambda: services.sign_notice(user, meeting), _("The notice has been digitally signed."))
        return redirect("notice-page", meeting.pk)
    drafts = access.may_see_drafts(user, meeting)
    if notice is not None and not drafts and (
            notice.status != ConclusionNotice.Status.ISSUED or not access.may_read_record(user, meeting)):
        notice = None
    writer = access.is_writer(user, meeting)
    if notice is None and not writer:
        raise Http404
    context = {
        "meeting": meeting,
        "notice": notice,
        "state": services.notice_state(meeting, notice),
        "document": layout.notice_document(notice.content) if notice else None,
        "writer": writer,
        "chair": access.is_chair(user, meeting),
        "editable": writer and notice is not None and notice.status == ConclusionNotice.Status.DRAFT,
        "can_draft": writer and meeting.status in (Meeting.Status.ENDED, Meeting.Status.ARCHIVED),
        "recipients_text": "\n".join(notice.content.get("recipients", [])) if notice else "",
        "api": f"/api/v1/meetings/{meeting.pk}/notice",
        "signature": _signature(meeting, "notice", 0) if notice else None,
        "can_sign": bool(settings.PHONGHOP_SIGNER_PKCS12),
    }
    return render(request, "minutes/notice.html", context)


def after_meeting_rows(user) -> list[dict[str, Any]]:
    """The meetings this person keeps the record of (secretary or chair), held and not yet fully closed."""
    meetings = (Meeting.objects.filter(Q(secretary=user) | Q(chair=user))
                .filter(status__in=[Meeting.Status.ENDED, Meeting.Status.ARCHIVED])
                .select_related("host_unit").order_by("-end")[:200])
    ids = [m.pk for m in meetings]
    latest: dict[int, MinutesVersion] = {}
    for v in MinutesVersion.objects.filter(minutes__meeting_id__in=ids).select_related("minutes").order_by("number"):
        latest[v.minutes.meeting_id] = v
    notices = {n.meeting_id: n for n in ConclusionNotice.objects.filter(meeting_id__in=ids)}
    return [{"meeting": m, "minutes": latest.get(m.pk), "notice": services.notice_state(m, notices.get(m.pk))}
            for m in meetings]


@login_required
def after_meetings(request: HttpRequest) -> HttpResponse:
    return render(request, "minutes/after_meetings.html", {"rows": after_meeting_rows(request.user)})
