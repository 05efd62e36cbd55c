"""The site's URLs plus the roll-call downloads (which the site includes from realtime/export_urls.py)."""

from django.urls import include, path

urlpatterns = [
    path("", include("realtime.export_urls")),
    path("", include("config.urls")),
]
