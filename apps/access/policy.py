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
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.http import Http404
from django.utils import timezone

from apps.access.models import RegionGrant
from apps.accounts.models import SECURITY_ROLES, Role, RoleAssignment, User, UserSession
from apps.alerts.models import Alert, AlertEvent, AlertEvidence
from apps.api.models import ApiToken, IdempotentRequest, WebhookDelivery, WebhookEndpoint
from apps.audit.models import AuditEntry
from apps.cameras.models import (
    Camera,
    CameraHealth,
    CameraLease,
    CameraShare,
    CameraSource,
    CameraStateChange,
    Orientation,
    TimelineFrame,
    ViewRecord,
)
from apps.duty.models import Attendance, CoverageStandard, GuardPost, Shift
from apps.live.models import WallLayout
from apps.org.models import Agency, Region
from apps.places.models import Facility, Operation, OperationPeriodChange
from apps.records.models import (
    Amendment,
    ChainAnchor,
    ChainEntry,
    ChainVerification,
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
        if _is_security(user):
            in_region = _within("region__path", jurisdiction_paths(user))
            if user.has_role(Role.COMMANDER):
                q |= in_region
            if user.has_role(Role.FIELD_OFFICER, Role.POST_COMMANDER, Role.OPERATOR):
                q |= in_region & Q(_covered_by_a_running_operation())
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


# The roles that act on alerts (acknowledge, take, resolve), and so may be assigned one.
ALERT_OPERATORS = (Role.OPERATOR, Role.COMMANDER, Role.POST_COMMANDER)


@rule(Alert)
def alert_rule(user: User, action: Action) -> Q:
    visible = Q(facility__in=_visible_facilities(user))
    if action == Action.VIEW:
        return visible
    if action == Action.OPERATE and _is_security(user) and user.has_role(*ALERT_OPERATORS):
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
        if user.is_administrator:
            return EVERYTHING  # not `q | EVERYTHING`: OR with an empty Q drops it
        q = owner
        if _is_security(user):
            q |= Q(grantee_id=user.agency_id)
        return q
    if action == Action.MANAGE and user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
        return Q(camera__facility__owner_agency__path__startswith=user.agency.path)
    return NOTHING


def _follows_camera_view(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING  # written by the watchers only
    return Q(camera__in=_viewable_cameras(user))


rule(CameraHealth)(_follows_camera_view)
rule(CameraStateChange)(_follows_camera_view)


# --- frames keep the classification they were taken under ----------------------------------
# A frame taken while its camera was inward stays with the owner agency, whatever happens to
# the camera later. Every change of orientation is a row in the owner's access record
# (Camera.save refuses to turn a camera outward without one), so the orientation a frame was
# taken under is the one the first change after it left: a frame is from an inward time if
# that change turned the camera outward. Frames and records are stamped by different clocks,
# so the margin only ever widens an inward time: a frame counts as inward if the camera was
# inward at any moment within CAPTURE_CLOCK_MARGIN of it.

CAPTURE_CLOCK_MARGIN = timedelta(seconds=5)
_RECLASSIFIED = (ViewRecord.Kind.TO_OUTWARD, ViewRecord.Kind.TO_INWARD)


def _taken_while_inward(camera_field: str, time_field: str) -> Q:
    changes = ViewRecord.objects.filter(camera_id=OuterRef(camera_field),
                                        kind__in=_RECLASSIFIED)
    since = OuterRef(time_field) - CAPTURE_CLOCK_MARGIN
    first_change_after = changes.filter(started_at__gt=since).order_by(
        "started_at", "pk").values("kind")[:1]
    # Inward at the start of the margin, or changed within it (either way it was inward at
    # some moment). Coalesce: with no change after the frame the comparison is false, never
    # NULL (a NOT NULL would hide the frame from everyone).
    inward_before = Exact(Coalesce(Subquery(first_change_after), Value("")),
                          ViewRecord.Kind.TO_OUTWARD)
    changed_around = Exists(changes.filter(
        started_at__gt=since, started_at__lte=OuterRef(time_field) + CAPTURE_CLOCK_MARGIN))
    return Q(inward_before) | Q(changed_around)


def _camera_frame_view(user: User, camera_field: str, time_field: str) -> Q:
    """Frames of cameras `user` may view, less those taken while inward unless `user` is of
    the owner agency."""
    prefix = camera_field.removesuffix("_id")
    viewable = Q(**{f"{prefix}__in": _viewable_cameras(user)})
    owner = _owned_facility(user, f"{prefix}__facility")
    return viewable & (owner | ~_taken_while_inward(camera_field, time_field))


def is_camera_owner(user, camera: Camera) -> bool:
    """Staff of the agency owning the camera's facility (or an agency above it): the only
    people who change its orientation and see its stored frames as they were taken, without
    the masks drawn since."""
    return (_is_active(user) and user.has_role(Role.FACILITY_OFFICIAL)
            and user.agency_id is not None
            and camera.facility.owner_agency.path.startswith(user.agency.path))


def frame_taken_while_inward(camera: Camera, taken_at: datetime) -> bool:
    """For a frame kept without a row (the latest snapshot file): the rule above."""
    changes = ViewRecord.objects.filter(camera=camera, kind__in=_RECLASSIFIED,
                                        started_at__gt=taken_at - CAPTURE_CLOCK_MARGIN)
    first = changes.order_by("started_at", "pk").values_list("kind", flat=True).first()
    return first == ViewRecord.Kind.TO_OUTWARD or changes.filter(
        started_at__lte=taken_at + CAPTURE_CLOCK_MARGIN).exists()


def alerts_raised_while_inward(alerts) -> set[int]:
    """Ids of `alerts` raised while their camera was inward: for everyone outside the owner
    agency they stay without camera, detail and images (apps.alerts.redaction)."""
    ids = [a.pk for a in alerts if a.camera_id is not None]
    if not ids:
        return set()
    return set(Alert.objects.filter(_taken_while_inward("camera_id", "first_raised_at"),
                                    pk__in=ids).values_list("pk", flat=True))


@rule(TimelineFrame)
def timeline_frame_rule(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING  # written by the watchers only
    return _camera_frame_view(user, "camera_id", "taken_at")


@rule(ViewRecord)
def view_record_rule(user: User, action: Action) -> Q:
    """Owners see who viewed their cameras; a viewer sees their own views; nobody else."""
    if action != Action.VIEW:
        return NOTHING  # appended by the viewing code paths only
    if user.is_administrator:
        return EVERYTHING
    q = Q(viewer_id=user.pk)
    if user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
        # The owned cameras as a small list of ids, not a join in the OR: an OR across
        # joined tables leaves PostgreSQL no index to walk but a scan of every view record.
        q |= Q(camera_id__in=Camera.objects.filter(
            facility__owner_agency__path__startswith=user.agency.path).values("pk"))
    return q


@rule(CameraLease)
def camera_lease_rule(user: User, action: Action) -> Q:
    return EVERYTHING if action == Action.VIEW and user.is_administrator else NOTHING


@rule(CameraSource)
def camera_source_rule(user: User, action: Action) -> Q:
    return NOTHING  # bookkeeping kept by Camera.save: it names addresses, nobody reads it


@rule(AlertEvidence)
def alert_evidence_rule(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING
    return Q(alert__in=Alert.objects.filter(alert_rule(user, Action.VIEW))) & (
        _camera_frame_view(user, "camera_id", "taken_at"))


# --- guard duty (apps.duty) -----------------------------------------------------------------
# Posts and standards follow their facility. Shifts and attendance follow their post, and a
# draft roster is seen only by those who plan it: Padal and commanders of a security pillar
# MANAGE the rosters of the facilities they may view. Field officers see their own published
# shifts (wherever they were posted) and the published rosters of facilities they may view;
# facility officials see the coverage (published shifts, attendance) of their own facilities;
# administrators view everything and configure posts and standards, but plan no roster.


def _plans_rosters(user: User) -> bool:
    return _is_security(user) and user.has_role(Role.COMMANDER, Role.POST_COMMANDER)


def _duty_setup_rule(facility_field: str) -> Rule:
    def duty_setup(user: User, action: Action) -> Q:
        if user.is_administrator:
            return EVERYTHING if action in (Action.VIEW, Action.MANAGE) else NOTHING
        in_view = Q(**{f"{facility_field}__in": _visible_facilities(user)})
        if action == Action.VIEW or (action == Action.MANAGE and _plans_rosters(user)):
            return in_view
        return NOTHING

    return duty_setup


rule(GuardPost)(_duty_setup_rule("facility"))
rule(CoverageStandard)(_duty_setup_rule("post__facility"))


@rule(Shift)
def shift_rule(user: User, action: Action) -> Q:
    """OPERATE is checking in and out: only the person on the shift, once it is published."""
    published = Q(published_at__isnull=False)
    if action == Action.OPERATE:
        return Q(person_id=user.pk) & published
    planned_here = (
        Q(post__facility__in=_visible_facilities(user)) if _plans_rosters(user) else NOTHING
    )
    if action == Action.MANAGE:
        return planned_here
    if user.is_administrator:
        return EVERYTHING
    return (
        planned_here
        | (published & Q(person_id=user.pk))
        | (published & Q(post__facility__in=_visible_facilities(user)))
    )


@rule(Attendance)
def attendance_rule(user: User, action: Action) -> Q:
    """VIEW: the presence record. MANAGE: review it with its photo (planners of the post).
    OPERATE: check out (the person themselves). Written by the check-in services only."""
    own = Q(person_id=user.pk)
    if action == Action.OPERATE:
        return own
    if action == Action.MANAGE:
        if _plans_rosters(user):
            return Q(post__facility__in=_visible_facilities(user))
        return NOTHING
    if user.is_administrator:
        return EVERYTHING
    return own | Q(post__facility__in=_visible_facilities(user))


def duty_setup_facilities(user) -> models.QuerySet[Facility]:
    """Where `user` may add guard posts: the GuardPost MANAGE rule for posts not created yet."""
    if not _is_active(user):
        return Facility.objects.none()
    if user.is_administrator:
        return Facility.objects.all()
    return _visible_facilities(user) if _plans_rosters(user) else Facility.objects.none()


def roster_facilities(user) -> models.QuerySet[Facility]:
    """Where `user` may plan shifts: the Shift MANAGE rule for shifts not created yet."""
    if _is_active(user) and _plans_rosters(user):
        return _visible_facilities(user)
    return Facility.objects.none()


def rosterable_people(user) -> models.QuerySet[User]:
    """Whom `user` may put on a shift: active staff of a security pillar holding a security
    role, among the people `user` may see (a commander's or Padal's area, of every pillar).
    The roster forms offer exactly these and the roster services accept exactly these."""
    security_staff = RoleAssignment.objects.filter(role__in=SECURITY_ROLES).values("user_id")
    return scope(user, User.objects.filter(
        is_active=True, agency__pillar__in=Agency.SECURITY_PILLARS, pk__in=security_staff))


def may_set_up_posts_at(user, facility: Facility) -> bool:
    return duty_setup_facilities(user).filter(pk=facility.pk).exists()


def may_plan_roster_at(user, facility: Facility) -> bool:
    return roster_facilities(user).filter(pk=facility.pk).exists()


# --- end of guard duty -----------------------------------------------------------------------


@rule(WallLayout)
def wall_layout_rule(user: User, action: Action) -> Q:
    return Q(owner_id=user.pk) if action in (Action.VIEW, Action.MANAGE) else NOTHING


# --- field records (apps.records) ------------------------------------------------------------
# Patrol visits, warehouse checks and incidents follow their facility. Field officers record
# visits at checkpoints of facilities they may view and see their own records; operators, Padal
# and commanders see the records of the facilities they may view; facility officials those of
# their own facilities; administrators see all records, but camera evidence only where they
# may view the camera (the inward-camera rule has no exception). Records are written by
# apps.records.services only and never changed, so no rule grants MANAGE on a record; OPERATE
# is the next step a person may add (a visit's correction, a signature, a workflow step). The
# public tip form creates incidents and reads nothing.


def _supervises(user: User) -> bool:
    """Security staff who watch or command: operators, Padal and commanders."""
    return _is_security(user) and user.has_role(
        Role.OPERATOR, Role.POST_COMMANDER, Role.COMMANDER
    )


def _goes_out(user: User) -> bool:
    """Security staff who patrol and take part in warehouse checks."""
    return _is_security(user) and user.has_role(
        Role.FIELD_OFFICER, Role.POST_COMMANDER, Role.COMMANDER
    )


def _owned_facility(user: User, field: str) -> Q:
    if user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
        return Q(**{f"{field}__owner_agency__path__startswith": user.agency.path})
    return NOTHING


def _record_view(user: User, facility_field: str, own: Q) -> Q:
    if user.is_administrator:
        return EVERYTHING
    q = own | _owned_facility(user, facility_field)
    if _supervises(user):
        q |= Q(**{f"{facility_field}__in": _visible_facilities(user)})
    return q


@rule(Checkpoint)
def checkpoint_rule(user: User, action: Action) -> Q:
    """MANAGE is setting checkpoints up and printing their labels (Padal, commanders,
    administrators); OPERATE is recording a visit there (security staff who patrol)."""
    if user.is_administrator and action in (Action.VIEW, Action.MANAGE):
        return EVERYTHING
    in_view = Q(facility__in=_visible_facilities(user))
    if action == Action.VIEW:
        return in_view
    if action == Action.MANAGE and _is_security(user) and user.has_role(
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
        q |= _within("agency__region__path", jurisdiction_paths(user))
    owned = _owned_facility(user, "facility")
    if owned != NOTHING:
        q |= Q(Exists(PatrolVisit.objects.filter(owned, patrol=OuterRef("pk"))))
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
        q = Q(created_by_id=user.pk) | _owned_facility(user, "facility")
        if _is_security(user):
            q |= Q(facility__in=_visible_facilities(user))
        return q
    if action == Action.OPERATE:
        q = _owned_facility(user, "facility")
        if _goes_out(user):
            q |= Q(facility__in=_visible_facilities(user))
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
        return Q(facility__in=_visible_facilities(user))
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
        _camera_frame_view(user, "camera_id", "taken_at"))


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
    if not _is_active(user):
        return Facility.objects.none()
    if user.is_administrator:
        return Facility.objects.all()
    if _is_security(user) and user.has_role(Role.COMMANDER, Role.POST_COMMANDER):
        return _visible_facilities(user)
    return Facility.objects.none()


def patrol_operations(user) -> models.QuerySet[Operation]:
    """The operations a patrol `user` starts may be recorded under: those running today (by
    the calendar of the user's agency region) that `user` may see. The start form offers
    exactly these; the patrol service accepts only these, from the page or the API."""
    if not _is_active(user):
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
    if not _is_active(user):
        return Facility.objects.none()
    q = Q(owner_agency__path__startswith=user.agency.path) if (
        user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id) else NOTHING
    if _goes_out(user):
        q |= facility_rule(user, Action.VIEW)
    return Facility.objects.filter(q, kind=Facility.Kind.KPU_WAREHOUSE)


def incident_report_facilities(user) -> models.QuerySet[Facility]:
    """Facilities where `user` may report an incident: any facility a security officer or
    a facility official may view."""
    if not _is_active(user) or not (
            _is_security(user) or user.has_role(Role.FACILITY_OFFICIAL)):
        return Facility.objects.none()
    return _visible_facilities(user)


# --- end of field records --------------------------------------------------------------------


# --- accounts and audit (security) ----------------------------------------------------------
# The audit trail is read by administrators and written by apps.audit.recording only. Session
# bookkeeping (UserSession) is nobody's to read: a session key is as good as a password.


@rule(AuditEntry)
def audit_entry_rule(user: User, action: Action) -> Q:
    return EVERYTHING if action == Action.VIEW and user.is_administrator else NOTHING


@rule(UserSession)
def user_session_rule(user: User, action: Action) -> Q:
    return NOTHING


def users_who_may_view_camera(camera: Camera) -> models.QuerySet[User]:
    """The inverse of the camera VIEW rule, for per-recipient fan-out (alert payloads name a
    camera only to those who may view it). Must agree with `can()`; tests compare the two."""
    facility = camera.facility
    q = Q(Exists(RoleAssignment.objects.filter(user=OuterRef("pk"),
                                               role=Role.FACILITY_OFFICIAL))) & Q(
        agency_id__in=facility.owner_agency.ancestor_ids()
    )
    if camera.orientation == Orientation.OUTWARD:
        grantees = CameraShare.objects.valid_at().filter(camera=camera).values("grantee_id")
        security = Q(agency__pillar__in=Agency.SECURITY_PILLARS) & Q(
            Exists(RoleAssignment.objects.filter(user=OuterRef("pk"), role__in=SECURITY_ROLES))
        )
        q |= security & Q(agency_id__in=grantees)
        q |= Q(is_superuser=True) | Q(
            Exists(RoleAssignment.objects.filter(user=OuterRef("pk"), role=Role.ADMINISTRATOR))
        )
    return users_who_may_view_facility(facility).filter(q)


# --- end of accounts and audit ---------------------------------------------------------------


# --- API and webhooks (apps.api) ------------------------------------------------------------
# A token is its owner's alone (even administrators do not see others' tokens: a token is a
# credential). Idempotency keys are bookkeeping nobody reads. Webhook endpoints and their
# delivery log are the administrators'; MANAGE on a delivery is sending it again.


@rule(ApiToken)
def api_token_rule(user: User, action: Action) -> Q:
    return Q(user_id=user.pk) if action in (Action.VIEW, Action.MANAGE) else NOTHING


@rule(IdempotentRequest)
def idempotent_request_rule(user: User, action: Action) -> Q:
    return NOTHING


def _administrators_only(user: User, action: Action) -> Q:
    if user.is_administrator and action in (Action.VIEW, Action.MANAGE):
        return EVERYTHING
    return NOTHING


rule(WebhookEndpoint)(_administrators_only)
rule(WebhookDelivery)(_administrators_only)
# Walks of the hash chain: the integrity page reads them, and asks for one (MANAGE).
rule(ChainVerification)(_administrators_only)


# --- end of API and webhooks -----------------------------------------------------------------


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


def may_check_record_integrity(user) -> bool:
    """The integrity page (walks of the hash chain, their problems) is for administrators,
    as the chain itself is (ChainEntry's rule)."""
    return _is_active(user) and user.is_administrator


def may_see_health_details(user) -> bool:
    """The health check's inventory (workers, their queues and cameras, error names) is for
    administrators; anyone else, a load balancer included, reads the status only."""
    return _is_active(user) and user.is_administrator


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
    today = facility.local_time().date()
    if facility.operations.filter(starts_on__lte=today, ends_on__gte=today).exists():
        q |= security & has_role(Role.FIELD_OFFICER, Role.POST_COMMANDER, Role.OPERATOR)
    return User.objects.filter(q, is_active=True)


def users_who_may_view_alert(alert: Alert) -> models.QuerySet[User]:
    return users_who_may_view_facility(alert.facility)


def alert_assignees(alert: Alert) -> models.QuerySet[User]:
    """Who may be assigned `alert`: the people who may act on it (the inverse of the Alert
    OPERATE rule). The web form offers exactly these, and the API and the assign service
    accept exactly these; tests compare them with `can()`."""
    operators = RoleAssignment.objects.filter(role__in=ALERT_OPERATORS).values("user_id")
    return users_who_may_view_alert(alert).filter(
        agency__pillar__in=Agency.SECURITY_PILLARS, pk__in=operators)


# --- cameras over time: naming, live deadlines, share audiences ------------------------------


def viewable_camera_ids(user, camera_ids) -> set[int]:
    """Of `camera_ids`, the cameras `user` may view now. The one question behind naming a
    camera in a record (the access record page, its CSV, the API) and keeping a live view."""
    ids = {int(i) for i in camera_ids}
    if not ids:
        return set()
    return set(scope(user, Camera.objects.filter(pk__in=ids)).values_list("pk", flat=True))


def camera_view_lapses_at(user, camera_ids, now: datetime | None = None) -> datetime | None:
    """The earliest moment after `now` at which `user`'s view of one of `camera_ids` may end
    without any event announcing it: a share, a region grant or an operation running out.
    Live views ask the policy again then (revocations announce themselves)."""
    now = now or timezone.now()
    ids = [int(i) for i in camera_ids]
    if not ids or not _is_active(user) or user.agency_id is None:
        return None
    ends = [
        *CameraShare.objects.valid_at(now).filter(
            camera_id__in=ids, grantee_id=user.agency_id, valid_until__isnull=False,
        ).values_list("valid_until", flat=True),
        *RegionGrant.objects.valid_at(now).filter(
            agency_id=user.agency_id, valid_until__isnull=False,
        ).values_list("valid_until", flat=True),
    ]
    # An operation ends at the midnight after its last day, in each facility's own zone.
    operations = Operation.objects.filter(
        facilities__cameras__pk__in=ids, ends_on__gte=(now - timedelta(days=1)).date(),
    ).values_list("ends_on", "facilities__region__timezone").distinct()
    for ends_on, zone in operations:
        ends.append(datetime.combine(ends_on + timedelta(days=1), time.min, ZoneInfo(zone)))
    upcoming = [end for end in ends if end > now]
    return min(upcoming, default=None)


def share_grantees(user, camera: Camera) -> models.QuerySet[Agency]:
    """The agencies `user` may share `camera` with: none unless they are an official of the
    owner agency and the camera faces outward; otherwise the security agencies that work
    where the camera is (their region contains the facility's, or a valid region grant
    covers it), so a share never goes to an agency that could not see the facility. The
    share form offers exactly these and the API accepts exactly these."""
    if (not _is_active(user) or not user.has_role(Role.FACILITY_OFFICIAL)
            or camera.orientation != Orientation.OUTWARD
            or not can(user, Action.MANAGE, camera)):
        return Agency.objects.none()
    here_and_above = camera.facility.region.ancestor_ids()
    granted = RegionGrant.objects.valid_at().filter(region_id__in=here_and_above)
    return Agency.objects.filter(
        Q(region_id__in=here_and_above) | Q(pk__in=granted.values("agency_id")),
        pillar__in=Agency.SECURITY_PILLARS,
    )
