"""The briefing page, mounted at /briefing/."""

from django.urls import path

from media import views

urlpatterns = [
    path("<int:meeting_id>/", views.briefing, name="briefing"),
]
