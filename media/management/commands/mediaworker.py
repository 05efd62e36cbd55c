"""``manage.py mediaworker --name N``: a media worker process (media/worker.py)."""

from __future__ import annotations

import asyncio

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run a media worker: video briefings of the meetings that PHONGHOP_MEDIA_WORKERS assigns to this name."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="this worker's name, as listed in PHONGHOP_MEDIA_WORKERS")

    def handle(self, *args, name: str, **options):
        from media.worker import Worker

        if "redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"].lower():
            raise CommandError("A media worker is reached through the channel layer: set REDIS_URL.")
        if name not in settings.PHONGHOP_MEDIA_WORKERS:
            self.stderr.write(f"note: {name!r} is not in PHONGHOP_MEDIA_WORKERS; no meeting will be sent here")
        self.stdout.write(f"media worker {name} listening on mediaworker.{name}")
        from media.backend import settings_from_django, uses_janus
        from media.cluster import cluster_for
        from media.ports import new_loop

        server = None
        if uses_janus():  # the worker decides, Janus carries the media (media/janus/backend.py)
            from media.janus.backend import JanusServer
            from media.janus.backend import settings_from_django as janus_settings

            server = JanusServer(janus_settings(), roll_call=True)
            self.stdout.write(f"driving Janus at {', '.join(server.settings.urls)}")
        ports = settings_from_django().udp_ports
        try:
            with asyncio.Runner(loop_factory=lambda: new_loop(ports)) as runner:
                # A worker driving Janus takes whole briefings by meeting id (no heartbeat, no trunks): a
                # briefing's decisions live in one place, and Janus carries its media.
                cluster = None if server is not None else cluster_for(name)
                runner.run(Worker(name, get_channel_layer(), server, cluster=cluster).run())
        except KeyboardInterrupt:
            pass
