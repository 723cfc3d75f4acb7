"""A watcher's recording: the Django side of apps.vision.recorder. The reader's recorder
writes segment files into a local spool folder; each finished one is stored and indexed
(apps.recordings.services.segment_recorded) from a thread of its own, so the reader never
waits for the storage or the database. A camera whose mode is "off" gets no recorder: its
watcher runs exactly as without recording."""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

from django.conf import settings
from django.db import connection

from apps.cameras.models import Camera, RecordingMode
from apps.recordings.services import segment_recorded
from apps.vision.recorder import Recorder, SegmentFlags
from apps.vision.recordgate import RecordMode
from apps.vision.recording import Segment, probe_segment

logger = logging.getLogger(__name__)

# How long a stopping watcher waits for its last segments to be stored (the spool keeps
# what is not; the orphan sweep never sees spool files).
DRAIN_SECONDS = 30.0


class SegmentStore:
    """Stores a camera's finished segments in order, from one thread."""

    def __init__(self, camera_id: int) -> None:
        self.camera_id = camera_id
        self._queue: queue.Queue[tuple[Segment, SegmentFlags] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"recording-{camera_id}",
                                        daemon=True)
        self._thread.start()

    def __call__(self, segment: Segment, flags: SegmentFlags) -> None:
        self._queue.put((segment, flags))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=DRAIN_SECONDS)

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                segment, flags = item
                try:
                    segment_recorded(self.camera_id, segment, has_motion=flags.motion,
                                     has_tamper=flags.tamper)
                except Exception:  # the file stays in the spool: store the next ones
                    logger.exception("camera %s: segment %s not stored", self.camera_id,
                                     segment.path.name)
        finally:
            connection.close()


def spool_folder(camera_id: int) -> Path:
    return Path(settings.RECORDINGS_SPOOL) / str(camera_id)


def leftovers(camera_id: int) -> list[Segment]:
    """Segment files of earlier sessions still in the spool: a worker killed while writing
    (its file plays up to the last complete fragment) or a segment not stored then. Only the
    lease holder writes a camera's spool folder, so none of them is being written now; a
    file with nothing playable in it is removed."""
    found = []
    for path in sorted(spool_folder(camera_id).glob("*.mp4")):
        segment = probe_segment(path)
        if segment is None:
            path.unlink(missing_ok=True)
        else:
            found.append(segment)
    return found


def camera_recorder(camera: Camera) -> tuple[Recorder, SegmentStore] | None:
    """The recorder for a watcher session of `camera`, or None when it records nothing.
    What earlier sessions left in the spool is stored first (also once the mode is off)."""
    left = leftovers(camera.pk)
    if camera.recording_mode == RecordingMode.OFF:
        if left:
            store = SegmentStore(camera.pk)
            for segment in left:
                store(segment, SegmentFlags())
            store.close()
        return None
    store = SegmentStore(camera.pk)
    for segment in left:
        store(segment, SegmentFlags())
    recorder = Recorder(spool_folder(camera.pk), RecordMode(camera.recording_mode), store,
                        max_seconds=settings.RECORDINGS_SEGMENT_SECONDS,
                        label=f"camera {camera.pk}")
    return recorder, store
