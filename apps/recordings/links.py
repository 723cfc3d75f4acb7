"""Segments and alerts linked by time. A segment overlapping an alert on its camera, from
the event margins before its first raise to after its last (apps.vision.recordgate: what
events-only recording keeps around an event), is linked to it: retention keeps it for the
camera's alert days and the timeline marks it. Links are made when a segment is stored (for
alerts already raised, and for the stored segments just before it: an alert raised again
reaches back into them) and when an alert is raised (for the segments stored in its
margin before). Every query is one camera over a span of minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from apps.alerts.models import Alert
from apps.recordings.models import RecordingSegment
from apps.vision.recordgate import EVENT_AFTER, EVENT_BEFORE

BEFORE = timedelta(seconds=EVENT_BEFORE)
AFTER = timedelta(seconds=EVENT_AFTER)
# The longest segment the index holds: segments are cut at about a minute, a camera sending
# keyframes rarely makes them a little longer. Bounds the (camera, start) index range read.
LONGEST_SEGMENT = timedelta(minutes=10)
# Alerts of one camera looked at for one span (a flapping condition merges into one alert).
ALERT_LIMIT = 200


def link_span(camera_id: int, start: datetime, end: datetime) -> int:
    """Link the camera's stored segments overlapping [start, end] to its alerts overlapping
    them. Returns the links made (existing ones are kept as they are)."""
    alerts = list(
        Alert.objects.filter(camera_id=camera_id, first_raised_at__lte=end + BEFORE,
                             last_raised_at__gte=start - AFTER)
        .order_by("-first_raised_at").values_list("pk", "first_raised_at", "last_raised_at")
        [:ALERT_LIMIT])
    if not alerts:
        return 0
    segments = list(
        RecordingSegment.objects.filter(camera_id=camera_id, start__lte=end,
                                        start__gte=start - LONGEST_SEGMENT, end__gte=start)
        .values_list("pk", "start", "end"))
    through = RecordingSegment.alerts.through
    links = [through(recordingsegment_id=segment_id, alert_id=alert_id)
             for segment_id, segment_start, segment_end in segments
             for alert_id, first, last in alerts
             if segment_start <= last + AFTER and segment_end >= first - BEFORE]
    return len(through.objects.bulk_create(links, ignore_conflicts=True))


def link_stored_segment(segment: RecordingSegment) -> int:
    """A segment was stored: link it, and the segments just before it, to the alerts they
    overlap (an alert raised again during this segment extends back before it)."""
    return link_span(segment.camera_id, segment.start - BEFORE, segment.end)


def link_raised_alert(alert: Alert) -> int:
    """An alert was raised on a camera: link the segments already stored in its span."""
    if alert.camera_id is None:
        return 0
    return link_span(alert.camera_id, alert.first_raised_at - BEFORE,
                     alert.last_raised_at + AFTER)

