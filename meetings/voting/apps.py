from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VotingConfig(AppConfig):
    name = "meetings.voting"
    label = "voting"
    verbose_name = _("Votes and elections")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The socket commands (vote.*) and the live room's state section, reducer and audience filters.
        # The deadline jobs register with the Huey consumer (run_huey, or `phonghop start`'s).
        from meetings.voting import commands, jobs, live_state  # noqa: F401

        live_state.register()
