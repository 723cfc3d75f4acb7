"""Recorded video. Reviewing recordings is a right of its own, apart from watching live:

- the owner agency (and the agencies above it) reviews every recording of its cameras,
  inward or outward, as recorded (no masks);
- security staff review an outward camera's segments only while their agency holds a valid,
  unrevoked share of it that grants recordings, only segments recorded within that share's
  period, and only in their jurisdiction;
- administrators review outward cameras' recordings as they view outward cameras (the
  camera rule: no break-glass for inward ones);
- outside the owner agency, nothing of a camera that is inward now, and no segment recorded
  while the camera was inward at any moment of it (a reclassification applies at once and
  never uncovers what was recorded before it).

Nobody edits the index by hand: the watchers write it, retention deletes from it."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from apps.access.policy.base import NOTHING, Action, is_active, is_security, rule
from apps.access.policy.cameras import _taken_while_inward, privacy_masks_apply
from apps.access.policy.jurisdiction import owned_facility, visible_facilities
from apps.accounts.models import User
from apps.cameras.models import Camera, CameraShare, Orientation
from apps.recordings.models import RecordingSegment


def _recording_shares(user: User) -> models.QuerySet[CameraShare]:
    """Shares valid now (unrevoked, in their period, of a camera outward now) granting the
    user's agency recordings."""
    return CameraShare.objects.valid_at().filter(grantee_id=user.agency_id, recordings=True)


def _reviewable_camera(user: User) -> Q:
    q = owned_facility(user, "facility")
    if is_security(user):
        shared = _recording_shares(user).filter(camera=OuterRef("pk"))
        q |= (Q(orientation=Orientation.OUTWARD) & Q(Exists(shared))
              & Q(facility__in=visible_facilities(user)))
    if user.is_administrator:
        q |= Q(orientation=Orientation.OUTWARD)
    return q


def reviewable_cameras(user) -> models.QuerySet[Camera]:
    """The cameras whose recordings `user` may review (some of their segments, at least)."""
    if not is_active(user):
        return Camera.objects.none()
    return Camera.objects.filter(_reviewable_camera(user))


@rule(RecordingSegment)
def recording_segment_rule(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING
    owner = owned_facility(user, "camera__facility")
    outside = NOTHING
    if is_security(user):
        within_share = _recording_shares(user).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=OuterRef("end")),
            camera=OuterRef("camera_id"), valid_from__lte=OuterRef("start"),
        )
        outside |= Q(Exists(within_share)) & Q(camera__facility__in=visible_facilities(user))
    if user.is_administrator:
        outside |= Q(camera__orientation=Orientation.OUTWARD)
    outside &= Q(camera__orientation=Orientation.OUTWARD) & ~_taken_while_inward(
        "camera_id", "start", "end")
    return owner | outside


def needs_masked_recording(user, camera: Camera) -> bool:
    """Whether `user` is served the masked rendition of `camera`'s recordings: everyone
    outside the owner agency, when the camera has privacy masks. Cameras without masks are
    served as stored."""
    return privacy_masks_apply(user, camera)
