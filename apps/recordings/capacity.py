"""The recordings' storage alert: ONE alert (kind "storage", one deduplication key for the
whole store) while the recordings reach `ALERT_AT` (90 %) of RECORDINGS_QUOTA_BYTES, while a
disk holding them (the storage's own folder when it has one, this worker's spool) is at
`ALERT_AT` of its size, or when a watcher cannot write its recording (a full disk). It
resolves itself when a check finds both back under.

A full disk never stops live view or alerts: the writers drop what they cannot write and
start again at the next keyframe (apps.vision.recorder), so recording resumes by itself.

The alert belongs to the facility of the camera concerned (a failing writer's) or of the
newest recording (an alert needs a facility); it names no camera, and whoever hears that
facility's alerts hears it (apps.alerts.fanout): administrators always."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage

from apps.alerts.models import Alert
from apps.alerts.services import alert_clear, alert_raise
from apps.cameras.models import Camera
from apps.places.models import Facility
from apps.recordings.models import RecordingSegment
from apps.recordings.retention import ALERT_AT
from apps.recordings.services import storage

logger = logging.getLogger(__name__)

DEDUP_KEY = "recordings:storage"
# A condition that ended less than this ago and comes back is the same alert, reopened.
COOLDOWN = timedelta(minutes=10)
QUOTA, DISK, WRITE = "quota", "disk", "write"


@dataclass(frozen=True)
class Capacity:
    """How full the recordings are: of the quota (0 without one) and of the fullest disk
    holding them (0 when none is local, e.g. object storage)."""

    used: int
    quota: int
    disk: float

    @property
    def of_quota(self) -> float:
        return self.used / self.quota if self.quota else 0.0

    @property
    def reason(self) -> str | None:
        """Why the alert is due (the fuller of the two), or None."""
        if max(self.of_quota, self.disk) < ALERT_AT:
            return None
        return QUOTA if self.of_quota >= self.disk else DISK

    @property
    def percent(self) -> int:
        return int(max(self.of_quota, self.disk) * 100)


def local_folders() -> list[Path]:
    """The folders on this machine that recordings fill: the storage's own (a filesystem
    storage, e.g. the shared mount) and the spool this worker writes segments into."""
    folders = [Path(settings.RECORDINGS_SPOOL)]
    store = storage()
    if isinstance(store, FileSystemStorage):  # object storage has no disk of ours
        folders.append(Path(store.location))
    return folders


def disk_fullness(folders: Iterable[Path]) -> float:
    """The fullest of the disks holding `folders` (used / size); a folder not made yet is
    measured at its nearest existing parent."""
    fullest = 0.0
    for folder in folders:
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if existing is None:
            continue
        try:
            usage = shutil.disk_usage(existing)
        except OSError:
            continue
        if usage.total:
            fullest = max(fullest, (usage.total - usage.free) / usage.total)
    return fullest


def measure(used: int) -> Capacity:
    return Capacity(used, settings.RECORDINGS_QUOTA_BYTES, disk_fullness(local_folders()))


def check(used: int) -> Capacity:
    """Raise or resolve the storage alert for `used` bytes of recordings (retention's count
    after it applied, so pruning back under the quota resolves it)."""
    capacity = measure(used)
    reason = capacity.reason
    if reason is None:
        alert_clear(dedup_keys=[DEDUP_KEY])
        return capacity
    newest = (RecordingSegment.objects.order_by("-start")
              .values_list("camera__facility_id", flat=True).first())
    facility_id = newest or Camera.objects.values_list("facility_id", flat=True).first()
    if facility_id is None:
        logger.warning("recordings are %d %% full and no camera exists to alert", capacity.percent)
        return capacity
    _raise(facility_id, reason, capacity.percent)
    return capacity


def writes_failing(camera: Camera) -> None:
    """A watcher's recording cannot be written (typically a full disk): raise the alert now,
    without waiting for the next check; the check resolves it once there is room."""
    _raise(camera.facility_id, WRITE, int(disk_fullness(local_folders()) * 100))


def _raise(facility_id: int, reason: str, percent: int) -> None:
    alert_raise(kind=Alert.Kind.STORAGE, severity=Alert.Severity.HIGH,
                facility=Facility.objects.get(pk=facility_id), dedup_key=DEDUP_KEY,
                params={"msg": "recordings.storage", "reason": reason, "percent": percent},
                cooldown=COOLDOWN)
