"""Recording reads for review: a camera's day of segments and markers, and one segment's file,
each only as far as the access policy lets the person see (apps.access.policy.recordings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from apps.access import policy
from apps.alerts.models import Alert
from apps.cameras.models import Camera
from apps.core.timing import MAX_YEAR, MIN_YEAR
from apps.recordings.models import RecordingSegment
from apps.recordings.renditions import PIECE_SECONDS

# A timeline covers a facility-local day: 24 h, 23 or 25 on the days the clocks change.
MAX_SPAN = timedelta(hours=25)


@dataclass(frozen=True)
class Marker:
    kind: str  # "motion", "tamper" or "alert"
    at: datetime
    alert_id: int | None = None
    title: str | None = None


@dataclass
class Timeline:
    camera: Camera
    start: datetime
    end: datetime
    segments: list[RecordingSegment]
    markers: list[Marker]
    masked: bool

    @property
    def piece_seconds(self) -> float | None:
        """Masked footage is played in pieces of this length (renditions.PIECE_SECONDS)."""
        return PIECE_SECONDS if self.masked else None


def reviewable_camera(user, camera_id) -> Camera:
    """A camera whose recordings `user` may review; 404 for any other id, existing or not."""
    try:
        return policy.reviewable_cameras(user).select_related("facility__region").get(
            pk=camera_id)
    except (Camera.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def _moment(text: str | None, field: str, zone) -> datetime | None:
    """An ISO 8601 time with its UTC offset, or a date alone (its midnight at the camera):
    a time without an offset is refused rather than guessed, as everywhere in the API."""
    if not text:
        return None
    text = text.strip().replace(" ", "+")  # "+07:00" arrives as " 07:00" when not escaped
    try:
        day = parse_date(text)
        moment = None if day else parse_datetime(text)
    except ValueError:
        moment = day = None
    if day is not None:
        moment = datetime.combine(day, time.min, zone)
    if moment is None:
        raise ValidationError({field: _("Not a date and time (ISO 8601).")})
    if moment.tzinfo is None:
        raise ValidationError({field: _(
            "Give the time with its UTC offset, e.g. 2026-02-14T08:00:00+07:00.")})
    if not MIN_YEAR <= moment.year <= MAX_YEAR:  # and no arithmetic near datetime's limits
        raise ValidationError({field: _("The year must be between %(low)d and %(high)d.") % {
            "low": MIN_YEAR, "high": MAX_YEAR}})
    return moment


def timeline_span(camera: Camera, start_text: str | None, end_text: str | None,
                  now: datetime) -> tuple[datetime, datetime]:
    """The span asked for; without an end, the facility-local day of `start` (today without
    either)."""
    zone = camera.facility.zoneinfo
    start = _moment(start_text, "start", zone) or now
    end = _moment(end_text, "end", zone)
    if end is None:
        day = start.astimezone(zone).date()
        start = datetime.combine(day, time.min, zone)
        end = datetime.combine(day + timedelta(days=1), time.min, zone)
    if end <= start:
        raise ValidationError({"end": _("The end must come after the start.")})
    if end - start > MAX_SPAN:
        raise ValidationError({"end": _("At most one day (25 hours) at a time.")})
    return start, end


def timeline(user, camera: Camera, start: datetime, end: datetime) -> Timeline:
    """The segments of `camera` overlapping [start, end) that `user` may review, in order,
    with their markers: three queries whatever the day holds."""
    segments = list(
        policy.scope(user, RecordingSegment.objects.filter(
            camera=camera, start__lt=end, end__gt=start))
        .order_by("start", "pk").only("pk", "camera_id", "start", "end", "has_motion",
                                      "has_tamper"))
    markers = [Marker(kind, segment.start) for segment in segments
               for kind, happened in (("motion", segment.has_motion),
                                      ("tamper", segment.has_tamper)) if happened]
    if segments:
        alerts = (policy.scope(user, Alert.objects.all())
                  .filter(recording_segments__in=[s.pk for s in segments])
                  .distinct().order_by("first_raised_at", "pk")
                  .values_list("pk", "first_raised_at", "title"))
        markers += [Marker("alert", at, pk, title) for pk, at, title in alerts]
    markers.sort(key=lambda marker: marker.at)
    return Timeline(camera, start, end, segments, markers,
                    policy.needs_masked_recording(user, camera))


def segment_for_playback(user, segment_id) -> RecordingSegment:
    """A segment `user` may play; 404 for any other id, existing or not."""
    return policy.get_or_404(user, RecordingSegment.objects.select_related(
        "camera__facility__owner_agency"), pk=segment_id)
