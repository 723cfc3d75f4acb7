from django.contrib import admin

from apps.access import policy
from apps.access.models import RegionGrant


class PolicyModelAdmin(admin.ModelAdmin):
    """Admin that asks the access policy, not Django's model permissions, for every decision:
    which rows are listed, which can be opened, changed, added or deleted, and which rows
    foreign-key choices offer."""

    append_only = False

    def get_queryset(self, request):
        # Rows a person may view or manage (administrators configure inward cameras they
        # may not view).
        base = super().get_queryset(request)
        viewable = policy.scope(request.user, base, policy.Action.VIEW)
        manageable = policy.scope(request.user, base, policy.Action.MANAGE)
        return base.filter(pk__in=viewable.values("pk")) | base.filter(
            pk__in=manageable.values("pk")
        )

    def _may_manage_any(self, request) -> bool:
        return policy.scope(
            request.user, self.model._default_manager.all(), policy.Action.MANAGE
        ).exists() or request.user.is_administrator

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        return (
            obj is None
            or policy.can(request.user, policy.Action.VIEW, obj)
            or policy.can(request.user, policy.Action.MANAGE, obj)
        )

    def has_change_permission(self, request, obj=None) -> bool:
        if self.append_only or not (request.user.is_active and request.user.is_staff):
            return False
        if obj is None:
            return self._may_manage_any(request)
        return policy.can(request.user, policy.Action.MANAGE, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return (
            not self.append_only
            and request.user.is_active
            and request.user.is_staff
            and request.user.is_administrator
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        if self.append_only:
            return False
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.related_model in policy.governed_models():
            field.queryset = policy.scope(request.user, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.related_model in policy.governed_models():
            field.queryset = policy.scope(request.user, field.queryset)
        return field


class PolicyInline(admin.TabularInline):
    extra = 0

    def get_queryset(self, request):
        return policy.scope(request.user, super().get_queryset(request))

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.is_administrator

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_administrator

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_administrator

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff


@admin.register(RegionGrant)
class RegionGrantAdmin(PolicyModelAdmin):
    list_display = ["agency", "region", "basis", "valid_from", "valid_until", "revoked_at"]
    list_filter = ["region"]
    search_fields = ["agency__name", "region__name", "basis"]
    autocomplete_fields = ["agency", "region"]
    readonly_fields = ["granted_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)
