"""Field records (apps.records): checkpoints, patrols, visits, warehouse checks,
incidents, their photos and amendments, the chain; and the choices the field forms offer."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.access.policy.base import (
    EVERYTHING,
    NOTHING,
    Action,
    can,
    is_active,
    is_security,
    jurisdiction_paths,
    rule,
    scope,
    within,
)
from apps.access.policy.cameras import camera_frame_view
from apps.access.policy.jurisdiction import facility_rule, owned_facility, visible_facilities
from apps.accounts.models import Role, User
from apps.core.db import InSubquery
from apps.places.models import Facility, Operation
from apps.records.models import (
    Amendment,
    ChainAnchor,
    ChainEntry,
    CheckItem,
    Checkpoint,
    CheckSignature,
    Incident,
    IncidentAlertLink,
    IncidentEvidence,
    IncidentStep,
    Patrol,
    PatrolEnd,
    PatrolMember,
    PatrolVisit,
    RecordPhoto,
    WarehouseCheck,
)


def _supervises(user: User) -> bool:
    """Security staff who watch or command: operators, Padal and commanders."""
    return is_security(user) and user.has_role(
        Role.OPERATOR, Role.POST_COMMANDER, Role.COMMANDER
    )


def _goes_out(user: User) -> bool:
    """Security staff who patrol and take part in warehouse checks."""
    return is_security(user) and user.has_role(
        Role.FIELD_OFFICER, Role.POST_COMMANDER, Role.COMMANDER
    )




def _record_view(user: User, facility_field: str, own: Q) -> Q:
    if user.is_administrator:
        return EVERYTHING
    q = own
    owned = owned_facility(user, "")
    if owned != NOTHING:
        # The owner's facilities as a subquery, not a join in the OR: joined, each of a
        # city's day of visits was joined to its facility and that to its agency before the
        # OR could be judged (a KPU official's daily report read the visits twice as long).
        q |= Q(**{f"{facility_field}__in": Facility.objects.filter(owned).values("pk")})
    if _supervises(user):
        q |= Q(**{f"{facility_field}__in": visible_facilities(user)})
    return q


@rule(Checkpoint)
def checkpoint_rule(user: User, action: Action) -> Q:
    """MANAGE is setting checkpoints up and printing their labels (Padal, commanders,
    administrators); OPERATE is recording a visit there (security staff who patrol)."""
    if user.is_administrator and action in (Action.VIEW, Action.MANAGE):
        return EVERYTHING
    in_view = Q(facility__in=visible_facilities(user))
    if action == Action.VIEW:
        return in_view
    if action == Action.MANAGE and is_security(user) and user.has_role(
            Role.COMMANDER, Role.POST_COMMANDER):
        return in_view
    if action == Action.OPERATE and _goes_out(user):
        return in_view & Q(active=True)
    return NOTHING


@rule(PatrolVisit)
def patrol_visit_rule(user: User, action: Action) -> Q:
    """OPERATE: correcting one's own visit (an amendment; the visit stays as it was)."""
    own = Q(recorded_by_id=user.pk)
    if action == Action.VIEW:
        return _record_view(user, "facility", own)
    return own if action == Action.OPERATE else NOTHING


@rule(Patrol)
def patrol_rule(user: User, action: Action) -> Q:
    """A patrol is seen by its team, by those who supervise its agency's area, and by the
    owners of facilities it visited. OPERATE (visits on it, ending it): its team."""
    team = Q(leader_id=user.pk) | Q(
        Exists(PatrolMember.objects.filter(patrol=OuterRef("pk"), person_id=user.pk))
    )
    if action == Action.OPERATE:
        return team if _goes_out(user) else NOTHING
    if action != Action.VIEW:
        return NOTHING
    if user.is_administrator:
        return EVERYTHING
    q = team
    if _supervises(user):
        q |= within("agency__region__path", jurisdiction_paths(user))
    owned = owned_facility(user, "")
    if owned != NOTHING:
        # A lookup per patrol through the visits' (patrol, time) index, filtered by the
        # owner's facilities computed once (InSubquery). `patrol_id >= id` says nothing more
        # than `patrol_id = id`; it is there for PostgreSQL: correlated by equality alone,
        # the subquery may be run once as a hashed list of every visit to the owner's
        # facilities (a city's whole history, 0.3–1 s); joined to the facilities in it, the
        # join is made again for each patrol (0.25 ms each, a week of patrols in 0.6 s).
        facilities = Facility.objects.filter(owned).values("pk")
        q |= Q(Exists(PatrolVisit.objects.filter(InSubquery("facility_id", facilities),
                                                 patrol=OuterRef("pk"))
                      .filter(patrol_id__gte=OuterRef("pk"))))
    return q


