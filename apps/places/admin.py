from django.contrib import admin

from apps.access.admin import PolicyInline, PolicyModelAdmin
from apps.places.models import Facility, Operation, OperationPeriodChange


@admin.register(Facility)
class FacilityAdmin(PolicyModelAdmin):
    list_display = ["name", "kind", "owner_agency", "region", "status"]
    list_filter = ["kind", "status", "region__timezone"]
    search_fields = ["name", "address", "region__name", "owner_agency__name"]
    autocomplete_fields = ["owner_agency", "region"]
    list_select_related = ["owner_agency", "region"]


class PeriodChangeInline(PolicyInline):
    model = OperationPeriodChange
    fields = ["changed_at", "changed_by", "old_starts_on", "old_ends_on", "new_starts_on",
              "new_ends_on", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Operation)
class OperationAdmin(PolicyModelAdmin):
    list_display = ["name", "responsible_agency", "starts_on", "ends_on", "min_guards",
                    "patrol_interval_hours"]
    search_fields = ["name", "responsible_agency__name"]
    autocomplete_fields = ["responsible_agency"]
    filter_horizontal = ["facilities"]
    inlines = [PeriodChangeInline]
    list_select_related = ["responsible_agency"]

    def save_model(self, request, obj, form, change):
        obj.save(changed_by=request.user, reason="admin")
