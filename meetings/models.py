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
    # SHA-256 over the previous event's hash and this event (meetings/record/chain.py): the meeting's log is a
    # hash chain, checked by ``verify_record``. Written with the event, under the meeting row's lock.
    hash = models.CharField(max_length=64, blank=True, editable=False)

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
    # The entry's place in the audit chain and its hash, given right after the entry's transaction commits
    # (meetings/record/seal.py): sealing in commit order keeps the chain whole without a lock in the services.
    chain_index = models.PositiveBigIntegerField(null=True, blank=True, unique=True, editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at"]


class ArchivedRecord(models.Model):
    """A meeting whose retention period has passed: its record written to an archive file (ZIP with a SHA-256
    manifest, meetings/record/archive.py) and checked, after which its operational data was cleared."""

    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="archived_record")
    path = models.CharField(max_length=500)  # under the data directory's archive/ folder
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    made_at = models.DateTimeField(default=timezone.now)


class RecordChain(models.Model):
    """The head of a hash chain that is sealed after commit (the audit trail): the row the sealer locks."""

    name = models.CharField(max_length=32, primary_key=True)
    head_index = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64)


# The live room ------------------------------------------------------------------------------------
# Changed only by meetings.services.live; every change appends a MeetingEvent (see docs/protocol.md).


class Attendance(models.Model):
    """Roll call (điểm danh): one row per participant once someone has marked them."""

    class Status(models.TextChoices):
        NOT_YET = "not_yet", _("Not checked in yet")
        IN_PERSON = "in_person", _("Present in person")
        ONLINE = "online", _("Present online")
        ABSENT = "absent", _("Absent")
        LEFT = "left", _("Left the meeting")

    participant = models.OneToOneField(
        Participant, primary_key=True, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("participant")
    )
    status = models.CharField(_("attendance"), max_length=16, choices=Status.choices, default=Status.NOT_YET)
    site = models.ForeignKey(
        Unit, verbose_name=_("remote site"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("changed"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    # Why the person is absent: shown to the meeting's organisers only.
    reason = models.TextField(_("reason for absence"), blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("marked by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("roll call")


class LiveState(models.Model):
    """What is happening in the room now: agenda item and its timer, the floor, the quorum rule."""

    class Floor(models.TextChoices):
        CLOSED = "closed", _("Closed")
        OPEN = "open", _("Open for requests")
        PAUSED = "paused", _("Paused")

    class QuorumRule(models.TextChoices):
        MAJORITY = "majority", _("More than half of the members with a voting right")
        TWO_THIRDS = "two_thirds", _("At least two thirds of the members with a voting right")
        NONE = "none", _("No quorum required")

    meeting = models.OneToOneField(
        Meeting, primary_key=True, on_delete=models.CASCADE, related_name="live", verbose_name=_("meeting")
    )
    current_item = models.ForeignKey(
        AgendaItem, verbose_name=_("current agenda item"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # When the current item's timer last started; time spent on each item before that, in seconds.
    item_started_at = models.DateTimeField(null=True, blank=True)
    item_elapsed = models.JSONField(default=dict, blank=True)
    floor = models.CharField(_("floor"), max_length=16, choices=Floor.choices, default=Floor.CLOSED)
    speaking_limit = models.PositiveIntegerField(_("speaking time limit (seconds)"), default=180)
    quorum_rule = models.CharField(_("quorum rule"), max_length=16, choices=QuorumRule.choices,
                                   default=QuorumRule.MAJORITY)
    # Last presence broadcast, shared by all server processes to send at most one per second.
    presence_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("live state")
        verbose_name_plural = _("live states")


class SpeakRequest(models.Model):
    """A request to speak or a question (đăng ký phát biểu / chất vấn), and the turn it became."""

    class Kind(models.TextChoices):
        SPEAK = "speak", _("Request to speak")
        QUESTION = "question", _("Question")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SPEAKING = "speaking", _("Speaking")
        DONE = "done", _("Done")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CANCELLED = "cancelled", _("Cancelled")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="speak_requests", verbose_name=_("meeting"))
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="speak_requests", verbose_name=_("participant")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SPEAK)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    agenda_item = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started speaking"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    limit_seconds = models.PositiveIntegerField(_("time limit (seconds)"), default=0)

    class Meta:
        verbose_name = _("request to speak")
        verbose_name_plural = _("requests to speak")
        ordering = ["meeting", "id"]
        indexes = [models.Index(fields=["meeting", "status"], name="speakrequest_meeting_status")]


class CommandReceipt(models.Model):
    """The answer to one socket command, stored with its effect so a retried command id has no second effect."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    command_id = models.CharField(max_length=64)
    name = models.CharField(max_length=64)
    reply = models.JSONField(default=dict)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user", "command_id"], name="one_receipt_per_command_id")
        ]


class LiveConnection(models.Model):
    """One open meeting socket, on any server process: who is connected, and from which site."""

    channel_name = models.CharField(max_length=255, unique=True)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The server process holding the socket; it refreshes last_seen for all its sockets at once.
    server = models.CharField(max_length=64, db_index=True)
    connected_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["meeting", "last_seen"], name="liveconnection_meeting_seen")]
