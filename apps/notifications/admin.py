from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.access.admin import PolicyModelAdmin
from apps.notifications.models import PushAttempt, PushSubscription


@admin.register(PushSubscription)
class PushSubscriptionAdmin(PolicyModelAdmin):
    """Devices, by person and push service; the endpoint and keys are not shown (whoever
    holds them can write to the device)."""

    list_display = ["user", "service", "device", "created_at"]
    fields = list_display
    readonly_fields = list_display
    search_fields = ["user__username", "user__full_name", "device"]
    list_select_related = ["user"]

    @admin.display(description=_("push service"))
    def service(self, subscription: PushSubscription) -> str:
        return subscription.service

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PushAttempt)
class PushAttemptAdmin(PolicyModelAdmin):
    """Every request to a push service, whatever its result."""

    append_only = True
    list_display = ["at", "alert_id", "user", "service", "status", "error", "duration_ms"]
    list_filter = ["status", "error", "service"]
    fields = ["at", "alert", "user", "subscription", "service", "status", "error",
              "duration_ms", "ack_used_at"]
    readonly_fields = fields
    list_select_related = ["user"]
    date_hierarchy = "at"
