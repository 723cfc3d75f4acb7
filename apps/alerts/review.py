"""The review list of alerts: its filters, per-day counts and acknowledging several at once.

A city holds tens of thousands of alerts, so every read here is bounded by a date range (the
last week by default, at most a year) on the `(facility, first_raised_at)` index, and the
rows come a page at a time. Every choice offered and every filter accepted comes from the
access policy: a camera filter names only a camera the person may view (filtering alerts by
an inward camera's id would tell security staff which of their redacted alerts it raised),
and the text search reads an alert's title only where the person is told its camera."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.access import policy
from apps.access.policy.cameras import alerts_with_camera_shown
from apps.alerts import services
from apps.alerts.models import Alert
from apps.cameras.models import Camera
from apps.places.models import Facility

DEFAULT_DAYS = 7
MAX_DAYS = 366
# Acknowledged in one request at most: each goes through the service (history, push).
BULK_LIMIT = 100
STATES = ("unresolved", "all", *Alert.State.values)


@dataclass
class Filters:
    state: str = "unresolved"
    kind: str = ""
    severity: int | None = None
    facility: Facility | None = None
    camera: Camera | None = None
    since: date | None = None
    until: date | None = None
    text: str = ""

    def as_query(self) -> dict[str, str]:
        """The choices as the form shows them (the opening defaults included)."""
        return {
            "state": self.state, "kind": self.kind,
            "severity": str(self.severity or ""),
            "facility": str(self.facility.pk) if self.facility else "",
            "camera": str(self.camera.pk) if self.camera else "",
            "since": self.since.isoformat(), "until": self.until.isoformat(), "q": self.text,
        }


def viewer_zone(user) -> ZoneInfo:
    """Days are counted in the zone of the person's own region (WIB by default)."""
    agency = getattr(user, "agency", None)
    if agency is not None and agency.region_id:
        return agency.region.zoneinfo
    return ZoneInfo(settings.TIME_ZONE)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def read_filters(user, query) -> Filters:
    """The filters of a request, each checked against what `user` may see; anything else is
    dropped, as if not given."""
    f = Filters()
    state = query.get("state", "unresolved")
    f.state = state if state in STATES else "unresolved"
    kind = query.get("kind", "")
    f.kind = kind if kind in Alert.Kind.values else ""
    severity = query.get("severity", "")
    f.severity = int(severity) if severity.isdigit() and int(severity) in Alert.Severity.values \
        else None
    facility = query.get("facility", "")
    if facility.isdigit():
        f.facility = policy.scope(user, Facility.objects.filter(pk=int(facility))).first()
    camera = query.get("camera", "")
    if camera.isdigit():
        f.camera = policy.scope(user, Camera.objects.filter(pk=int(camera))).first()
    today = timezone.localdate(timezone.now(), viewer_zone(user))
    f.until = min(_date(query.get("until", "")) or today, today)
    f.since = _date(query.get("since", "")) or f.until - timedelta(days=DEFAULT_DAYS - 1)
    f.since = min(max(f.since, f.until - timedelta(days=MAX_DAYS - 1)), f.until)
    f.text = query.get("q", "").strip()[:80]
    return f


def filtered(user, f: Filters) -> QuerySet[Alert]:
    """The alerts `user` may see that match `f` (unordered)."""
    zone = viewer_zone(user)
    alerts = policy.scope(user, Alert.objects.all()).filter(
        first_raised_at__gte=datetime.combine(f.since, time.min, zone),
        first_raised_at__lt=datetime.combine(f.until + timedelta(days=1), time.min, zone),
    )
    if f.state == "unresolved":
        alerts = alerts.exclude(state=Alert.State.RESOLVED)
    elif f.state != "all":
        alerts = alerts.filter(state=f.state)
    if f.kind:
        alerts = alerts.filter(kind=f.kind)
    if f.severity:
        alerts = alerts.filter(severity=f.severity)
    if f.facility:
        alerts = alerts.filter(facility=f.facility)
    if f.camera or f.text:
        camera_shown = alerts_with_camera_shown(user)
    if f.camera:
        alerts = alerts.filter(Q(camera=f.camera) & camera_shown)
    if f.text:
        # The title may name the camera: it is searched only where the person is told the
        # camera (or there is none); the facility's name is theirs anyway.
        alerts = alerts.filter(
            Q(facility__name__icontains=f.text)
            | (Q(title__icontains=f.text) & (Q(camera__isnull=True) | camera_shown)))
    return alerts


def day_counts(user, alerts: QuerySet[Alert], f: Filters) -> list[tuple[date, int]]:
    """Alerts raised per day of the filtered range, every day listed (newest first)."""
    counted = dict(
        alerts.annotate(day=TruncDate("first_raised_at", tzinfo=viewer_zone(user)))
        .order_by().values("day").annotate(n=Count("pk")).values_list("day", "n"))
    days = (f.until - f.since).days + 1
    return [(day, counted.get(day, 0))
            for day in (f.until - timedelta(days=i) for i in range(days))]


def camera_choices(user, f: Filters) -> QuerySet[Camera]:
    """Cameras offered in the filter: those of the chosen facility the person may view (a
    city has a thousand; choosing the facility first keeps the list short)."""
    if f.facility is None:
        return Camera.objects.none()
    return policy.scope(user, Camera.objects.filter(facility=f.facility)).order_by("name")


def acknowledge_many(user, ids, comment: str = "") -> tuple[int, int]:
    """Acknowledge each of the alerts `ids` that `user` may act on, one by one through the
    service (its history line and push). An id the person may not see or act on is skipped
    without saying why. Returns (acknowledged, skipped)."""
    wanted = list(dict.fromkeys(int(i) for i in ids if str(i).isdigit()))[:BULK_LIMIT]
    alerts = policy.scope(user, Alert.objects.filter(pk__in=wanted, state=Alert.State.OPEN))
    done = 0
    for alert in alerts:
        try:
            services.alert_acknowledge(alert=alert, user=user, comment=comment)
        except PermissionDenied:
            continue
        done += 1
    return done, len(wanted) - done
