"""Places, people and alerts: who sees which facilities, operations, regions, agencies,
accounts and alerts (a person's jurisdiction, and operations that post them elsewhere)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.access.models import RegionGrant
from apps.access.policy.base import (
    EVERYTHING,
    NOTHING,
    Action,
    is_active,
    is_security,
    jurisdiction_paths,
    rule,
    scope,
    within,
)
from apps.accounts.models import Role, RoleAssignment, User
from apps.alerts.models import Alert, AlertEvent
from apps.org.models import Agency, Region
from apps.places.models import Facility, Operation, OperationPeriodChange


def _covered_by_a_running_operation() -> Exists:
    """An operation covers the facility today, by the facility's own calendar: staff posted
    through an operation lose the facility when it ends (live views ask again at that
    midnight: `camera_view_lapses_at`)."""
    now = timezone.now()
    today = NOTHING
    for zone in Region.TimeZone.values:
        day = timezone.localdate(now, ZoneInfo(zone))
        today |= Q(facility__region__timezone=zone, operation__starts_on__lte=day,
                   operation__ends_on__gte=day)
    return Exists(Operation.facilities.through.objects.filter(
        today, facility_id=OuterRef("pk")))


@rule(Facility)
def facility_rule(user: User, action: Action) -> Q:
    if user.is_administrator:
        return EVERYTHING if action in (Action.VIEW, Action.MANAGE) else NOTHING
    q = NOTHING
    if action == Action.VIEW:
        if user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
            q |= Q(owner_agency__path__startswith=user.agency.path)
        if is_security(user):
            in_region = within("region__path", jurisdiction_paths(user))
            if user.has_role(Role.COMMANDER):
                q |= in_region
            if user.has_role(Role.FIELD_OFFICER, Role.POST_COMMANDER, Role.OPERATOR):
                q |= in_region & Q(_covered_by_a_running_operation())
    elif action == Action.MANAGE and user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
        # Their own agency's and its units' facilities (a KPU Kota manages its PPK warehouses).
        q |= Q(owner_agency__path__startswith=user.agency.path)
    return q


def visible_facilities(user: User) -> models.QuerySet[Facility]:
    return Facility.objects.filter(facility_rule(user, Action.VIEW))


@rule(Operation)
def operation_rule(user: User, action: Action) -> Q:
    if user.is_administrator:
        return EVERYTHING if action in (Action.VIEW, Action.MANAGE) else NOTHING
    if action == Action.VIEW:
        q = Q(Exists(visible_facilities(user).filter(operations=OuterRef("pk"))))
        if is_security(user):
            q |= within("responsible_agency__region__path", jurisdiction_paths(user))
        return q
    if action == Action.MANAGE and is_security(user) and user.has_role(Role.COMMANDER):
        return Q(responsible_agency__path__startswith=user.agency.path)
    return NOTHING


@rule(OperationPeriodChange)
def operation_period_change_rule(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING  # history is written by Operation.save, never edited
    return Q(operation__in=Operation.objects.filter(operation_rule(user, Action.VIEW)))


# The roles that act on alerts (acknowledge, take, resolve), and so may be assigned one.
ALERT_OPERATORS = (Role.OPERATOR, Role.COMMANDER, Role.POST_COMMANDER)


# Who hears a panic button anywhere in their jurisdiction, a running operation or not: the
# command center and the post commanders (apps.duty.safety raises it wherever the officer is).
PANIC_HEARERS = (Role.OPERATOR, Role.POST_COMMANDER)


@rule(Alert)
def alert_rule(user: User, action: Action) -> Q:
    visible = Q(facility__in=visible_facilities(user))
    if is_security(user) and user.has_role(*PANIC_HEARERS):
        visible |= Q(kind=Alert.Kind.PANIC) & within("facility__region__path",
                                                       jurisdiction_paths(user))
    if action == Action.VIEW:
        return visible
    if action == Action.OPERATE and is_security(user) and user.has_role(*ALERT_OPERATORS):
        return visible
    return NOTHING


@rule(AlertEvent)
def alert_event_rule(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING  # events are appended by the alert services only
    return Q(alert__in=Alert.objects.filter(alert_rule(user, Action.VIEW)))


@rule(Region)
def region_rule(user: User, action: Action) -> Q:
    # Administrative geography is public knowledge; only administrators change it.
    if action == Action.VIEW:
        return EVERYTHING
    return EVERYTHING if action == Action.MANAGE and user.is_administrator else NOTHING


@rule(Agency)
def agency_rule(user: User, action: Action) -> Q:
    if user.is_administrator:
        return EVERYTHING if action in (Action.VIEW, Action.MANAGE) else NOTHING
    if action != Action.VIEW or user.agency_id is None or not user.roles:
        return NOTHING
    return within("region__path", jurisdiction_paths(user)) | Q(
        pk__in=user.agency.ancestor_ids()
    )


@rule(User)
def user_rule(user: User, action: Action) -> Q:
    if user.is_administrator:
        return EVERYTHING if action in (Action.VIEW, Action.MANAGE) else NOTHING
    if action != Action.VIEW:
        return NOTHING
    q = Q(pk=user.pk)
    if is_security(user) and user.has_role(Role.COMMANDER, Role.POST_COMMANDER):
        # Commanders and Padal roster people of every pillar in their area.
        q |= within("agency__region__path", jurisdiction_paths(user))
    return q


@rule(RoleAssignment)
def role_assignment_rule(user: User, action: Action) -> Q:
    return Q(user__in=User.objects.filter(user_rule(user, action)))


@rule(RegionGrant)
def region_grant_rule(user: User, action: Action) -> Q:
    if user.is_administrator:
        return EVERYTHING if action in (Action.VIEW, Action.MANAGE) else NOTHING
    if action == Action.VIEW and user.agency_id:
        return Q(agency_id=user.agency_id)
    return NOTHING

def owned_facility(user: User, field: str) -> Q:
    """Rows whose facility (`field`, or the facility itself with "") the user's agency owns."""
    if user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
        prefix = f"{field}__" if field else ""
        return Q(**{f"{prefix}owner_agency__path__startswith": user.agency.path})
    return NOTHING


def owned_facilities(user) -> models.QuerySet[Facility]:
    """The facilities of the user's own agency and the agencies below it, among those the
    user may see: an official's "my facilities"."""
    if not (is_active(user) and user.agency_id):
        return Facility.objects.none()
    return scope(user, Facility.objects.all()).filter(
        owner_agency__path__startswith=user.agency.path)
