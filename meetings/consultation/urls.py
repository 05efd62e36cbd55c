"""Pages of written consultations, mounted at /consultations/."""

from django.urls import path, re_path

from meetings.consultation import views

urlpatterns = [
    path("", views.index, name="consultations"),
    path("new/", views.create, name="consultation-create"),
    path("<int:consultation_id>/", views.detail, name="consultation-detail"),
    path("<int:consultation_id>/results/", views.result_page, name="consultation-results"),
    re_path(r"^(?P<consultation_id>\d+)/results\.(?P<fmt>xlsx|pdf)$", views.result_file, name="consultation-file"),
]
