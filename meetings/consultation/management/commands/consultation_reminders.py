"""Remind the people who have not answered a consultation whose deadline is near (once per consultation, even
when several servers run this at the same moment). Run it every few minutes from cron or the job runner."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from meetings.consultation.services import remind_due


class Command(BaseCommand):
    help = "Send the due reminders of written consultations."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{remind_due()} reminder(s) sent")
