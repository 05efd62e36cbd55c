from django.contrib import admin
from django.urls import include, path

from meetings.api import api

urlpatterns = [
    path("", include("operations.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("live/", include("realtime.urls")),
    path("votes/", include("meetings.voting.urls")),
    path("briefing/", include("media.urls")),
    path("reports/", include("meetings.reports.urls")),
    path("consultations/", include("meetings.consultation.urls")),
    path("", include("meetings.documents.urls")),
    path("", include("meetings.minutes.urls")),
    path("", include("meetings.tasks.urls")),
    path("", include("realtime.export_urls")),
    path("", include("frontend.urls")),
]