def _follows_patrol(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING
    return Q(patrol__in=Patrol.objects.filter(patrol_rule(user, Action.VIEW)))


rule(PatrolMember)(_follows_patrol)
rule(PatrolEnd)(_follows_patrol)


@rule(WarehouseCheck)
def warehouse_check_rule(user: User, action: Action) -> Q:
    """A joint check is read by the staff of every pillar who may see the warehouse (they
    sign it) and by its owners. OPERATE is signing; the service checks the signer's pillar."""
    if action == Action.VIEW:
        if user.is_administrator:
            return EVERYTHING
        q = Q(created_by_id=user.pk) | owned_facility(user, "facility")
        if is_security(user):
            q |= Q(facility__in=visible_facilities(user))
        return q
    if action == Action.OPERATE:
        q = owned_facility(user, "facility")
        if _goes_out(user):
            q |= Q(facility__in=visible_facilities(user))
        return q
    return NOTHING


def _follows_check(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING
    return Q(check_record__in=WarehouseCheck.objects.filter(
        warehouse_check_rule(user, Action.VIEW)))


rule(CheckItem)(_follows_check)
rule(CheckSignature)(_follows_check)


@rule(Incident)
def incident_rule(user: User, action: Action) -> Q:
    """OPERATE: the workflow (acknowledge, verify, handle, close, link alerts), for
    operators, Padal and commanders of the facility."""
    if action == Action.VIEW:
        return _record_view(user, "facility", Q(reporter_id=user.pk))
    if action == Action.OPERATE and _supervises(user):
        return Q(facility__in=visible_facilities(user))
    return NOTHING


def _visible_incidents(user: User) -> models.QuerySet[Incident]:
    return Incident.objects.filter(incident_rule(user, Action.VIEW))


def _follows_incident(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING
    return Q(incident__in=_visible_incidents(user))


rule(IncidentStep)(_follows_incident)
rule(IncidentAlertLink)(_follows_incident)


@rule(IncidentEvidence)
def incident_evidence_rule(user: User, action: Action) -> Q:
    """Camera frames of an incident: only for those who may view the camera itself, so an
    inward camera's frame never reaches the security forces, whoever attached it."""
    if action != Action.VIEW:
        return NOTHING
    return Q(incident__in=_visible_incidents(user)) & (
        camera_frame_view(user, "camera_id", "taken_at"))


def _visible_visits(user: User) -> models.QuerySet[PatrolVisit]:
    return PatrolVisit.objects.filter(patrol_visit_rule(user, Action.VIEW))


@rule(RecordPhoto)
def record_photo_rule(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING
    checks = WarehouseCheck.objects.filter(warehouse_check_rule(user, Action.VIEW))
    return (Q(visit__in=_visible_visits(user)) | Q(warehouse_check__in=checks)
            | Q(incident__in=_visible_incidents(user)))


@rule(Amendment)
def amendment_rule(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING
    return Q(visit__in=_visible_visits(user)) | Q(incident__in=_visible_incidents(user))


@rule(ChainEntry)
def chain_entry_rule(user: User, action: Action) -> Q:
    return EVERYTHING if action == Action.VIEW and user.is_administrator else NOTHING


rule(ChainAnchor)(chain_entry_rule)


def checkpoint_facilities(user) -> models.QuerySet[Facility]:
    """Where `user` may set up checkpoints: the Checkpoint MANAGE rule for checkpoints not
    created yet."""
    if not is_active(user):
        return Facility.objects.none()
    if user.is_administrator:
        return Facility.objects.all()
    if is_security(user) and user.has_role(Role.COMMANDER, Role.POST_COMMANDER):
        return visible_facilities(user)
    return Facility.objects.none()


def patrol_operations(user) -> models.QuerySet[Operation]:
    """The operations a patrol `user` starts may be recorded under: those running today (by
    the calendar of the user's agency region) that `user` may see. The start form offers
    exactly these; the patrol service accepts only these, from the page or the API."""
    if not is_active(user):
        return Operation.objects.none()
    zone = user.agency.region.zoneinfo if user.agency_id else timezone.get_default_timezone()
    today = timezone.localdate(timezone=zone)
    return scope(user, Operation.objects.filter(starts_on__lte=today, ends_on__gte=today))


def tip_facilities() -> models.QuerySet[Facility]:
    """The places anyone, signed in or not, may send a tip about: active facilities in an
    operation (names of election offices and warehouses are public; nothing else about them
    is shown). The tip form offers exactly these and the tip service accepts only these."""
    return Facility.objects.filter(
        pk__in=Facility.objects.filter(status=Facility.Status.ACTIVE, operations__isnull=False)
        .values("pk"))


def warehouse_check_facilities(user) -> models.QuerySet[Facility]:
    """Warehouses where `user` may record a joint check (the rule for checks not yet made):
    security staff who go out, at warehouses they may view; KPU officials at their own."""
    if not is_active(user):
        return Facility.objects.none()
    q = Q(owner_agency__path__startswith=user.agency.path) if (
        user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id) else NOTHING
    if _goes_out(user):
        q |= facility_rule(user, Action.VIEW)
    return Facility.objects.filter(q, kind=Facility.Kind.KPU_WAREHOUSE)


def incident_report_facilities(user) -> models.QuerySet[Facility]:
    """Facilities where `user` may report an incident: any facility a security officer or
    a facility official may view."""
    if not is_active(user) or not (
            is_security(user) or user.has_role(Role.FACILITY_OFFICIAL)):
        return Facility.objects.none()
    return visible_facilities(user)


def may_amend_incident(user, incident: Incident) -> bool:
    """A report is corrected by its reporter or by those who run the workflow (OPERATE)."""
    return is_active(user) and (incident.reporter_id == user.pk
                                or can(user, Action.OPERATE, incident))


def may_attach_incident_evidence(user, incident: Incident) -> bool:
    """Camera evidence is attached by the reporter, those who run the workflow, and the
    officials who own the facility (and its cameras); each only of cameras they may view."""
    return may_amend_incident(user, incident) or (
        user.has_role(Role.FACILITY_OFFICIAL) and can(user, Action.MANAGE, incident.facility))
