"""The briefing page, mounted at /briefing/."""

from django.urls import path

from media import views

urlpatterns = [
    path("<int:meeting_id>/", views.briefing, name="briefing"),
    path("<int:meeting_id>/recordings/", views.recordings, name="briefing-recordings"),
    path("<int:meeting_id>/recordings/<str:name>", views.recording_file, name="briefing-recording"),
]
