from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import ApiToken, LoginRecord, Unit, User


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "parent", "is_remote_site")
    list_filter = ("kind", "is_remote_site")
    search_fields = ("name", "code")
    autocomplete_fields = ("parent",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "unit", "position", "role", "is_active")
    list_filter = ("role", "is_active", "unit")
    search_fields = ("username", "full_name", "email")
    autocomplete_fields = ("unit",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "email", "phone", "unit", "position", "role")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "unit", "role", "password1", "password2")}),
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs are append-only: visible in the admin, never edited there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LoginRecord)
class LoginRecordAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "success", "throttled", "ip", "via")
    list_filter = ("success", "throttled", "via")
    search_fields = ("username", "ip")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "expires_at", "last_used_at")
    readonly_fields = ("prefix", "created_at", "expires_at", "last_used_at")
    fields = ("user", "name", "prefix", "created_at", "expires_at", "last_used_at")

    def has_add_permission(self, request):
        return False  # tokens are issued through POST /api/v1/auth/token, shown once

    def delete_model(self, request, obj):
        services.revoke_token(request.user, obj)  # in the audit trail, as when revoked through the API

    def delete_queryset(self, request, queryset):
        for token in queryset.select_related("user"):
            services.revoke_token(request.user, token)
