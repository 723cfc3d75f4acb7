"""Review pages: one camera's day of footage, or a facility's cameras side by side in sync.

The pages only lay out the player (static/js/recordings.js): it reads each camera's segments
and markers for the day from the recordings API and plays the segment files. Who may review a
camera is the policy's (`policy.reviewable_cameras`); a camera or facility the person may not
review is a 404, as if it did not exist."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from apps.access import policy
from apps.cameras.models import Camera
from apps.places.models import Facility

# Playing "from an alert" starts this long before it, to see what led up to it.
BEFORE_ALERT = timedelta(seconds=10)
# The frame step when the camera's frame rate is not known yet.
DEFAULT_FPS = 10.0
PER_PAGE = 100  # cameras on a page of the list


def _reviewable(user):
    return policy.reviewable_cameras(user).select_related("facility__region", "health")


def review_url(camera: Camera, moment: datetime | None = None) -> str:
    """The camera's review page, at `moment` when given (in its facility's local day)."""
    url = reverse("review:camera", args=[camera.pk])
    return url + _moment_query(camera.facility.zoneinfo, moment)


def _moment_query(zone: ZoneInfo, moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment, zone)
    return "?" + urlencode({"tanggal": local.date().isoformat(), "t": f"{local:%H:%M:%S}"})


def replay_links(user, alerts) -> None:
    """Give each alert with a camera `user` may review a `replay_url`: its camera's footage
    from BEFORE_ALERT before it was raised (one query for all of them). An alert whose camera
    is withheld from `user` (apps.alerts.redaction) has none."""
    ids = {a.camera_id for a in alerts if a.camera_id is not None}
    cameras = {c.pk: c for c in _reviewable(user).filter(pk__in=ids)} if ids else {}
    for alert in alerts:
        camera = cameras.get(alert.camera_id)
        # Redaction's copies say the camera is hidden (never `alert.camera`: one query each).
        alert.replay_url = (review_url(camera, alert.first_raised_at - BEFORE_ALERT)
                            if camera and not getattr(alert, "camera_hidden", False) else "")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Every camera the person may review, by facility, a page at a time."""
    cameras = _reviewable(request.user).order_by("facility__name", "facility_id", "name")
    page = Paginator(cameras, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "recordings/index.html", {"page": page})


@login_required
def camera(request: HttpRequest, camera_id: int) -> HttpResponse:
    camera = get_object_or_404(_reviewable(request.user), pk=camera_id)
    return _review(request, camera.facility, [camera], camera=camera)


@login_required
def facility(request: HttpRequest, facility_id: int) -> HttpResponse:
    facility = get_object_or_404(Facility.objects.select_related("region"), pk=facility_id)
    cameras = list(_reviewable(request.user).filter(facility=facility).order_by("name"))
    if not cameras:
        raise Http404
    return _review(request, facility, cameras)


def _review(request: HttpRequest, facility: Facility, cameras: list[Camera],
            camera: Camera | None = None) -> HttpResponse:
    """The player for `cameras` of `facility` (the page of `camera` alone when given)."""
    path = request.path
    zone = facility.zoneinfo
    day, at = _day_and_moment(request.GET, zone)
    day_start = datetime.combine(day, time.min, zone)
    day_end = datetime.combine(day + timedelta(days=1), time.min, zone)
    data = {
        "dayStart": day_start.isoformat(), "dayEnd": day_end.isoformat(),
        "timezone": facility.region.timezone, "zone": facility.region.zone_abbreviation,
        "start": at.isoformat() if at else None,
        "cameras": [{"id": c.pk, "name": c.name, "fps": _fps(c),
                     "api": reverse("api:recording-timeline", args=[c.pk])} for c in cameras],
    }
    return render(request, "recordings/review.html", {
        "facility": facility, "cameras": cameras, "camera": camera, "day": day,
        "moment": at and timezone.localtime(at, zone),
        "previous_day": f"{path}?tanggal={day - timedelta(days=1)}",
        "next_day": f"{path}?tanggal={day + timedelta(days=1)}",
        "hours": range(0, 24, 3), "review_data": data,
    })


def _fps(camera: Camera) -> float:
    health = getattr(camera, "health", None)
    return round(health.fps, 2) if health is not None and health.fps else DEFAULT_FPS


def _day_and_moment(query, zone: ZoneInfo) -> tuple[date, datetime | None]:
    """The day asked for (`tanggal`, the facility's local date; today by default) and the
    moment in it to start from (`t`, local HH:MM[:SS]), if any. Unreadable values fall back
    to the defaults rather than failing: they come from links and hand-edited addresses."""
    day = timezone.localtime(timezone.now(), zone).date()
    with contextlib.suppress(ValueError):
        day = date.fromisoformat(query.get("tanggal", ""))
    try:
        at = time.fromisoformat(query.get("t", ""))
    except ValueError:
        return day, None
    return day, datetime.combine(day, at.replace(microsecond=0), zone)
