from django.contrib import admin

from apps.access.admin import PolicyModelAdmin
from apps.org.models import Agency, Region


@admin.register(Region)
class RegionAdmin(PolicyModelAdmin):
    list_display = ["name", "level", "parent", "timezone"]
    list_filter = ["level", "timezone"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]


@admin.register(Agency)
class AgencyAdmin(PolicyModelAdmin):
    list_display = ["name", "pillar", "unit_kind", "parent", "region"]
    list_filter = ["pillar", "unit_kind"]
    search_fields = ["name", "short_name", "region__name"]
    autocomplete_fields = ["parent", "region"]
    list_select_related = ["parent", "region"]
