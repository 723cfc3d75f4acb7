from django.contrib import admin

from apps.access.admin import PolicyModelAdmin
from apps.duty.models import Attendance, CoverageStandard, GuardPost, Shift


@admin.register(GuardPost)
class GuardPostAdmin(PolicyModelAdmin):
    list_display = ["name", "facility", "is_main"]
    list_filter = ["is_main", "facility__kind"]
    search_fields = ["name", "facility__name"]
    list_select_related = ["facility"]
    autocomplete_fields = ["facility"]


@admin.register(CoverageStandard)
class CoverageStandardAdmin(PolicyModelAdmin):
    list_display = ["post", "band_start", "band_end", "min_personnel", "required_pillars",
                    "valid_from", "valid_until"]
    list_select_related = ["post__facility"]
    readonly_fields = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Shift)
class ShiftAdmin(PolicyModelAdmin):
    """Rosters are planned on the roster pages (with the overlap rules); the admin shows them."""

    append_only = True
    list_display = ["post", "person", "pillar", "start", "end", "published_at"]
    list_filter = ["pillar", "post__facility__kind"]
    search_fields = ["post__name", "post__facility__name", "person__full_name"]
    list_select_related = ["post__facility", "person"]
    date_hierarchy = "start"


@admin.register(Attendance)
class AttendanceAdmin(PolicyModelAdmin):
    """Field records: written by check-in and check-out only."""

    append_only = True
    list_display = ["person", "post", "checked_in_at", "late_minutes", "checked_out_at",
                    "early_leave_minutes", "check_in_delayed"]
    list_filter = ["check_in_delayed"]
    search_fields = ["person__full_name", "post__name", "post__facility__name"]
    list_select_related = ["person", "post__facility"]
    exclude = ["photo"]  # shown only through the authorising view
    date_hierarchy = "checked_in_at"
