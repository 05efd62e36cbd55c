from django.core.management.base import BaseCommand
from huey.exceptions import TaskLockedException


class Command(BaseCommand):
    help = "Send the task deadline reminders due now (what the periodic job does), once across processes."

    def handle(self, *args, **options) -> None:
        from meetings.tasks.jobs import task_reminders

        try:
            sent = task_reminders.call_local()
        except TaskLockedException:
            self.stdout.write("locked: another process is sending reminders")
            return
        self.stdout.write(f"sent {sent}")
