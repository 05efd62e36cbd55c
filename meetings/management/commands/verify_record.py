"""Check the hash chains of the audit trail and of every meeting's event log; exit 1 at the first break."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from meetings.record import report


class Command(BaseCommand):
    help = "Verify the tamper-evident record (audit trail and meeting event logs); report the first broken link."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--meeting", type=int, action="append", help="only this meeting's log (repeatable)")

    def handle(self, *args, **options) -> None:
        result = report.run(options["meeting"])
        self.stdout.write(f"audit trail: {result.audit_entries} entries ({result.sealed_now} sealed now); "
                          f"event logs: {result.events} events in {result.meetings} meetings")
        for found in result.breaks:
            self.stdout.write(self.style.ERROR(f"BROKEN {found}"))
        if not result.intact:
            raise CommandError(f"{len(result.breaks)} broken chain(s)")
        self.stdout.write(self.style.SUCCESS("intact"))
