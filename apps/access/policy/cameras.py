"""Cameras and their frames: owners see their own, security staff see shared outward
cameras; a frame keeps the classification it was captured under; the live wall; who may be
named a camera, until when a view lasts, and to whom a camera may be shared."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone

from apps.access.models import RegionGrant
from apps.access.policy.audiences import users_who_may_view_facility
from apps.access.policy.base import (
    EVERYTHING,
    NOTHING,
    Action,
    can,
    is_active,
    is_security,
    rule,
    scope,
)
from apps.access.policy.jurisdiction import alert_rule, owned_facility, visible_facilities
from apps.accounts.models import SECURITY_ROLES, Role, RoleAssignment, User
from apps.alerts.models import Alert, AlertEvidence
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
from apps.live.models import WallLayout
from apps.org.models import Agency
from apps.places.models import Operation


@rule(Camera)
def camera_rule(user: User, action: Action) -> Q:
    """VIEW means seeing the camera and its frames. Owners see all their cameras; security
    staff only outward cameras shared with their agency now, in their jurisdiction;
    administrators configure every camera but view only outward ones (no break-glass)."""
    if action == Action.VIEW:
        q = NOTHING
        if user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
            q |= Q(facility__owner_agency__path__startswith=user.agency.path)
        if is_security(user):
            shared_now = CameraShare.objects.valid_at().filter(
                camera=OuterRef("pk"), grantee_id=user.agency_id
            )
            q |= (
                Q(orientation=Orientation.OUTWARD)
                & Q(Exists(shared_now))
                & Q(facility__in=visible_facilities(user))
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
        if is_security(user):
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


def _taken_while_inward(camera_field: str, time_field: str, until_field: str | None = None) -> Q:
    """Taken at `time_field`, or over the span up to `until_field` (a recorded segment)."""
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
        started_at__gt=since,
        started_at__lte=OuterRef(until_field or time_field) + CAPTURE_CLOCK_MARGIN))
    return Q(inward_before) | Q(changed_around)


def camera_frame_view(user: User, camera_field: str, time_field: str) -> Q:
    """Frames of cameras `user` may view, less those taken while inward unless `user` is of
    the owner agency."""
    prefix = camera_field.removesuffix("_id")
    viewable = Q(**{f"{prefix}__in": _viewable_cameras(user)})
    owner = owned_facility(user, f"{prefix}__facility")
    return viewable & (owner | ~_taken_while_inward(camera_field, time_field))


def is_camera_owner(user, camera: Camera) -> bool:
    """Staff of the agency owning the camera's facility (or an agency above it): the only
    people who change its orientation and see its stored frames as they were taken, without
    the masks drawn since."""
    return (is_active(user) and user.has_role(Role.FACILITY_OFFICIAL)
            and user.agency_id is not None
            and camera.facility.owner_agency.path.startswith(user.agency.path))


def privacy_masks_apply(user, camera: Camera) -> bool:
    """Whether `user` sees `camera` through its privacy masks, live or recorded: everyone
    outside the owner agency, when the camera has masks."""
    return bool(camera.privacy_masks) and not is_camera_owner(user, camera)


def may_share_camera(user, camera: Camera) -> bool:
    """Only the owner agency grants shares (the CameraShare MANAGE rule): administrators see
    every share but share nothing of an agency's."""
    return is_camera_owner(user, camera)


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


def alerts_with_camera_shown(user) -> Q:
    """The query form of the rule above, for filtering and searching alerts by their camera
    (the review list): an alert keeps its camera to itself when the camera is not the
    person's to view, or when it was raised while the camera was inward and the person is not
    of the owner agency. Matching such an alert by its camera would name the camera."""
    viewable = scope(user, Camera.objects.all()).values("pk")
    shown = Q(camera__in=viewable)
    if not (is_active(user) and user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id):
        return shown & ~_taken_while_inward("camera_id", "first_raised_at")
    owned = Q(camera__facility__owner_agency__path__startswith=user.agency.path)
    return shown & (owned | ~_taken_while_inward("camera_id", "first_raised_at"))


@rule(TimelineFrame)
def timeline_frame_rule(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING  # written by the watchers only
    return camera_frame_view(user, "camera_id", "taken_at")


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
        camera_frame_view(user, "camera_id", "taken_at"))



@rule(WallLayout)
def wall_layout_rule(user: User, action: Action) -> Q:
    return Q(owner_id=user.pk) if action in (Action.VIEW, Action.MANAGE) else NOTHING


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



# --- cameras over time: naming, live deadlines, share audiences ------------------------------


def viewable_camera_ids(user, camera_ids) -> set[int]:
    """Of `camera_ids`, the cameras `user` may view now. The one question behind naming a
    camera in a record (the access record page, its CSV, the API) and keeping a live view."""
    ids = {int(i) for i in camera_ids}
    if not ids:
        return set()
    return set(scope(user, Camera.objects.filter(pk__in=ids)).values_list("pk", flat=True))


def passthrough_camera_ids(user, camera_ids) -> set[int]:
    """Of `camera_ids`, the cameras `user` may watch live as the camera sends them (its video
    passed through undecoded, so no mask can be drawn on it): viewable now, and no privacy
    mask applies to `user`. Asked again whenever access may have changed (a mask drawn, a
    share revoked, a camera turned inward); the others get masked snapshots."""
    ids = {int(i) for i in camera_ids}
    if not ids:
        return set()
    cameras = scope(user, Camera.objects.filter(pk__in=ids)).select_related(
        "facility__owner_agency")
    return {camera.pk for camera in cameras if not privacy_masks_apply(user, camera)}


def camera_view_lapses_at(user, camera_ids, now: datetime | None = None) -> datetime | None:
    """The earliest moment after `now` at which `user`'s view of one of `camera_ids` may end
    without any event announcing it: a share, a region grant or an operation running out.
    Live views ask the policy again then (revocations announce themselves)."""
    now = now or timezone.now()
    ids = [int(i) for i in camera_ids]
    if not ids or not is_active(user) or user.agency_id is None:
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
    if (not is_active(user) or not user.has_role(Role.FACILITY_OFFICIAL)
            or camera.orientation != Orientation.OUTWARD
            or not can(user, Action.MANAGE, camera)):
        return Agency.objects.none()
    here_and_above = camera.facility.region.ancestor_ids()
    granted = RegionGrant.objects.valid_at().filter(region_id__in=here_and_above)
    return Agency.objects.filter(
        Q(region_id__in=here_and_above) | Q(pk__in=granted.values("agency_id")),
        pillar__in=Agency.SECURITY_PILLARS,
    )
