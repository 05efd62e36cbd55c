from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations import backup


class Command(BaseCommand):
    help = ("Restore an archive made by `backup` into this empty deployment (migrates first), after checking "
            "every member against its manifest; then compares the restored deployment with the manifest. "
            "--check only checks the archive.")

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--ballot-secret", type=Path, default=None,
                            help="the file written by `backup --ballot-secret-to`")
        parser.add_argument("--check", action="store_true", help="check the archive only; change nothing")

    def handle(self, archive: Path, ballot_secret: Path | None, check: bool, **options):
        try:
            if check:
                manifest = backup.verify(archive)
                self.stdout.write(f"{archive}: intact ({len(manifest['members'])} members)")
                return
            summary = backup.restore(archive, ballot_secret)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {len(summary['meetings'])} meetings, {len(summary['documents'])} document "
                          f"versions, {len(summary['votes'])} votes; the deployment matches the backup")
