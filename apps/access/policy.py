"""Who may see what, and who may act on it: the one place that decides.

Every entry point (pages, admin, exports, alert fan-out; later snapshot URLs, websockets and
the API) asks this module. Rules are Q objects over each model, so a list is one filtered
query and a single-object check is the same filter applied to one row: the two can never
disagree. Deny by default: a model without a rule raises, and a user without a matching role,
agency or region sees nothing.

Jurisdiction: a person's agency region and the regions below it, plus regions granted to the
agency by a valid RegionGrant. Nobody sees across regions otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from apps.access.models import RegionGrant
from apps.accounts.models import SECURITY_ROLES, Role, RoleAssignment, User
from apps.alerts.models import Alert, AlertEvent, AlertEvidence
from apps.cameras.models import (
    Camera,
    CameraHealth,
    CameraLease,
    CameraShare,
    CameraStateChange,
    Orientation,
    TimelineFrame,
    ViewRecord,
)
from apps.org.models import Agency, Region
from apps.places.models import Facility, Operation, OperationPeriodChange


class Action(StrEnum):
    VIEW = "view"
    MANAGE = "manage"  # create, edit, configure
    OPERATE = "operate"  # act on operational state: acknowledge, assign, resolve


NOTHING = Q(pk__in=[])
EVERYTHING = Q()

ModelT = TypeVar("ModelT", bound=models.Model)
Rule = Callable[[User, Action], Q]
_RULES: dict[type[models.Model], Rule] = {}


def rule(model: type[models.Model]) -> Callable[[Rule], Rule]:
    def register(func: Rule) -> Rule:
        _RULES[model] = func
        return func

    return register


def governed_models() -> frozenset[type[models.Model]]:
    return frozenset(_RULES)


# --- who the user is ------------------------------------------------------------------------


def _is_active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _is_security(user: User) -> bool:
    """Staff of a security pillar (Polri, TNI, Pemda) holding a security role."""
    return (
        user.agency_id is not None
        and user.agency.pillar in Agency.SECURITY_PILLARS
        and bool(user.roles & SECURITY_ROLES)
    )


def jurisdiction_paths(user: User) -> tuple[str, ...]:
    """Region paths the user works in (own agency region and grants); cached per user object."""
    cached = getattr(user, "_jurisdiction_paths", None)
    if cached is None:
        if user.agency_id is None:
            cached = ()
        else:
            granted = RegionGrant.objects.valid_at().filter(agency_id=user.agency_id)
            cached = (
                user.agency.region.path,
                *granted.values_list("region__path", flat=True),
            )
        user._jurisdiction_paths = cached
    return cached


def _within(field: str, paths: tuple[str, ...]) -> Q:
    q = NOTHING
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


# --- rules ----------------------------------------------------------------------------------


_covered_by_an_operation = Exists(
    Operation.facilities.through.objects.filter(facility_id=OuterRef("pk"))
)


@rule(Facility)
def facility_rule(user: User, action: Action) -> Q:
    if user.is_administrator:
        return EVERYTHING if action in (Action.VIEW, Action.MANAGE) else NOTHING
    q = NOTHING
    if action == Action.VIEW:
        if user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
            q |= Q(owner_agency__path__startswith=user.agency.path)
        if _is_security(user):
            in_region = _within("region__path", jurisdiction_paths(user))
            if user.has_role(Role.COMMANDER):
                q |= in_region
            if user.has_role(Role.FIELD_OFFICER, Role.POST_COMMANDER, Role.OPERATOR):
                q |= in_region & Q(_covered_by_an_operation)
    elif action == Action.MANAGE and user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
        # Their own agency's and its units' facilities (a KPU Kota manages its PPK warehouses).
        q |= Q(owner_agency__path__startswith=user.agency.path)
    return q


def _visible_facilities(user: User) -> models.QuerySet[Facility]:
    return Facility.objects.filter(facility_rule(user, Action.VIEW))


@rule(Operation)
def operation_rule(user: User, action: Action) -> Q:
    if user.is_administrator:
        return EVERYTHING if action in (Action.VIEW, Action.MANAGE) else NOTHING
    if action == Action.VIEW:
        q = Q(Exists(_visible_facilities(user).filter(operations=OuterRef("pk"))))
        if _is_security(user):
            q |= _within("responsible_agency__region__path", jurisdiction_paths(user))
        return q
    if action == Action.MANAGE and _is_security(user) and user.has_role(Role.COMMANDER):
        return Q(responsible_agency__path__startswith=user.agency.path)
    return NOTHING


@rule(OperationPeriodChange)
def operation_period_change_rule(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING  # history is written by Operation.save, never edited
    return Q(operation__in=Operation.objects.filter(operation_rule(user, Action.VIEW)))


@rule(Alert)
def alert_rule(user: User, action: Action) -> Q:
    visible = Q(facility__in=_visible_facilities(user))
    if action == Action.VIEW:
        return visible
    operators = (Role.OPERATOR, Role.COMMANDER, Role.POST_COMMANDER)
    if action == Action.OPERATE and _is_security(user) and user.has_role(*operators):
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
    return _within("region__path", jurisdiction_paths(user)) | Q(
        pk__in=user.agency.ancestor_ids()
    )


@rule(User)
def user_rule(user: User, action: Action) -> Q:
    if user.is_administrator:
        return EVERYTHING if action in (Action.VIEW, Action.MANAGE) else NOTHING
    if action != Action.VIEW:
        return NOTHING
    q = Q(pk=user.pk)
    if _is_security(user) and user.has_role(Role.COMMANDER, Role.POST_COMMANDER):
        # Commanders and Padal roster people of every pillar in their area.
        q |= _within("agency__region__path", jurisdiction_paths(user))
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


@rule(Camera)
def camera_rule(user: User, action: Action) -> Q:
    """VIEW means seeing the camera and its frames. Owners see all their cameras; security
    staff only outward cameras shared with their agency now, in their jurisdiction;
    administrators configure every camera but view only outward ones (no break-glass)."""
    if action == Action.VIEW:
        q = NOTHING
        if user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
            q |= Q(facility__owner_agency__path__startswith=user.agency.path)
        if _is_security(user):
            shared_now = CameraShare.objects.valid_at().filter(
                camera=OuterRef("pk"), grantee_id=user.agency_id
            )
            q |= (
                Q(orientation=Orientation.OUTWARD)
                & Q(Exists(shared_now))
                & Q(facility__in=_visible_facilities(user))
            )
        if user.is_administrator:
            q |= Q(orientation=Orientation.OUTWARD)
        return q
    if action == Action.MANAGE:
        if user.is_administrator:
            return EVERYTHING
        if user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
            return Q(facility__owner_agency__path__startswith=user.agency.path)
    return NOTHING


def _viewable_cameras(user: User) -> models.QuerySet[Camera]:
    return Camera.objects.filter(camera_rule(user, Action.VIEW))


@rule(CameraShare)
def camera_share_rule(user: User, action: Action) -> Q:
    """Owners grant and revoke; grantees see what was granted to them."""
    owner = (
        Q(camera__facility__owner_agency__path__startswith=user.agency.path)
        if user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id
        else NOTHING
    )
    if action == Action.VIEW:
        q = owner
        if _is_security(user):
            q |= Q(grantee_id=user.agency_id)
        return q | (EVERYTHING if user.is_administrator else NOTHING)
    if action == Action.MANAGE and user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
        return Q(camera__facility__owner_agency__path__startswith=user.agency.path)
    return NOTHING


def _follows_camera_view(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING  # written by the watchers only
    return Q(camera__in=_viewable_cameras(user))


rule(CameraHealth)(_follows_camera_view)
rule(CameraStateChange)(_follows_camera_view)
rule(TimelineFrame)(_follows_camera_view)


@rule(ViewRecord)
def view_record_rule(user: User, action: Action) -> Q:
    """Owners see who viewed their cameras; a viewer sees their own views; nobody else."""
    if action != Action.VIEW:
        return NOTHING  # appended by the viewing code paths only
    if user.is_administrator:
        return EVERYTHING
    q = Q(viewer_id=user.pk)
    if user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
        q |= Q(camera__facility__owner_agency__path__startswith=user.agency.path)
    return q


@rule(CameraLease)
def camera_lease_rule(user: User, action: Action) -> Q:
    return EVERYTHING if action == Action.VIEW and user.is_administrator else NOTHING


@rule(AlertEvidence)
def alert_evidence_rule(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING
    return Q(alert__in=Alert.objects.filter(alert_rule(user, Action.VIEW))) & Q(
        camera__in=_viewable_cameras(user)
    )


# --- the questions every entry point asks ----------------------------------------------------


def scope(user, queryset: models.QuerySet[ModelT], action: Action = Action.VIEW):
    """The part of `queryset` this user may see (or act on)."""
    try:
        model_rule = _RULES[queryset.model]
    except KeyError:
        raise LookupError(
            f"No access rule for {queryset.model.__name__}: deny by default."
        ) from None
    if not _is_active(user):
        return queryset.none()
    return queryset.filter(model_rule(user, action))


def can(user, action: Action, obj: models.Model) -> bool:
    return scope(user, type(obj)._default_manager.filter(pk=obj.pk), action).exists()


def get_or_404(user, queryset: models.QuerySet[ModelT], action: Action = Action.VIEW, **lookup):
    """One object the user may reach. Missing and forbidden look the same (404): no probing."""
    try:
        return scope(user, queryset, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def users_who_may_view_facility(facility: Facility) -> models.QuerySet[User]:
    """The inverse of the facility rule, for fan-out (alerts). Must agree with `can()`;
    tests compare the two over every user of the demo cast."""
    region_and_above = facility.region.ancestor_ids()
    granted_agencies = RegionGrant.objects.valid_at().filter(region_id__in=region_and_above)

    def has_role(*roles: str) -> Exists:
        return Exists(RoleAssignment.objects.filter(user=OuterRef("pk"), role__in=roles))

    security = Q(agency__pillar__in=Agency.SECURITY_PILLARS) & (
        Q(agency__region_id__in=region_and_above)
        | Q(agency_id__in=granted_agencies.values("agency_id"))
    )
    q = Q(is_superuser=True) | has_role(Role.ADMINISTRATOR)
    q |= has_role(Role.FACILITY_OFFICIAL) & Q(
        agency_id__in=facility.owner_agency.ancestor_ids()
    )
    q |= security & has_role(Role.COMMANDER)
    if facility.operations.exists():
        q |= security & has_role(Role.FIELD_OFFICER, Role.POST_COMMANDER, Role.OPERATOR)
    return User.objects.filter(q, is_active=True)


def users_who_may_view_alert(alert: Alert) -> models.QuerySet[User]:
    return users_who_may_view_facility(alert.facility)
