from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationConfig(AppConfig):
    name = "meetings.consultation"
    label = "consultation"
    verbose_name = _("Written consultations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The reminders' periodic job, registered with Huey (settings.HUEY).
        from meetings.consultation import jobs  # noqa: F401

