from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "meetings.documents"
    label = "documents"
    verbose_name = _("Meeting documents")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The presentation's socket commands, state section and reducer (docs/protocol.md).
        from meetings.documents import presentation

        presentation.register()
