"""Minutes (biên bản) and the conclusion notice (thông báo kết luận) of a meeting, as stored.

Only ``meetings.minutes.services`` changes these rows. The text lives in ``content`` (a JSON document
drafted from what the system recorded, see ``draft.py``); the DOCX and PDF files are rendered from it
(``layout.py``), so both always say the same thing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models import Meeting


class Minutes(models.Model):
    """One per meeting. Its text is in versions: the latest is the working one; approved ones are frozen."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes",
                                   verbose_name=_("meeting"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self) -> str:
        return f"{self.meeting}"

    @property
    def current(self) -> MinutesVersion:
        return self.versions.order_by("-number").first()  # type: ignore[return-value]


class MinutesVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("Sent to the chair for review")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", _("Approved")

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    # draft.draft_content(): header, facts, attendance, items (speakers, votes, discussion, conclusion), ...
    content = models.JSONField(_("content"), default=dict)
    # Why this version exists (a change after approval needs one); empty for the first.
    reason = models.TextField(_("reason for the new version"), blank=True)
    return_reason = models.TextField(_("reason for returning"), blank=True)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("last edited by"))
    edited_at = models.DateTimeField(_("last edited"), default=timezone.now)
    submitted_at = models.DateTimeField(_("sent for review"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("approved or returned by"))
    decided_at = models.DateTimeField(_("approved or returned"), null=True, blank=True)

    class Meta:
        verbose_name = _("minutes version")
        verbose_name_plural = _("minutes versions")
        ordering = ["minutes", "number"]
        constraints = [models.UniqueConstraint(fields=["minutes", "number"], name="one_minutes_version_number")]

    @property
    def frozen(self) -> bool:
        return self.status == self.Status.APPROVED


class ConclusionNotice(models.Model):
    """Thông báo kết luận: drafted from the minutes' conclusions, due within N working days of the meeting."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="conclusion_notice",
                                   verbose_name=_("meeting"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    # draft.notice_content(): header, intro, conclusions, closing, recipients, signer.
    content = models.JSONField(_("content"), default=dict)
    due_date = models.DateField(_("due"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    edited_at = models.DateTimeField(_("last edited"), default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("issued by"))
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)

    class Meta:
        verbose_name = _("conclusion notice")
        verbose_name_plural = _("conclusion notices")


class SignedDocument(models.Model):
    """A PDF as signed (PAdES): the approved minutes of one version, or the issued notice.

    The bytes are kept in the database, not re-rendered: a signature covers these exact bytes, and they
    go into backups together with the record they sign. Verified each time they are shown or served."""

    class Kind(models.TextChoices):
        MINUTES = "minutes", _("Minutes")
        NOTICE = "notice", _("Conclusion notice")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="signed_documents",
                                verbose_name=_("meeting"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"), default=0)  # the minutes' version; 0 for the notice
    pdf = models.BinaryField(_("signed PDF"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    signer_name = models.CharField(_("certificate holder"), max_length=255)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("signed by"))
    signed_at = models.DateTimeField(_("signed"), default=timezone.now)

    class Meta:
        verbose_name = _("signed document")
        verbose_name_plural = _("signed documents")
        constraints = [models.UniqueConstraint(fields=["meeting", "kind", "version"], name="one_signature_per_document")]
