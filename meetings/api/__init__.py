"""REST API v1 (django-ninja). Public contract: see docs/api.md and /api/v1/openapi.json."""

from meetings.api.app import api

__all__ = ["api"]
