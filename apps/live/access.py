"""The database questions the websocket consumer asks, in sync code (run through
database_sync_to_async). All camera decisions come from the access policy."""

from __future__ import annotations

from django.contrib import auth
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from apps.access import policy
from apps.accounts.mfa import is_satisfied as mfa_satisfied
from apps.accounts.sessions import session_is_current
from apps.cameras.models import Camera, SourceKind, ViewRecord


class _SessionRequest:
    def __init__(self, session_key: str | None) -> None:
        self.session = SessionStore(session_key)


def current_user(session_key: str | None):
    """The user a session still belongs to, or None when the session ended (logout, expiry,
    password change, deactivation, 2FA no longer satisfied)."""
    if not session_key:
        return None
    request = _SessionRequest(session_key)
    user = auth.get_user(request)
    if not user.is_authenticated or not user.is_active:
        return None
    if not mfa_satisfied(user, request.session):
        return None
    # The absolute lifetime (one shift) ends live views too; an open wall that receives and
    # acknowledges frames is activity, so the idle timeout is left to the pages.
    if not session_is_current(request.session, check_idle=False):
        return None
    return user


def viewable_until(user, camera_ids) -> tuple[set[int], float | None]:
    """The cameras of `camera_ids` the user may view now, and when (epoch seconds) that may
    end without an event saying so (a share, region grant or operation running out)."""
    viewable = policy.viewable_camera_ids(user, camera_ids)
    lapses_at = policy.camera_view_lapses_at(user, viewable)
    return viewable, lapses_at.timestamp() if lapses_at is not None else None


def passthrough_allowed(user, camera_ids) -> set[int]:
    """Of `camera_ids`, those the user may watch by passthrough: the policy allows it (no
    privacy mask applies to them) and the camera sends video that can be passed through
    (RTSP; a JPEG source has only pictures)."""
    allowed = policy.passthrough_camera_ids(user, camera_ids)
    return set(Camera.objects.filter(
        pk__in=allowed, source_kind__in=(SourceKind.RTSP, SourceKind.FILE),
    ).values_list("pk", flat=True)) if allowed else set()


def start_views(user, camera_ids, address: str | None, user_agent: str) -> dict[int, int]:
    """One live-view record per camera, in one statement; returns camera id → record id."""
    records = ViewRecord.objects.bulk_create([
        ViewRecord(camera_id=camera_id, viewer=user, viewer_agency_id=user.agency_id,
                   kind=ViewRecord.Kind.LIVE, address=address, user_agent=user_agent[:255])
        for camera_id in camera_ids
    ])
    return {record.camera_id: record.pk for record in records}


def end_views(record_ids) -> None:
    ViewRecord.objects.filter(pk__in=list(record_ids), ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
