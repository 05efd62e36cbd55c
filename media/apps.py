import logging

from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "media"
    verbose_name = "Media (video briefings)"

    def ready(self) -> None:
        from media import floor, signaling
        from realtime import consumers

        consumers.FRAME_HANDLERS["media"] = signaling.receive
        if signaling.closed not in consumers.CLOSE_HANDLERS:
            consumers.CLOSE_HANDLERS.append(signaling.closed)
        floor.connect()
        # aioice logs every candidate pair it checks at INFO.
        logging.getLogger("aioice").setLevel(logging.WARNING)
