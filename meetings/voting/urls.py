"""Pages of votes, mounted at /votes/."""

from django.urls import path

from meetings.voting import views

urlpatterns = [
    path("<int:meeting_id>/screen/", views.screen, name="vote-screen"),
]
