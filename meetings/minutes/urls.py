"""Pages of the minutes and the conclusion notice."""

from django.urls import path

from frontend.language import vietnamese_by_default
from meetings.minutes import views

urlpatterns = [
    path("meetings/<int:meeting_id>/minutes/", vietnamese_by_default(views.minutes_page), name="minutes-page"),
    path("meetings/<int:meeting_id>/notice/", vietnamese_by_default(views.notice_page), name="notice-page"),
    path("after-meetings/", vietnamese_by_default(views.after_meetings), name="after-meetings"),
]
