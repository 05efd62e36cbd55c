"""Who may read and who may change the minutes and the conclusion notice. Read-only: nothing here writes.

- **Writers**: the meeting's secretary and chair draft, edit and send the minutes for review, and start
  a new version after approval. Host-unit and system administrators, who may edit the meeting itself,
  may not write its record: the minutes are the secretary's and the chair's.
- **Approver**: the chair approves or returns the minutes and issues the conclusion notice.
- **Readers**: the meeting's editors (``permissions.can_edit``) see every version; anyone who may see
  the meeting sees the approved minutes and the issued notice, except for a classified meeting
  (Mật / Tối mật / Tuyệt mật), whose record only its editors and participants see (NĐ 26/2020: secret
  content to authorised people only).

Someone who may not see the meeting gets 404; someone who sees it but may not do this, 403.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from meetings import permissions
from meetings.errors import Forbidden, NotFound
from meetings.models import Meeting


def meeting_for(user: User, meeting_id: int | Meeting) -> Meeting:
    pk = meeting_id.pk if isinstance(meeting_id, Meeting) else meeting_id
    return permissions.get_visible(user, pk)


def is_writer(user: User, meeting: Meeting) -> bool:
    return user.is_authenticated and user.pk in (meeting.chair_id, meeting.secretary_id)


def is_chair(user: User, meeting: Meeting) -> bool:
    return user.is_authenticated and user.pk == meeting.chair_id


def may_see_drafts(user: User, meeting: Meeting) -> bool:
    return is_writer(user, meeting) or permissions.can_edit(user, meeting)


def may_read_record(user: User, meeting: Meeting) -> bool:
    """The approved minutes and the issued notice (the caller already sees the meeting)."""
    if may_see_drafts(user, meeting):
        return True
    if meeting.classification != Meeting.Classification.NONE:
        return meeting.participants.filter(user=user).exists()
    return permissions.can_view(user, meeting)


def require_writer(user: User, meeting: Meeting) -> None:
    if not is_writer(user, meeting):
        raise Forbidden(_("Only the meeting's secretary or chair can write the minutes."), "not_minutes_writer")


def require_chair(user: User, meeting: Meeting, message=None) -> None:
    if not is_chair(user, meeting):
        raise Forbidden(message or _("Only the chair of the meeting can do this."), "not_chair")


def require_record_reader(user: User, meeting: Meeting) -> None:
    if not may_read_record(user, meeting):
        # A classified meeting's record is not even acknowledged to outsiders.
        raise NotFound()
