"""Units (the government tree) and the people who belong to them."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, role_has


class Unit(models.Model):
    class Kind(models.TextChoices):
        PROVINCE = "province", _("Province")
        DEPARTMENT = "department", _("Department")
        DISTRICT = "district", _("District")
        COMMUNE = "commune", _("Commune")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=255)
    code = models.SlugField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    is_remote_site = models.BooleanField(_("remote site (điểm cầu)"), default=False)
    address = models.CharField(_("address"), max_length=255, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[Unit]:
        chain: list[Unit] = []
        node = self.parent
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return chain

    def descendant_ids(self) -> set[int]:
        """Ids of this unit and everything below it, at any depth (one query per level)."""
        found = {self.pk}
        frontier = {self.pk}
        while frontier:
            frontier = set(Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
            found |= frontier
        return found


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=255)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    position = models.CharField(_("position"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.DELEGATE)
    calendar_token = models.CharField(_("calendar feed key"), max_length=64, unique=True, editable=False)

    objects = UserManager()
    REQUIRED_FIELDS = ["email", "full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name", "username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._stored_active = user.__dict__.get("is_active")
        return user

    def save(self, *args, **kwargs) -> None:
        if not self.calendar_token:
            self.calendar_token = secrets.token_urlsafe(32)
        if self.is_superuser and self.role != Role.SYSTEM_ADMIN:
            self.role = Role.SYSTEM_ADMIN
        # A new password or a deactivated account ends the API tokens, as it ends the web sessions. A
        # sign-in that re-hashes the stored password clears ``_password`` before saving: not a change.
        ends_tokens = None
        if self.pk is not None and self._password is not None:
            ends_tokens = "password"
        elif self.pk is not None and getattr(self, "_stored_active", None) and not self.is_active:
            ends_tokens = "deactivated"
        super().save(*args, **kwargs)
        self._stored_active = self.is_active
        if ends_tokens:
            from accounts import services  # services import the audit trail, which imports this module

            services.end_tokens(self, ends_tokens)

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def can(self, permission: str) -> bool:
        return self.is_active and (self.is_superuser or role_has(self.role, permission))

    @property
    def is_system_admin(self) -> bool:
        return self.is_superuser or self.role == Role.SYSTEM_ADMIN

    def reset_calendar_token(self) -> None:
        self.calendar_token = secrets.token_urlsafe(32)
        self.save(update_fields=["calendar_token"])


class LoginRecord(models.Model):
    """The login log: every sign-in attempt, successful or not. Append-only.

    It is also what the sign-in limiter counts (``accounts/throttle.py``): an attempt refused by the
    limiter is logged as ``throttled``, without its password having been checked.
    """

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("user"))
    username = models.CharField(_("user name"), max_length=150)
    success = models.BooleanField(_("success"))
    throttled = models.BooleanField(_("refused: too many attempts"), default=False)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    via = models.CharField(_("via"), max_length=16, default="web")
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("login record")
        verbose_name_plural = _("login log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["username", "ip", "at"], name="login_attempts")]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def used_on(moment: dt.datetime) -> dt.datetime:
    """The start of the local day of ``moment``: what ``ApiToken.last_used_at`` holds."""
    local = timezone.localtime(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


class ApiToken(models.Model):
    """A bearer token for the REST API and the socket. Only its hash is stored.

    A token expires ``PHONGHOP_API_TOKEN_DAYS`` days after it is issued; revoking one deletes it
    (``accounts.services.revoke_token``, which leaves an entry in the audit trail).
    """


    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name or self.prefix} ({self.prefix}…)"

    @classmethod
    def issue(cls, user: User, name: str = "", lifetime: dt.timedelta | None = None) -> tuple[ApiToken, str]:
        raw = "ph_" + secrets.token_urlsafe(32)
        lifetime = lifetime if lifetime is not None else dt.timedelta(days=settings.PHONGHOP_API_TOKEN_DAYS)
        token = cls.objects.create(user=user, name=name, key_hash=hash_token(raw), prefix=raw[:8],
                                   expires_at=timezone.now() + lifetime)
        return token, raw

    @classmethod
    def find(cls, raw: str) -> ApiToken | None:
        """The token with this key, expired or not; None for an unknown (or revoked) key."""
        return cls.objects.select_related("user").filter(key_hash=hash_token(raw)).first()

    @classmethod
    def authenticate(cls, raw: str) -> User | None:
        """The token's user, or None when the key is unknown, revoked or expired, or the user disabled."""
        token = cls.find(raw)
        if token is None or token.expired or not token.user.is_active:
            return None
        token.touch()
        return token.user

    @classmethod
    def authenticate_many(cls, raws: list[str]) -> list[User | None]:
        """``authenticate`` for many keys at once (sockets opening together): one read, and one write for the
        tokens whose use is due to be noted. The same rules, the same answers, in the order of ``raws``."""
        hashes = [hash_token(raw) for raw in raws]
        found = {t.key_hash: t for t in cls.objects.select_related("user").filter(key_hash__in=set(hashes))}
        day = used_on(timezone.now())  # the day only, as ``touch`` notes it (docs/voting.md)
        valid = {h: t for h, t in found.items() if not t.expired and t.user.is_active}
        due = [t for t in valid.values() if t.last_used_at is None or t.last_used_at < day]
        if due:
            ApiToken.objects.filter(pk__in=[t.pk for t in due]).update(last_used_at=day)
            for t in due:
                t.last_used_at = day
        # A User object per asker: sockets of the same token must not share (and mutate) one instance.
        return [copy.copy(valid[h].user) if h in valid else None for h in hashes]

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()

    def touch(self) -> None:
        """Note the day of the use (its start, in the deployment's time zone), written once a day.

        Coarse on purpose (issue 17, docs/voting.md "What each can learn"): a time to the minute beside
        the person would date each of their requests, and could be joined with the server's access log
        (a request's time and address). A day says whether a token is still in use, which is what the
        list of one's tokens is for, and costs one write a day instead of one a minute."""
        day = used_on(timezone.now())
        if self.last_used_at is None or self.last_used_at < day:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=day)
            self.last_used_at = day
