"""Admin: catalogues are edited here; meeting state only through services, so it is read-only here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

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


class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit trail, with a page that checks the record's hash chains (meetings/record)."""

    list_display = ("at", "actor", "action", "meeting", "target", "chain_index")
    change_list_template = "record/audit_changelist.html"

    def get_urls(self):
        from django.urls import path

        verify = path("verify/", self.admin_site.admin_view(self.verify_view), name="meetings_auditentry_verify")
        return [verify, *super().get_urls()]

    def verify_view(self, request):
        from django.core.exceptions import PermissionDenied
        from django.template.response import TemplateResponse

        from meetings.record import report

        if not request.user.is_superuser:
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "title": _("Verify the record"),
                   "result": report.run(), "opts": self.model._meta}
        return TemplateResponse(request, "record/verify.html", context)


admin.site.register(AuditEntry, AuditEntryAdmin)

for model, columns in (
    (AgendaItem, ("meeting", "order", "title", "planned_minutes")),
    (Participant, ("meeting", "user", "role", "can_vote", "rsvp")),
    (MeetingEvent, ("meeting", "seq", "type", "at", "actor")),
    (Notification, ("user", "kind", "title", "created_at", "read_at")),
    (Attendance, ("participant", "status", "site", "at")),
    (LiveState, ("meeting", "current_item", "floor", "speaking_limit", "quorum_rule")),
    (SpeakRequest, ("meeting", "participant", "kind", "status", "requested_at")),
    (CommandReceipt, ("meeting", "user", "command_id", "name", "at")),
    (LiveConnection, ("meeting", "user", "site", "server", "connected_at", "last_seen")),
):
    admin.site.register(model, type(f"{model.__name__}Admin", (ReadOnlyAdmin,), {"list_display": columns}))
