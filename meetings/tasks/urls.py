"""Pages of follow-up tasks."""

from django.urls import path

from frontend.language import vietnamese_by_default
from meetings.tasks import views

urlpatterns = [
    path("tasks/", vietnamese_by_default(views.task_list), name="task-list"),
    path("tasks/<int:task_id>/", vietnamese_by_default(views.task_detail), name="task-detail"),
    path("tasks/<int:task_id>/attachments/<int:update_id>/", vietnamese_by_default(views.task_attachment),
         name="task-attachment"),
    path("meetings/<int:meeting_id>/tasks/", vietnamese_by_default(views.meeting_tasks), name="meeting-tasks"),
]
