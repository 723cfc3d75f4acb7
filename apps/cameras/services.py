"""Camera writes: saving a camera, sharing and revoking, with the access policy asked first."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.access import policy
from apps.accounts.models import User
from apps.cameras.models import Camera, CameraShare, Orientation
from apps.org.models import Agency
from apps.places.models import Operation

# What a camera records and how long it is kept: the owner agency's call, like what it shows.
RECORDING_FIELDS = ("recording_mode", "recording_days", "recording_alert_days")


@transaction.atomic
def camera_save(*, camera: Camera, by: User) -> Camera:
    """Save a camera the person may configure. What a camera may show is its owner agency's
    call alone: nobody else (administrators included) adds an outward camera, changes a
    camera's orientation or its privacy masks; a change of orientation is recorded in the
    owner's access record (Camera.save)."""
    # The facility it is (or is moved) to, and the camera as stored.
    allowed = policy.can(by, policy.Action.MANAGE, camera.facility) and (
        camera.pk is None or policy.can(by, policy.Action.MANAGE, Camera(pk=camera.pk)))
    if not allowed:
        raise PermissionDenied(_("You may not configure this camera."))
    stored = (Camera.objects.filter(pk=camera.pk).values("orientation", "privacy_masks").first()
              if camera.pk else {"orientation": Orientation.INWARD, "privacy_masks": []})
    if camera.orientation != stored["orientation"] and not policy.is_camera_owner(by, camera):
        raise PermissionDenied(_("Only the owner agency may change a camera's orientation."))
    if (camera.privacy_masks or []) != (stored["privacy_masks"] or []) and (
            not policy.is_camera_owner(by, camera)):
        raise PermissionDenied(_("Only the owner agency may change a camera's privacy masks."))
    if not policy.is_camera_owner(by, camera):
        kept = (Camera.objects.filter(pk=camera.pk).values(*RECORDING_FIELDS).first()
                if camera.pk else None) or {name: getattr(Camera(), name)
                                            for name in RECORDING_FIELDS}
        if any(getattr(camera, name) != kept[name] for name in RECORDING_FIELDS):
            raise PermissionDenied(_("Only the owner agency may change what a camera records."))
    camera.save(changed_by=by)
    return camera


@transaction.atomic
def share_grant(
    *,
    camera: Camera,
    grantee: Agency,
    basis: str,
    by: User,
    operation: Operation | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    recordings: bool = False,
) -> CameraShare:
    """The owner agency shares an outward camera: live only, or live and the recordings made
    within the share's period (`recordings`). For an operation, the share runs over the
    operation's period unless a period is given."""
    if not policy.may_share_camera(by, camera):
        raise PermissionDenied(_("Only the owner agency may share this camera."))
    if not camera.is_outward:
        raise ValidationError(_("Inward cameras are never shared."))
    if grantee.pillar not in Agency.SECURITY_PILLARS:
        raise ValidationError(_("Cameras are shared with security agencies only."))
    if operation is not None and valid_from is None:
        zone = camera.facility.zoneinfo
        valid_from = datetime.combine(operation.starts_on, datetime.min.time(), zone)
        valid_until = valid_until or datetime.combine(
            operation.ends_on, datetime.max.time(), zone
        )
    share = CameraShare(
        camera=camera, grantee=grantee, basis=basis.strip(), operation=operation,
        valid_from=valid_from or timezone.now(), valid_until=valid_until, granted_by=by,
        recordings=recordings,
    )
    share.full_clean()
    share.save()
    return share


@transaction.atomic
def share_revoke(*, share: CameraShare, by: User, reason: str) -> CameraShare:
    if not policy.can(by, policy.Action.MANAGE, share):
        raise PermissionDenied(_("Only the owner agency may revoke this share."))
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.revoked_by = by
        share.revoke_reason = reason.strip()[:255]
        share.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    return share
