"""The meeting domain. Only ``meetings.services`` changes these rows (see docs/architecture.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit
from meetings.textsearch import fold


class MeetingKind(models.Model):
    name = models.CharField(_("name"), max_length=255, unique=True)

    class Meta:
        verbose_name = _("meeting kind")
        verbose_name_plural = _("meeting kinds")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    name = models.CharField(_("name"), max_length=255)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL)
    address = models.CharField(_("address"), max_length=255, blank=True)
    capacity = models.PositiveIntegerField(_("seats"), null=True, blank=True)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    class Classification(models.TextChoices):
        NONE = "none", _("Not classified")
        CONFIDENTIAL = "mat", _("Mật")
        SECRET = "toi_mat", _("Tối mật")
        TOP_SECRET = "tuyet_mat", _("Tuyệt mật")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        IN_PROGRESS = "in_progress", _("In progress")
        ENDED = "ended", _("Ended")
        ARCHIVED = "archived", _("Archived")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=500)
    kind = models.ForeignKey(MeetingKind, verbose_name=_("kind"), null=True, blank=True, on_delete=models.PROTECT)
    description = models.TextField(_("content"), blank=True)
    host_unit = models.ForeignKey(Unit, verbose_name=_("host unit"), on_delete=models.PROTECT, related_name="hosted_meetings")
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("chair"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="chaired_meetings",
    )
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("secretary"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="secretary_meetings",
    )
    start = models.DateTimeField(_("start"), db_index=True)
    end = models.DateTimeField(_("end"))
    room = models.ForeignKey(Room, verbose_name=_("room"), null=True, blank=True, on_delete=models.PROTECT)
    location = models.CharField(_("place"), max_length=255, blank=True)
    format = models.CharField(_("format"), max_length=16, choices=Format.choices, default=Format.IN_PERSON)
    remote_sites = models.ManyToManyField(Unit, verbose_name=_("remote sites"), blank=True, related_name="site_meetings")
    classification = models.CharField(
        _("classification"), max_length=16, choices=Classification.choices, default=Classification.NONE
    )
    urgent = models.BooleanField(_("urgent meeting"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    preparation = models.TextField(_("what to prepare"), blank=True)
    contact = models.CharField(_("contact"), max_length=255, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # Title and content folded (no diacritics, lower case) for search; kept by save().
    search_text = models.TextField(default="", editable=False)
    # iCalendar SEQUENCE: bumped whenever participants are told of a change, so calendar apps update.
    ics_sequence = models.PositiveIntegerField(default=0, editable=False)
    # The last event sequence number handed out (see MeetingEvent); bumped under a row lock.
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-start"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.search_text = fold(f"{self.title} {self.description}")
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    @property
    def place(self) -> str:
        parts = [str(self.room) if self.room_id else "", self.location]
        return ", ".join(p for p in parts if p)

    def time_state(self, now=None) -> str:
        now = now or timezone.now()
        if self.end < now:
            return "finished"
        if self.start <= now:
            return "ongoing"
        return "upcoming"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items", verbose_name=_("meeting"))
    order = models.PositiveIntegerField(_("order"))
    title = models.CharField(_("title"), max_length=500)
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("presenter"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    presenter_name = models.CharField(_("presenter (name)"), max_length=255, blank=True)
    planned_minutes = models.PositiveIntegerField(_("planned minutes"), default=15)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda")
        ordering = ["meeting", "order"]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    @property
    def presenter_display(self) -> str:
        if self.presenter_id:
            return str(self.presenter)
        return self.presenter_name


class Participant(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        SECRETARY = "secretary", _("Secretary")
        DELEGATE = "delegate", _("Delegate")
        GUEST = "guest", _("Guest")
        SITE = "site", _("Remote site")

    class Rsvp(models.TextChoices):
        PENDING = "pending", _("Not answered")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        SUBSTITUTED = "substituted", _("Substitute sent")
        PROXY = "proxy", _("Proxy given")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants", verbose_name=_("meeting"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="participations", verbose_name=_("person")
    )
    role = models.CharField(_("role in meeting"), max_length=16, choices=Role.choices, default=Role.DELEGATE)
    can_vote = models.BooleanField(_("voting right"), default=True)
    site = models.ForeignKey(
        Unit, verbose_name=_("remote site"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rsvp = models.CharField(_("answer"), max_length=16, choices=Rsvp.choices, default=Rsvp.PENDING)
    rsvp_reason = models.TextField(_("reason"), blank=True)
    rsvp_at = models.DateTimeField(_("answered"), null=True, blank=True)
    substitute_for = models.ForeignKey(
        "self", verbose_name=_("attends instead of"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="substitutes",
    )
    proxy_to = models.ForeignKey(
        "self", verbose_name=_("proxy given to"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="proxies_received",
    )
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_participation_per_person")]
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class MeetingEvent(models.Model):
    """The meeting's event log: every state change, numbered by the meeting's increasing ``seq``."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("meeting event")
        verbose_name_plural = _("meeting events")
        constraints = [models.UniqueConstraint(fields=["meeting", "seq"], name="one_event_per_seq")]
        ordering = ["meeting", "seq"]


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=500)
    body = models.TextField(_("content"), blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]


class AuditEntry(models.Model):
    """Who did what, when. Append-only: services write it, nothing updates or deletes it."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=64, db_index=True)
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target = models.CharField(_("object"), max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at"]
