"""The ``phonghop`` command: the common tasks in one place.

    phonghop start [--demo] [--host H] [--port P]   migrate, (seed demo data), serve with Daphne
    phonghop demo                                 seed the demo province and print its logins
    phonghop manage <django command ...>          any manage.py command
    phonghop mediaworker --name N                 a media worker for video briefings (needs REDIS_URL)
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
    elif args.command == "manage":
        execute_from_command_line(["phonghop", *args.args])


if __name__ == "__main__":
    main()
