"""Revocation is live: when access may have shrunk, the affected sockets re-check at once.

The message only says "check again"; the consumer asks the access policy, so a lost or
spurious message can never grant anything (and the consumer re-checks every few seconds
anyway)."""

from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from apps.access.models import RegionGrant
from apps.accounts.models import RoleAssignment, User
from apps.cameras.models import Camera, CameraShare
from apps.core import push
from apps.live import epoch
from apps.places.models import Operation

logger = logging.getLogger(__name__)


def _bump_epoch() -> None:
    try:
        epoch.bump()
    except Exception:
        logger.warning("could not bump the access epoch", exc_info=True)


def _notify_camera(camera_id: int) -> None:
    # After commit: the epoch first (every socket compares it before each frame), then the
    # message (on_commit keeps the order), so a socket re-checking on either sees the change.
    transaction.on_commit(_bump_epoch)
    push.camera_access_changed_on_commit(camera_id)


def _notify_user(user_id: int) -> None:
    transaction.on_commit(_bump_epoch)  # as for a camera
    push.user_access_changed_on_commit(user_id)


@receiver(post_save, sender=CameraShare)
def share_changed(sender, instance: CameraShare, **kwargs) -> None:
    _notify_camera(instance.camera_id)


@receiver(post_save, sender=Camera)
def camera_changed(sender, instance: Camera, created: bool, **kwargs) -> None:
    if not created:
        _notify_camera(instance.pk)


@receiver(post_save, sender=User)
def user_changed(sender, instance: User, created: bool, **kwargs) -> None:
    if not created:
        _notify_user(instance.pk)


@receiver(post_delete, sender=RoleAssignment)
def role_removed(sender, instance: RoleAssignment, **kwargs) -> None:
    _notify_user(instance.user_id)


@receiver(user_logged_out)
def logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        _notify_user(user.pk)


@receiver(post_save, sender=RegionGrant)
@receiver(post_delete, sender=RegionGrant)
def region_grant_changed(sender, instance: RegionGrant, **kwargs) -> None:
    # A grant revoked or cut short: its agency's people may have lost a region.
    for user_id in User.objects.filter(agency_id=instance.agency_id).values_list("pk",
                                                                                flat=True):
        _notify_user(user_id)


def _notify_cameras_of(facility_ids) -> None:
    for camera_id in Camera.objects.filter(facility_id__in=facility_ids).values_list(
            "pk", flat=True):
        _notify_camera(camera_id)


@receiver(post_save, sender=Operation)
def operation_changed(sender, instance: Operation, created: bool, **kwargs) -> None:
    # A period cut short: the staff posted through it may have lost its facilities.
    if not created:
        _notify_cameras_of(instance.facilities.values("pk"))


@receiver(m2m_changed, sender=Operation.facilities.through)
def operation_facilities_changed(sender, instance, action: str, reverse: bool, pk_set,
                                 **kwargs) -> None:
    if action not in ("post_remove", "pre_clear"):
        return
    if reverse:  # facility.operations.remove(...): the instance is the facility
        _notify_cameras_of([instance.pk])
    elif action == "pre_clear":
        _notify_cameras_of(instance.facilities.values("pk"))
    else:
        _notify_cameras_of(pk_set)
