"""Keep the login log from Django's own authentication signals.

A view that signs people in some other way than the web form (the API token endpoint) marks the
request with ``login_via`` so the log says which door was used.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import ApiToken, LoginRecord, User


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


@receiver(post_save, sender=User)
def end_tokens(sender, instance: User, created: bool, **kwargs) -> None:
    """After a password change or a deactivation (``User.save`` says which): the user's API tokens stop
    working, like their web sessions. Sockets the tokens opened stay until they reconnect."""
    reason = instance.__dict__.pop("tokens_end_because", None)
    if created or reason is None:
        return
    tokens = list(ApiToken.objects.filter(user=instance).values_list("pk", flat=True))
    if not tokens:
        return
    from meetings.services import events  # accounts does not import meetings at load time

    ApiToken.objects.filter(pk__in=tokens).delete()
    events.audit(None, "token.revoke_all", None, instance.get_username(), reason=reason, token_ids=tokens)
