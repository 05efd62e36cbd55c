"""Keep the login log from Django's own authentication signals."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from accounts.models import LoginRecord


def _client(request) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    return request.META.get("REMOTE_ADDR"), request.META.get("HTTP_USER_AGENT", "")[:255]


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs) -> None:
    ip, agent = _client(request)
    LoginRecord.objects.create(user=user, username=user.get_username(), success=True, ip=ip, user_agent=agent)


@receiver(user_login_failed)
def record_failed_login(sender, credentials, request=None, **kwargs) -> None:
    ip, agent = _client(request)
    LoginRecord.objects.create(
        username=str(credentials.get("username", ""))[:150], success=False, ip=ip, user_agent=agent
    )
