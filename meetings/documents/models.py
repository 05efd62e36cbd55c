"""Meeting documents. Only ``meetings.documents.services`` (and the presentation commands) change these
rows; the admin shows them read-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit
from meetings.models import AgendaItem, Meeting, Participant
from meetings.textsearch import fold


class Document(models.Model):
    """A meeting document (tài liệu họp) for an agenda item: its versions, who may see it and when."""

    class Kind(models.TextChoices):
        REPORT = "report", _("Report")
        DRAFT = "draft", _("Draft for comment")
        DECISION = "decision", _("Draft decision or resolution")
        SLIDES = "slides", _("Presentation slides")
        REFERENCE = "reference", _("Reference material")
        OTHER = "other", _("Other")

    class Access(models.TextChoices):
        ALL = "all", _("All participants")
        NAMED = "named", _("Named participants only")
        CLASSIFIED = "classified", _("Classified (named participants only)")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="documents", verbose_name=_("meeting"))
    agenda_item = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="documents",
    )
    title = models.CharField(_("title"), max_length=500)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.REPORT)
    order = models.PositiveIntegerField(_("order"), default=0)
    access = models.CharField(_("access"), max_length=16, choices=Access.choices, default=Access.ALL)
    classification = models.CharField(
        _("classification"), max_length=16, choices=Meeting.Classification.choices,
        default=Meeting.Classification.NONE,
    )
    allowed_participants = models.ManyToManyField(
        Participant, verbose_name=_("allowed participants"), blank=True, related_name="+"
    )
    available_from = models.DateTimeField(_("available from"), null=True, blank=True)
    available_until = models.DateTimeField(_("available until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("recalled"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recalled by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    preparing_unit = models.ForeignKey(
        Unit, verbose_name=_("preparing unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The version participants see: the latest approved one (None until one is approved).
    current_version = models.ForeignKey(
        "DocumentVersion", verbose_name=_("current version"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("meeting document")
        verbose_name_plural = _("meeting documents")
        ordering = ["meeting", "order", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def restricted(self) -> bool:
        """Named or classified: every page image and download carries the viewer's watermark."""
        return self.access != self.Access.ALL


class DocumentVersion(models.Model):
    """One uploaded file of a document. A new upload adds a version; the history is kept."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions", verbose_name=_("document"))
    number = models.PositiveIntegerField(_("version"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    pages = models.PositiveIntegerField(_("pages"))
    title = models.CharField(_("title in the file"), max_length=500, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    converted_from = models.CharField(_("converted from"), max_length=16, blank=True)
    page_sizes = models.JSONField(_("page sizes (points)"), default=list)
    has_javascript = models.BooleanField(_("contains JavaScript"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    status = models.CharField(_("approval"), max_length=16, choices=Status.choices, default=Status.APPROVED)
    reason = models.TextField(_("reason for returning"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="one_version_number_per_document")]

    def __str__(self) -> str:
        return f"{self.document} (v{self.number})"


class PageText(models.Model):
    """The text of one page, as read at intake, and its folded form for diacritic-free search."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="texts")
    page = models.PositiveIntegerField(_("page"))
    text = models.TextField(_("text"), blank=True)
    folded = models.TextField(editable=False, blank=True)

    class Meta:
        verbose_name = _("page text")
        verbose_name_plural = _("page texts")
        ordering = ["version", "page"]
        constraints = [models.UniqueConstraint(fields=["version", "page"], name="one_text_per_page")]

    def save(self, *args, **kwargs) -> None:
        self.folded = fold(self.text)
        super().save(*args, **kwargs)


class PrivateNote(models.Model):
    """A personal note (ghi chú cá nhân) on a page, seen only by its author. Keyed by document and page,
    so it stays when a new version comes. The rectangle is in fractions of the page (0..1)."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("author"))
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="notes", verbose_name=_("document"))
    page = models.PositiveIntegerField(_("page"))
    text = models.TextField(_("text"), blank=True)
    x = models.FloatField(null=True, blank=True)
    y = models.FloatField(null=True, blank=True)
    w = models.FloatField(null=True, blank=True)
    h = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("personal note")
        verbose_name_plural = _("personal notes")
        ordering = ["document", "page", "id"]
        indexes = [models.Index(fields=["author", "document"], name="note_author_document")]


class ReadMark(models.Model):
    """Who opened which version of a document and which of its pages they saw (read tracking)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("person"))
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="reads", verbose_name=_("document"))
    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="+", verbose_name=_("version"))
    pages_seen = models.JSONField(_("pages seen"), default=list)
    first_opened_at = models.DateTimeField(_("first opened"), default=timezone.now)
    last_opened_at = models.DateTimeField(_("last opened"), default=timezone.now)

    class Meta:
        verbose_name = _("read mark")
        verbose_name_plural = _("read marks")
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="one_read_mark_per_version")]


class MeetingBook(models.Model):
    """One person's meeting book: the cover, then every document they may see, as one PDF."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        BUILDING = "building", _("Building")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+", verbose_name=_("meeting"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("person"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    sha256 = models.CharField(_("SHA-256 of the book"), max_length=64, blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    error = models.TextField(_("error"), blank=True)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    built_at = models.DateTimeField(_("built"), null=True, blank=True)
    # What the book was built from (document versions, access, meeting data), as a hash: when it no
    # longer matches, the book is out of date and is built again.
    built_from = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("meeting book")
        verbose_name_plural = _("meeting books")
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_book_per_person")]


class Presentation(models.Model):
    """The synchronized presentation (trình chiếu) of a meeting: which document, version and page the
    presenter shows. Ids are plain numbers, not foreign keys, so the state stays what the events said."""

    meeting = models.OneToOneField(Meeting, primary_key=True, on_delete=models.CASCADE, related_name="+",
                                   verbose_name=_("meeting"))
    document_id = models.BigIntegerField(_("document"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    page = models.PositiveIntegerField(_("page"), null=True, blank=True)
    presenter_participant_id = models.BigIntegerField(_("designated presenter"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("presentation")
        verbose_name_plural = _("presentations")
