"""Archive the meetings past their retention period (PHONGHOP_RETENTION_DAYS) and clear their operational data."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from meetings.record import retention


class Command(BaseCommand):
    help = "Write the records of meetings past PHONGHOP_RETENTION_DAYS to archive files, then clear their live data."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, help="instead of PHONGHOP_RETENTION_DAYS")

    def handle(self, *args, **options) -> None:
        done = retention.apply(days=options["days"])
        self.stdout.write(f"{len(done)} meeting(s) archived: {done}")
