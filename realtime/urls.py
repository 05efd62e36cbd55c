"""Pages of the live room, mounted at /live/."""

from django.urls import path

from realtime import views

urlpatterns = [
    path("<int:meeting_id>/", views.room, name="live-room"),
    path("<int:meeting_id>/console/", views.console, name="live-console"),
]
