from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "meetings.tasks"
    label = "tasks"
    verbose_name = _("Follow-up tasks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the periodic reminder job with the consumer (run_huey, or `phonghop start`'s).
        from meetings.tasks import jobs  # noqa: F401
