"""A consultation, its questions, whom it asks, their answers, and the files it carries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit


class Consultation(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Asking")  # until the deadline; after it, answers are refused (``is_closed``)
        WITHDRAWN = "withdrawn", _("Withdrawn")

    title = models.CharField(_("title"), max_length=500)
    body = models.TextField(_("what is asked"), blank=True)
    host_unit = models.ForeignKey(Unit, verbose_name=_("asking office"), on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("asked by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    deadline = models.DateTimeField(_("answers until"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("written consultation")
        verbose_name_plural = _("written consultations")
        ordering = ["-deadline", "-pk"]
        indexes = [models.Index(fields=["status", "deadline"], name="consultation_status_deadline")]

    def __str__(self) -> str:
        return self.title

    def is_closed(self, now=None) -> bool:
        return self.status != self.Status.OPEN or (now or timezone.now()) >= self.deadline


class Question(models.Model):
    class Kind(models.TextChoices):
        OPINION = "opinion", _("Agree / disagree / other opinion")
        FREE = "free", _("Free answer")

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(default=1)
    text = models.TextField(_("question"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OPINION)

    class Meta:
        ordering = ["consultation", "order", "pk"]


class Recipient(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    changed = models.PositiveIntegerField(_("times changed"), default=0)
    file_sha256 = models.CharField(max_length=64, blank=True)  # an attachment to the answer (PDF intake)
    file_name = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consultation", "user"], name="one_recipient_per_person")]
        ordering = ["consultation", "pk"]


class Answer(models.Model):
    class Choice(models.TextChoices):
        AGREE = "agree", _("Agree")
        DISAGREE = "disagree", _("Disagree")
        OTHER = "other", _("Other opinion")

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    choice = models.CharField(max_length=16, choices=Choice.choices, blank=True)
    text = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recipient", "question"], name="one_answer_per_question")]


class Attachment(models.Model):
    """A draft sent with the consultation: a PDF through the document intake (sandboxed, content-addressed)."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="attachments")
    sha256 = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    title = models.CharField(max_length=500, blank=True)
    pages = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["consultation", "pk"]
