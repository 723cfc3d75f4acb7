from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.access import policy
from apps.access.admin import PolicyInline, PolicyModelAdmin
from apps.accounts.models import Role
from apps.alerts import redaction
from apps.alerts.models import Alert, AlertEvent, CommandWatch, EscalationChain, EscalationStep


class EventInline(PolicyInline):
    model = AlertEvent
    fields = ["at", "action", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("comment"))
    def note(self, event: AlertEvent) -> str:
        return event.shown_comment


@admin.register(Alert)
class AlertAdmin(PolicyModelAdmin):
    """Read-only here: alerts change state only through the alert services (with history).
    Rows are shown as apps.alerts.redaction gives them to the person: an administrator who
    may not view an inward camera does not read its name here either."""

    append_only = True
    list_display = ["alert_title", "kind", "severity", "facility", "state", "occurrences",
                    "last_raised_at"]
    list_filter = ["state", "kind", "severity"]
    # Not the title: a search by a camera's name would tell which alerts it raised.
    search_fields = ["facility__name", "dedup_key"]
    list_select_related = ["facility"]
    fields = ["alert_title", "alert_detail", "kind", "severity", "facility", "camera", "state",
              "occurrences", "first_raised_at", "last_raised_at", "assigned_to",
              "acknowledged_by", "acknowledged_at", "resolved_by", "resolved_at", "escalated_at",
              "escalation_step", "escalation_due_at"]
    readonly_fields = fields
    inlines = [EventInline]

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        changelist.result_list = redaction.for_viewer(changelist.result_list, request.user)
        return changelist

    def get_object(self, request, object_id, from_field=None):
        alert = super().get_object(request, object_id, from_field)
        return None if alert is None else redaction.for_viewer([alert], request.user)[0]

    @admin.display(description=_("title"))
    def alert_title(self, alert: Alert) -> str:
        return alert.shown_title

    @admin.display(description=_("detail"))
    def alert_detail(self, alert: Alert) -> str:
        return alert.shown_detail


class _EscalationAdmin(PolicyModelAdmin):
    """Chains and watches: administrators anywhere, commanders in their jurisdiction (the
    regions offered are the ones policy.escalation_regions allows)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return (request.user.is_active and request.user.is_staff
                and policy.may_configure_escalation(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "region":
            field.queryset = policy.escalation_regions(request.user)
        return field


class StepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0
    min_num = 1
    fields = ["position", "role", "delay_minutes"]

    def _may_manage(self, request, chain) -> bool:
        if chain is None:
            return policy.may_configure_escalation(request.user)
        return policy.can(request.user, policy.Action.MANAGE, chain)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request, obj=None) -> bool:
        return self._may_manage(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may_manage(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._may_manage(request, obj)


@admin.register(EscalationChain)
class EscalationChainAdmin(_EscalationAdmin):
    list_display = ["region", "severity", "steps_shown", "repeat_minutes"]
    list_filter = ["severity"]
    inlines = [StepInline]

    @admin.display(description=_("steps"))
    def steps_shown(self, chain: EscalationChain) -> str:
        return " → ".join(str(step) for step in chain.steps.all())


@admin.register(CommandWatch)
class CommandWatchAdmin(_EscalationAdmin):
    list_display = ["person", "region", "start", "end"]
    list_filter = ["region"]
    date_hierarchy = "start"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "person":
            field.queryset = field.queryset.filter(role_assignments__role=Role.OPERATOR)
        return field
