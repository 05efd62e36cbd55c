"""What every page's header needs: unread notifications and whether the person may create meetings."""

from __future__ import annotations

from accounts.roles import CREATE_MEETING
from meetings.models import Notification


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_count": Notification.objects.filter(user=user, read_at__isnull=True).count(),
        "can_create_meeting": user.can(CREATE_MEETING),
    }
