"""The sign-in limiter: after too many wrong passwords for one user name from one address, that pair waits.

It counts the login log (``LoginRecord``), so it holds across every server process that shares the
database, and the web form and ``POST /api/v1/auth/token`` share one count. A pair is locked out when
its last ``PHONGHOP_LOGIN_MAX_FAILURES`` attempts within ``PHONGHOP_LOGIN_WINDOW_MINUTES`` all failed:
a success starts the count again (for that address only), and attempts the limiter itself refused
do not count, so the wait ends when the oldest of those failures leaves the window.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import LoginRecord


@dataclass(frozen=True)
class Lockout:
    until: dt.datetime

    @property
    def retry_after(self) -> int:
        """Whole seconds to wait, for the Retry-After header."""
        return max(1, math.ceil((self.until - timezone.now()).total_seconds()))

    def message(self) -> str:
        return _("Too many failed sign-in attempts. Try again in %(minutes)s min, at %(time)s.") % {
            "minutes": math.ceil(self.retry_after / 60),
            "time": timezone.localtime(self.until).strftime("%H:%M"),
        }


def lockout(username: str, ip: str | None) -> Lockout | None:
    """The lockout of this user name from this address, or None when it may try."""
    limit = settings.PHONGHOP_LOGIN_MAX_FAILURES
    if limit <= 0:
        return None
    window = dt.timedelta(minutes=settings.PHONGHOP_LOGIN_WINDOW_MINUTES)
    recent = list(
        LoginRecord.objects.filter(username=username[:150], ip=ip, throttled=False, at__gt=timezone.now() - window)
        .order_by("-at", "-pk").values_list("success", "at")[:limit]
    )
    if len(recent) < limit or any(success for success, _at in recent):
        return None
    return Lockout(until=recent[-1][1] + window)
