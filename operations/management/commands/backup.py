from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations import backup


class Command(BaseCommand):
    help = ("Back up the database and the data directory's files into one archive (tar; .tar.gz compresses), "
            "with a manifest of hashes. The ballot secret is not in it: --ballot-secret-to writes it apart.")

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--ballot-secret-to", type=Path, default=None,
                            help="also write the ballot secret to this file (mode 0600), in another folder")

    def handle(self, archive: Path, ballot_secret_to: Path | None, **options):
        try:
            manifest = backup.create_backup(archive, ballot_secret_to)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        counts = manifest["summary"]
        self.stdout.write(f"{archive}: {len(counts['meetings'])} meetings, {len(counts['documents'])} document "
                          f"versions, {len(counts['votes'])} votes, {len(manifest['members']) - 1} files")
