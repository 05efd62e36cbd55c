"""Roll-call downloads, linked from the meeting pages. Include at the site root."""

from django.urls import path

from realtime import attendance

urlpatterns = [
    path("meetings/<int:meeting_id>/attendance.csv", attendance.csv_view, name="attendance-csv"),
    path("meetings/<int:meeting_id>/attendance.xlsx", attendance.xlsx_view, name="attendance-xlsx"),
]
