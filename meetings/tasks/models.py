"""Follow-up tasks (nhiệm vụ) a meeting assigns, and their history. Only ``meetings.tasks.services``
changes these rows.

"Overdue" is not stored: a task is overdue while it is open (assigned, in progress, extended) and its
deadline has passed, so it can never disagree with the calendar (``Task.overdue_q``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Unit
from meetings.models import AgendaItem, Meeting


class Task(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", pgettext_lazy("task", "In progress")
        EXTENDED = "extended", _("Deadline extended")
        DONE = "done", pgettext_lazy("task", "Done")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", pgettext_lazy("task priority", "Urgent")

    OPEN = (Status.ASSIGNED, Status.IN_PROGRESS, Status.EXTENDED)

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("meeting"))
    agenda_item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("agenda item"))
    # The conclusion the task carries out, as the minutes or the notice worded it.
    conclusion = models.TextField(_("conclusion"), blank=True)
    title = models.CharField(_("task"), max_length=500)
    description = models.TextField(_("details"), blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks",
                             verbose_name=_("unit in charge"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="tasks", verbose_name=_("person in charge"))
    deadline = models.DateField(_("deadline"), db_index=True)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ASSIGNED,
                              db_index=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("assigned by"))
    created_at = models.DateTimeField(_("assigned"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    done_at = models.DateTimeField(_("reported done"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("completion confirmed by"))
    confirmed_at = models.DateTimeField(_("completion confirmed"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["unit", "status"], name="task_unit_status"),
                   models.Index(fields=["assignee", "status"], name="task_assignee_status")]

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def overdue_q(today: dt.date | None = None) -> Q:
        return Q(status__in=Task.OPEN, deadline__lt=today or timezone.localdate())

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.status in self.OPEN and self.deadline < (today or timezone.localdate())

    @property
    def shown_status(self) -> str:
        """What the lists show: "overdue" for an open task past its deadline, else the stored status."""
        return "overdue" if self.is_overdue() else self.status


class TaskUpdate(models.Model):
    """One step in a task's history: a progress report, an extension, a confirmation, a reopening."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        CHANGED = "changed", _("Changed")
        REPORT = "report", _("Progress report")
        DONE = "done", _("Reported done")
        EXTENDED = "extended", _("Deadline extended")
        CONFIRMED = "confirmed", _("Completion confirmed")
        REOPENED = "reopened", _("Sent back")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="updates", verbose_name=_("task"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("by"))
    text = models.TextField(_("text"), blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), null=True, blank=True)
    old_deadline = models.DateField(_("old deadline"), null=True, blank=True)
    new_deadline = models.DateField(_("new deadline"), null=True, blank=True)
    attachment = models.FileField(_("attachment"), upload_to="tasks/%Y/%m/", blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("task update")
        verbose_name_plural = _("task updates")
        ordering = ["task", "at", "id"]


class TaskReminder(models.Model):
    """A reminder sent: one row per task and reminder key ("due:2026-12-10", "overdue:2026-12-10"). The unique
    constraint, not a lock, makes each reminder go out once, whatever the number of processes sending."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reminders")
    key = models.CharField(max_length=32)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "key"], name="one_reminder_per_task_and_key")]
