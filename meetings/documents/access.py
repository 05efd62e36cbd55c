"""Who may see, prepare and manage meeting documents. Read-only: nothing here writes.

- **Organisers** (``permissions.can_edit``: chair, secretary, host-unit administrators, system
  administrators) see every document and version, and upload, change access and recall.
- **Approvers** are the chair and the secretary: they approve or return what a unit prepared.
- **Preparers** are the people of the unit asked to prepare a document (its ``preparing_unit``, or the
  unit administrators above it): they upload versions of that document, which wait for approval.
- **Readers**: the meeting's participants and the operators of its remote sites see an approved
  document with access "all participants"; "named" and "classified" documents only the participants
  named on them. Readers see nothing before ``available_from``, after ``available_until`` or once the
  document is recalled (thu hồi tài liệu).

A participant who may not see a document gets 403; someone who may not see the meeting, 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import OPERATE_SITE, Role
from meetings import permissions
from meetings.errors import Forbidden, NotFound
from meetings.models import Meeting, Participant

from .models import Document, DocumentVersion

A = Document.Access
V = DocumentVersion.Status


class NoAccess(Forbidden):
    """403 with the reason a reader may not see a document (not yet, no longer, recalled, not named)."""


def is_organiser(user: User, meeting: Meeting) -> bool:
    return permissions.can_edit(user, meeting)


def is_approver(user: User, meeting: Meeting) -> bool:
    return user.is_authenticated and user.pk in (meeting.chair_id, meeting.secretary_id)


def is_preparer(user: User, document: Document) -> bool:
    if not user.is_authenticated or document.preparing_unit_id is None or user.role == Role.GUEST:
        return False
    return user.unit_id == document.preparing_unit_id or document.preparing_unit_id in permissions.admin_unit_ids(user)


def participant_of(user: User, meeting: Meeting) -> Participant | None:
    if not user.is_authenticated:
        return None
    return meeting.participants.filter(user=user).first()


def is_reader(user: User, meeting: Meeting, participant: Participant | None = None) -> bool:
    """A participant, or the operator of one of the meeting's remote sites (the room's screen)."""
    if participant is not None:
        return True
    return bool(user.unit_id) and user.can(OPERATE_SITE) and meeting.remote_sites.filter(pk=user.unit_id).exists()


@dataclass
class Viewer:
    """What one person is in one meeting, worked out once for a list of documents."""

    user: User
    meeting: Meeting
    organiser: bool
    participant: Participant | None
    reader: bool

    @classmethod
    def of(cls, user: User, meeting: Meeting) -> Viewer:
        participant = participant_of(user, meeting)
        return cls(user, meeting, is_organiser(user, meeting), participant, is_reader(user, meeting, participant))

    def refusal(self, document: Document, now: dt.datetime | None = None) -> NoAccess | None:
        """Why this person may not read the document's approved version, or None when they may."""
        if self.organiser or is_preparer(self.user, document):
            return None
        if document.current_version_id is None:
            return NoAccess(_("This document has not been approved yet."), "not_approved")
        if document.revoked_at is not None:
            return NoAccess(_("This document has been recalled after the meeting (thu hồi tài liệu)."), "recalled")
        if not self.reader:
            return NoAccess(_("Only the meeting's participants can read its documents."))
        if document.access != A.ALL:
            allowed = self.participant is not None and document.allowed_participants.filter(
                pk=self.participant.pk).exists()
            if not allowed:
                return NoAccess(_("This document is restricted to named participants."), "restricted")
        now = now or timezone.now()
        if document.available_from and now < document.available_from:
            return NoAccess(_("This document is not available yet."), "not_yet_available")
        if document.available_until and now > document.available_until:
            return NoAccess(_("This document is no longer available."), "no_longer_available")
        return None

    def may_read(self, document: Document) -> bool:
        return self.refusal(document) is None

    def may_manage(self) -> bool:
        return self.organiser

    def may_prepare(self, document: Document) -> bool:
        return self.organiser or is_preparer(self.user, document)


def meeting_for(user: User, meeting_id: int) -> Meeting:
    """The meeting, if the person may see it, or if their unit was asked to prepare one of its documents
    (404 otherwise)."""
    try:
        return permissions.get_visible(user, meeting_id)
    except NotFound:
        units = set(permissions.admin_unit_ids(user)) | ({user.unit_id} if user.is_authenticated and user.unit_id else set())
        if user.is_authenticated and user.role != Role.GUEST and units and Document.objects.filter(
                meeting_id=meeting_id, preparing_unit_id__in=units).exists():
            return Meeting.objects.select_related("host_unit", "chair", "secretary", "room", "kind").get(pk=meeting_id)
        raise


def document_for(user: User, document_id: int) -> tuple[Document, Viewer]:
    """The document and the person's standing; 404 when its meeting is not visible to them."""
    document = Document.objects.select_related("meeting", "current_version").filter(pk=document_id).first()
    if document is None:
        raise NotFound(_("This document does not exist, or you may not see it."))
    meeting = meeting_for(user, document.meeting_id)
    document.meeting = meeting
    return document, Viewer.of(user, meeting)


def readable_document(user: User, document_id: int) -> tuple[Document, Viewer]:
    """The document when the person may read it; 403 with the reason when not."""
    document, viewer = document_for(user, document_id)
    refusal = viewer.refusal(document)
    if refusal is not None:
        raise refusal
    return document, viewer


def readable_version(user: User, document_id: int, number: int | None = None) -> tuple[DocumentVersion, Viewer]:
    """A version the person may read: organisers and preparers any; readers approved versions only."""
    document, viewer = readable_document(user, document_id)
    versions = document.versions.all()
    if not viewer.may_prepare(document):
        versions = versions.filter(status=V.APPROVED)
    if number is None:
        version = document.current_version if document.current_version_id else versions.order_by("-number").first()
        if version is not None and not viewer.may_prepare(document) and version.status != V.APPROVED:
            version = None
    else:
        version = versions.filter(number=number).first()
    if version is None:
        raise NotFound(_("This version of the document does not exist."))
    version.document = document
    return version, viewer


def readable_documents(user: User, meeting: Meeting) -> list[tuple[Document, Viewer]]:
    viewer = Viewer.of(user, meeting)
    docs = (meeting.documents.select_related("current_version", "agenda_item", "preparing_unit")
            .prefetch_related("allowed_participants").order_by("agenda_item__order", "order", "id"))
    return [(d, viewer) for d in docs if viewer.may_read(d)]


def searchable_versions(user: User) -> QuerySet[DocumentVersion]:
    """Current versions of documents in meetings the person may see (each hit is checked again per document)."""
    meetings = permissions.visible_meetings(user)
    return DocumentVersion.objects.filter(document__meeting__in=meetings, document__current_version=F("id"))
