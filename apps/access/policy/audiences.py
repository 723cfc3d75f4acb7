"""Who is told: the people who may see a facility or an alert (fan-out of pushes and
notifications), and who may be assigned an alert."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from apps.access.models import RegionGrant
from apps.access.policy.jurisdiction import ALERT_OPERATORS, PANIC_HEARERS
from apps.accounts.models import Role, RoleAssignment, User
from apps.alerts.models import Alert
from apps.org.models import Agency
from apps.places.models import Facility


def users_who_may_view_facility(facility: Facility, *,
                                panic: bool = False) -> models.QuerySet[User]:
    """The inverse of the facility rule, for fan-out (alerts). Must agree with `can()`;
    tests compare the two over every user of the demo cast. `panic`: a panic alert there,
    which the operators and post commanders of the region hear without an operation."""
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
    today = facility.local_time().date()
    if facility.operations.filter(starts_on__lte=today, ends_on__gte=today).exists():
        q |= security & has_role(Role.FIELD_OFFICER, Role.POST_COMMANDER, Role.OPERATOR)
    if panic:
        q |= security & has_role(*PANIC_HEARERS)
    return User.objects.filter(q, is_active=True)


def users_who_may_view_alert(alert: Alert) -> models.QuerySet[User]:
    return users_who_may_view_facility(alert.facility, panic=alert.kind == Alert.Kind.PANIC)


def alert_assignees(alert: Alert) -> models.QuerySet[User]:
    """Who may be assigned `alert`: the people who may act on it (the inverse of the Alert
    OPERATE rule). The web form offers exactly these, and the API and the assign service
    accept exactly these; tests compare them with `can()`."""
    operators = RoleAssignment.objects.filter(role__in=ALERT_OPERATORS).values("user_id")
    return users_who_may_view_alert(alert).filter(
        agency__pillar__in=Agency.SECURITY_PILLARS, pk__in=operators)
