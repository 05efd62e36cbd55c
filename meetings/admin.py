"""Admin: catalogues are edited here; meeting state only through services, so it is read-only here."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from meetings.models import (
    AgendaItem,
    Attendance,
    AuditEntry,
    CommandReceipt,
    LiveConnection,
    LiveState,
    Meeting,
    MeetingEvent,
    MeetingKind,
    Notification,
    Participant,
    Room,
    SpeakRequest,
)


@admin.register(MeetingKind)
class MeetingKindAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "capacity")
    search_fields = ("name",)


class AgendaInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    can_delete = False
    readonly_fields = ("order", "title", "presenter", "presenter_name", "planned_minutes", "description")

    def has_add_permission(self, request, obj=None):
        return False


class ParticipantInline(admin.TabularInline):
    model = Participant
    fk_name = "meeting"
    extra = 0
    can_delete = False
    readonly_fields = ("user", "role", "can_vote", "site", "rsvp", "rsvp_reason", "substitute_for", "proxy_to")
    exclude = ("rsvp_at", "invited_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("title", "start", "host_unit", "status", "format", "urgent")
    list_filter = ("status", "format", "classification", "host_unit")
    search_fields = ("title",)
    date_hierarchy = "start"
    inlines = [AgendaInline, ParticipantInline]


for model, columns in (
    (AgendaItem, ("meeting", "order", "title", "planned_minutes")),
    (Participant, ("meeting", "user", "role", "can_vote", "rsvp")),
    (MeetingEvent, ("meeting", "seq", "type", "at", "actor")),
    (Notification, ("user", "kind", "title", "created_at", "read_at")),
    (AuditEntry, ("at", "actor", "action", "meeting", "target")),
    (Attendance, ("participant", "status", "site", "at")),
    (LiveState, ("meeting", "current_item", "floor", "speaking_limit", "quorum_rule")),
    (SpeakRequest, ("meeting", "participant", "kind", "status", "requested_at")),
    (CommandReceipt, ("meeting", "user", "command_id", "name", "at")),
    (LiveConnection, ("meeting", "user", "site", "server", "connected_at", "last_seen")),
):
    admin.site.register(model, type(f"{model.__name__}Admin", (ReadOnlyAdmin,), {"list_display": columns}))
