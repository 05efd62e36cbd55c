"""Keep the login log from Django's own authentication signals.

A view that signs people in some other way than the web form (the API token endpoint) marks the
request with ``login_via`` so the log says which door was used.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from accounts.models import LoginRecord


def client(request) -> tuple[str | None, str, str]:
    """The caller's address, browser and door (web form or API), as the login log keeps them."""
    if request is None:
        return None, "", "web"
    return (
        request.META.get("REMOTE_ADDR"),
        request.META.get("HTTP_USER_AGENT", "")[:255],
        getattr(request, "login_via", "web"),
    )


def record_success(request, user) -> LoginRecord:
    ip, agent, via = client(request)
    return LoginRecord.objects.create(
        user=user, username=user.get_username(), success=True, ip=ip, user_agent=agent, via=via
    )


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs) -> None:
    record_success(request, user)


@receiver(user_login_failed)
def record_failed_login(sender, credentials, request=None, **kwargs) -> None:
    ip, agent, via = client(request)
    LoginRecord.objects.create(
        username=str(credentials.get("username", ""))[:150], success=False, ip=ip, user_agent=agent, via=via
    )

