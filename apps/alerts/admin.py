from django.contrib import admin

from apps.access.admin import PolicyInline, PolicyModelAdmin
from apps.alerts.models import Alert, AlertEvent


class EventInline(PolicyInline):
    model = AlertEvent
    fields = ["at", "action", "actor", "comment"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(PolicyModelAdmin):
    """Read-only here: alerts change state only through the alert services (with history)."""

    append_only = True
    list_display = ["title", "kind", "severity", "facility", "state", "occurrences",
                    "last_raised_at"]
    list_filter = ["state", "kind", "severity"]
    search_fields = ["title", "facility__name", "dedup_key"]
    list_select_related = ["facility"]
    inlines = [EventInline]
