"""The ``phonghop`` command: the common tasks in one place.

    phonghop start [--demo] [--host H] [--port P]   migrate, (seed demo data), serve with Daphne
    phonghop demo                                 seed the demo province and print its logins
    phonghop manage <django command ...>          any manage.py command
    phonghop mediaworker --name N                 a media worker for video briefings (needs REDIS_URL)
    phonghop backup FILE [--ballot-secret-to F]   database + files into one archive (operations/backup.py)
    phonghop restore FILE [--ballot-secret F]     into an empty deployment, checked against the manifest
"""

from __future__ import annotations

import argparse
import os
import sys


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _prepare(demo: bool) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    try:
        call_command("compilemessages", verbosity=0, ignore=[".venv"])
    except Exception as exc:  # gettext missing: the committed .mo files are used as they are
        print(f"compilemessages skipped: {exc}", file=sys.stderr)
    if demo:
        call_command("seed_demo")


def _start_jobs() -> None:
    """Run the background-job consumer (Huey: task reminders) in this process's threads, so the embedded
    default needs no second process. PHONGHOP_JOBS=0 leaves it to a separate `phonghop manage run_huey`."""
    if os.environ.get("PHONGHOP_JOBS", "1") == "0":
        return
    from huey.contrib.djhuey import HUEY

    HUEY.create_consumer(workers=1, worker_type="thread", periodic=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="phonghop", description="Phòng họp số")
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="migrate and serve (Daphne: HTTP and WebSocket)")
    start.add_argument("--demo", action="store_true", help="seed the demo province first")
    start.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    start.add_argument("--port", default=os.environ.get("PORT", "8000"))
    sub.add_parser("demo", help="seed the demo province and print its logins")
    worker = sub.add_parser("mediaworker", help="run a media worker for video briefings (needs REDIS_URL)")
    worker.add_argument("--name", required=True)
    backup = sub.add_parser("backup", help="back up the database and the data directory's files")
    backup.add_argument("archive")
    backup.add_argument("--ballot-secret-to", default=None, help="also write the ballot secret here, apart")
    restore = sub.add_parser("restore", help="restore a backup into an empty deployment")
    restore.add_argument("archive")
    restore.add_argument("--ballot-secret", default=None, help="the file `backup --ballot-secret-to` wrote")
    restore.add_argument("--check", action="store_true", help="only check the archive against its manifest")
    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    _django()
    from django.core.management import execute_from_command_line

    if args.command == "start":
        _prepare(args.demo)
        _start_jobs()
        print(f"Phòng họp số: http://{args.host}:{args.port}/", flush=True)
        from daphne.cli import CommandLineInterface

        # A mass reconnect (a commune link coming back, a restart) queues handshakes behind each other's
        # access checks; Daphne's default of 5 s would drop the late ones (measured in bench/fanout).
        CommandLineInterface().run(["-b", args.host, "-p", str(args.port), "--websocket_connect_timeout", "60",
                                    "config.asgi:application"])
    elif args.command == "demo":
        _prepare(True)
    elif args.command == "mediaworker":
        execute_from_command_line(["phonghop", "mediaworker", "--name", args.name])
    elif args.command == "backup":
        extra = ["--ballot-secret-to", args.ballot_secret_to] if args.ballot_secret_to else []
        execute_from_command_line(["phonghop", "backup", args.archive, *extra])
    elif args.command == "restore":
        extra = (["--ballot-secret", args.ballot_secret] if args.ballot_secret else []) + (
            ["--check"] if args.check else [])
        execute_from_command_line(["phonghop", "restore", args.archive, *extra])
    elif args.command == "manage":
        execute_from_command_line(["phonghop", *args.args])


if __name__ == "__main__":
    main()
