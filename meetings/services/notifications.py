"""In-app notifications: the person marks their own as read. Creating them is invitations.py's job."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from meetings.errors import NotFound
from meetings.models import Notification


def mark_read(user: User, ids: list[int] | None = None) -> int:
    """Mark the person's own notifications read (all of them when ``ids`` is None); returns how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def read_one(user: User, notification_id: int) -> Notification:
    note = Notification.objects.filter(pk=notification_id, user=user).first()
    if note is None:
        raise NotFound(_("This notification does not exist."))
    mark_read(user, [note.pk])
    note.refresh_from_db()
    return note
