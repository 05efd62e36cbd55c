from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Health and readiness checks, metrics, structured logs, backup and restore (docs/operations.md)."""

    name = "operations"
    verbose_name = "Vận hành"
