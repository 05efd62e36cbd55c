from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        # The daily retention job (meetings/record/retention.py), registered with Huey (settings.HUEY).
        from meetings.record import jobs  # noqa: F401
