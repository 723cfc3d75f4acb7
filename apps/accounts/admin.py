from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from apps.access.admin import PolicyInline, PolicyModelAdmin
from apps.accounts.models import RoleAssignment, User


class RoleInline(PolicyInline):
    model = RoleAssignment


@admin.register(User)
class PersonAdmin(PolicyModelAdmin, UserAdmin):
    list_display = ["username", "full_name", "rank", "agency", "is_active", "last_login"]
    list_filter = ["is_active", "agency__pillar", "role_assignments__role"]
    search_fields = ["username", "full_name", "id_number", "agency__name"]
    ordering = ["full_name"]
    autocomplete_fields = ["agency"]
    list_select_related = ["agency"]
    inlines = [RoleInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "rank", "id_number", "phone", "agency")}),
        (_("Access"), {"fields": ("is_active", "is_staff")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "full_name", "agency", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]
