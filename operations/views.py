"""``/healthz`` (the process answers), ``/readyz`` (its dependencies answer), ``/metrics`` (Prometheus,
closed to the public). Plain views outside the API: probes and scrapers call them without a session."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import metrics as metrics_module
from . import readiness

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    ready, checks = readiness.run()
    if ready:
        return JsonResponse({"status": "ok", "checks": checks})
    failed = ", ".join(name for name, result in checks.items() if result.startswith("failed"))
    return JsonResponse({"error": {"code": "not_ready", "message": _("Not ready: %(failed)s.") % {"failed": failed}},
                         "checks": checks}, status=503)


def may_scrape(request: HttpRequest) -> bool:
    """A scraper with the metrics token, or a program on this machine talking to Daphne directly. A request
    that came through the proxy carries forwarded headers (and, behind nginx without them, would look local:
    set PHONGHOP_METRICS_TOKEN there, or close /metrics in nginx)."""
    token = settings.PHONGHOP_METRICS_TOKEN
    if token:
        sent = request.META.get("HTTP_AUTHORIZATION", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    if any(request.META.get(name) for name in FORWARDED_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_scrape(request):
        # As for any unknown address: nothing says there is something here.
        return JsonResponse({"error": {"code": "not_found", "message": _("Not found, or you may not see it.")}},
                            status=404)
    return HttpResponse(metrics_module.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
