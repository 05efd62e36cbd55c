"""Signing in and API tokens: the only code that issues and revokes tokens.

The login log is kept by ``accounts.signals`` (Django's own sign-in signals) and, for attempts the
limiter refuses before any password is checked, by ``guard_sign_in`` here. Revoking a token is in
the audit trail (``AuditEntry``, with no meeting).
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts import throttle
from accounts.models import ApiToken, LoginRecord, User
from accounts.signals import client, record_success
from meetings.errors import NotFound, TooManyAttempts, Unauthenticated
from meetings.services import events


def guard_sign_in(request: HttpRequest, username: str) -> None:
    """Refuse, and log, an attempt while this user name is locked out from the caller's address."""
    ip, agent, via = client(request)
    lockout = throttle.lockout(username, ip)
    if lockout is None:
        return
    LoginRecord.objects.create(username=username[:150], success=False, throttled=True, ip=ip, user_agent=agent,
                               via=via)
    raise TooManyAttempts(lockout.message(), lockout.retry_after)


def sign_in(request: HttpRequest, username: str, password: str) -> User:
    """The user with this name and password (a program's sign-in); the attempt is in the login log."""
    guard_sign_in(request, username)
    user = authenticate(request, username=username, password=password)  # a failure is logged by the signal
    if user is None:
        raise Unauthenticated(_("Wrong user name or password."), "bad_credentials")
    return user


@transaction.atomic
def issue_token(request: HttpRequest, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for a user who has just signed in: the token and its key, which is shown only now."""
    record_success(request, user)
    return ApiToken.issue(user, name)


@transaction.atomic
def revoke_token(actor: User, token: ApiToken) -> None:
    """The token stops working at once; sockets it opened stay open until they reconnect."""
    events.audit(actor, "token.revoke", None, str(token), token_id=token.pk, owner=token.user.get_username())
    token.delete()


def revoke_own_token(actor: User, token_id: int) -> None:
    """Revoke one of the actor's tokens; anyone else's token does not exist for them."""
    token = ApiToken.objects.select_related("user").filter(pk=token_id, user=actor).first()
    if token is None:
        raise NotFound()
    revoke_token(actor, token)


def end_tokens(user: User, reason: str) -> None:
    """All of a user's tokens stop working (``User.save`` calls it after a new password or a deactivation);
    sockets they opened stay until they reconnect."""
    tokens = list(ApiToken.objects.filter(user=user).values_list("pk", flat=True))
    if tokens:
        ApiToken.objects.filter(pk__in=tokens).delete()
        events.audit(None, "token.revoke_all", None, user.get_username(), reason=reason, token_ids=tokens)
