"""Writing the transparency record: every successful view of a camera leaves one row."""

from __future__ import annotations

from django.http import HttpRequest

from apps.cameras.models import Camera, ViewRecord


def client_address(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: Daphne sets it from the proxy headers when run with --proxy-headers.
    return request.META.get("REMOTE_ADDR") or None


def record_view(*, request: HttpRequest, camera: Camera, kind: str) -> ViewRecord:
    user = request.user
    return ViewRecord.objects.create(
        camera=camera, viewer=user, viewer_agency_id=user.agency_id, kind=kind,
        address=client_address(request),
        user_agent=request.headers.get("User-Agent", "")[:255],
    )
