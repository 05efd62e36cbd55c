from django.urls import path

from frontend.language import vietnamese_by_default
from frontend.views import account, agenda, calendar, meeting, notifications, participants


def page(route: str, view, name: str):
    return path(route, vietnamese_by_default(view), name=name)


urlpatterns = [
    page("", calendar.home, "home"),
    page("calendar/unit/", calendar.unit_calendar, "unit-calendar"),
    page("calendar/<str:token>.ics", account.calendar_feed, "calendar-feed"),
    page("meetings/", calendar.search, "meeting-search"),
    page("meetings/new/", meeting.create, "meeting-create"),
    page("meetings/<int:meeting_id>/", meeting.detail, "meeting-detail"),
    page("meetings/<int:meeting_id>/edit/", meeting.edit, "meeting-edit"),
    page("meetings/<int:meeting_id>/invitation.ics", meeting.ics, "meeting-ics"),
    page("meetings/<int:meeting_id>/publish/", meeting.publish, "meeting-publish"),
    page("meetings/<int:meeting_id>/cancel/", meeting.cancel, "meeting-cancel"),
    page("meetings/<int:meeting_id>/status/", meeting.change_status, "meeting-status"),
    page("meetings/<int:meeting_id>/agenda/add/", agenda.add, "agenda-add"),
    page("meetings/<int:meeting_id>/agenda/<int:item_id>/edit/", agenda.edit, "agenda-edit"),
    page("meetings/<int:meeting_id>/agenda/<int:item_id>/delete/", agenda.delete, "agenda-delete"),
    page("meetings/<int:meeting_id>/agenda/<int:item_id>/move/", agenda.move, "agenda-move"),
    page("meetings/<int:meeting_id>/participants/add/", participants.add, "participant-add"),
    page("meetings/<int:meeting_id>/participants/<int:participant_id>/edit/", participants.edit,
         "participant-edit"),
    page("meetings/<int:meeting_id>/participants/<int:participant_id>/remove/", participants.remove,
         "participant-remove"),
    page("meetings/<int:meeting_id>/answer/", participants.answer, "meeting-answer"),
    page("notifications/", notifications.notifications, "notifications"),
    page("notifications/read/", notifications.read, "notifications-read"),
    page("notifications/<int:notification_id>/", notifications.open_notification, "notification-open"),
    page("profile/", account.profile, "profile"),
    page("profile/calendar-key/", account.reset_calendar_key, "calendar-key-reset"),
    page("login/", account.LoginView.as_view(), "login"),
    page("logout/", account.LogoutView.as_view(), "logout"),
    page("password/", account.PasswordChangeView.as_view(), "password-change"),
]
