"""Escalation (apps.alerts.escalation): who configures a region's chains and keeps the
command center's watches. Administrators everywhere; commanders in their jurisdiction;
the operators and Padal who act on alerts there may read them."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from apps.access.policy.base import (
    EVERYTHING,
    NOTHING,
    Action,
    is_security,
    jurisdiction_paths,
    rule,
    within,
)
from apps.access.policy.jurisdiction import ALERT_OPERATORS
from apps.accounts.models import Role, User
from apps.alerts.models import CommandWatch, EscalationChain, EscalationStep
from apps.org.models import Region


def _in_jurisdiction(user: User, action: Action, region_field: str) -> Q:
    if user.is_administrator:
        return EVERYTHING if action in (Action.VIEW, Action.MANAGE) else NOTHING
    if not is_security(user):
        return NOTHING
    if action == Action.MANAGE and user.has_role(Role.COMMANDER):
        return within(region_field, jurisdiction_paths(user))
    if action == Action.VIEW and user.has_role(*ALERT_OPERATORS):
        # Their regions' own and those of the regions above, which apply there too.
        above = {int(part) for path in jurisdiction_paths(user)
                 for part in path.strip("/").split("/") if part}
        region_id = region_field.removesuffix("path") + "id"
        return within(region_field, jurisdiction_paths(user)) | Q(**{f"{region_id}__in": above})
    return NOTHING


def may_configure_escalation(user: User) -> bool:
    """Whether the person may set up chains or watches anywhere (the admin's add button)."""
    return user.is_administrator or (is_security(user) and user.has_role(Role.COMMANDER))


def escalation_regions(user: User) -> QuerySet[Region]:
    """The regions whose chains and watches the person may set up."""
    return Region.objects.filter(_in_jurisdiction(user, Action.MANAGE, "path"))


@rule(EscalationChain)
def escalation_chain_rule(user: User, action: Action) -> Q:
    return _in_jurisdiction(user, action, "region__path")


@rule(EscalationStep)
def escalation_step_rule(user: User, action: Action) -> Q:
    return _in_jurisdiction(user, action, "chain__region__path")


@rule(CommandWatch)
def command_watch_rule(user: User, action: Action) -> Q:
    q = _in_jurisdiction(user, action, "region__path")
    return q | Q(person_id=user.pk) if action == Action.VIEW else q
