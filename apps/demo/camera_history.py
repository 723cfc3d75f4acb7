"""The demo cameras' uptime record and their owners' access record for the two weeks of
history (apps.demo.history).

What a watcher would have written: each camera came online when the history begins and
stayed up, but for a few short reconnects, and one real outage: the Teluk Mutiara
warehouse gate camera went dark in a power cut two nights ago (the incident report of
apps.demo.field_history) until the mains came back, 3 h 34 min later. Uptime over the
fortnight stays in the high nineties; the outage night's daily report shows it.

Idempotent: a camera that has any state change already keeps its own record.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from apps.access import policy
from apps.accounts.models import Role
from apps.cameras.models import (
    Camera,
    CameraHealth,
    CameraStateChange,
    Orientation,
    ViewRecord,
)
from apps.demo.history import HISTORY_DAYS
from apps.org.models import Agency

ONLINE, OFFLINE = CameraHealth.State.ONLINE, CameraHealth.State.OFFLINE
# (facility, camera, days back, local start, minutes down)
DOWNTIME = (
    ("Gudang Logistik PPK Mutiara Selatan", "Gerbang gudang", 2, time(1, 38), 214),
    ("Kantor KPU Kota Karangsari", "Gerbang depan", 9, time(14, 12), 3),
    ("Kantor Bawaslu Kota Karangsari", "Halaman depan", 5, time(3, 47), 2),
    ("Kantor KPU Kota Tanjung Wangi", "Gerbang depan", 11, time(22, 5), 4),
)


def build_camera_history(now: datetime | None = None) -> None:
    now = now or timezone.now()
    recorded = set(CameraStateChange.objects.values_list("camera_id", flat=True).distinct())
    changes = []
    for camera in Camera.objects.select_related("facility__region").exclude(pk__in=recorded):
        changes.append(CameraStateChange(camera=camera, state=ONLINE,
                                         at=now - timedelta(days=HISTORY_DAYS, hours=1)))
        zone = camera.facility.zoneinfo
        today = timezone.localtime(now, zone).date()
        for facility, name, back, start, minutes in DOWNTIME:
            if (camera.facility.name, camera.name) != (facility, name):
                continue
            down = datetime.combine(today - timedelta(days=back), start, tzinfo=zone)
            up = down + timedelta(minutes=minutes, seconds=17)
            if up < now:
                changes += [CameraStateChange(camera=camera, state=OFFLINE, at=down),
                            CameraStateChange(camera=camera, state=ONLINE, at=up)]
        CameraHealth.objects.get_or_create(camera=camera, defaults={
            "state": ONLINE, "fps": 10.0, "bitrate_kbps": 780.0, "width": 640,
            "height": 360, "last_frame_at": now, "updated_at": now})
    CameraStateChange.objects.bulk_create(changes)


# Who watched, as the command center does: the operator on the evening watch follows each
# shared camera live for a while, and the commander opens a few snapshots in the morning.
# (role, local start, minutes, kind)
WATCHES = (
    (Role.OPERATOR, time(19, 5), 95, ViewRecord.Kind.LIVE),
    (Role.OPERATOR, time(23, 40), 35, ViewRecord.Kind.LIVE),
    (Role.COMMANDER, time(7, 20), 0, ViewRecord.Kind.SNAPSHOT),
)


def build_view_history(now: datetime | None = None) -> None:
    """The owners' access record for the fortnight: who of the security forces viewed their
    shared cameras, when and how long (apps.cameras ViewRecord, one row per view, as the live
    page and the snapshot view write them). Idempotent: skipped once any view is older than a
    day."""
    now = now or timezone.now()
    if ViewRecord.objects.filter(started_at__lt=now - timedelta(days=1)).exists():
        return
    records = []
    for camera in Camera.objects.select_related("facility__owner_agency").filter(
            orientation=Orientation.OUTWARD):
        zone = camera.facility.zoneinfo
        today = timezone.localtime(now, zone).date()
        viewers = [user for user in policy.users_who_may_view_camera(camera)
                   .prefetch_related("role_assignments")
                   if user.agency and user.agency.pillar in Agency.SECURITY_PILLARS]
        for back in range(HISTORY_DAYS - 1, 0, -1):
            day = today - timedelta(days=back)
            for role, start, minutes, kind in WATCHES:
                for viewer in (v for v in viewers if v.has_role(role)):
                    began = datetime.combine(day, start, tzinfo=zone) + timedelta(
                        minutes=(back * 7 + camera.pk * 3) % 20, seconds=camera.pk * 11 % 60)
                    records.append(ViewRecord(
                        camera=camera, viewer=viewer, viewer_agency_id=viewer.agency_id,
                        kind=kind, started_at=began,
                        ended_at=began + timedelta(minutes=minutes) if minutes else None,
                        address="10.20.0.15", user_agent="Mozilla/5.0 (Posko command center)"))
    ViewRecord.objects.bulk_create(records)
