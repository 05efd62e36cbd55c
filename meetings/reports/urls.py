"""Pages of statistics, mounted at /reports/."""

from django.urls import path, re_path

from meetings.reports import views

urlpatterns = [
    path("", views.index, name="reports"),
    re_path(r"^(?P<view>meetings|members|units|kinds|periods|tasks)/$", views.index, name="reports-view"),
    re_path(r"^(?P<view>meetings|members|units|kinds|periods|tasks)/export\.(?P<fmt>xlsx|pdf)$", views.export,
            name="reports-export"),
]
