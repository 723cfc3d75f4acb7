"""A watcher's recording: the Django side of apps.vision.recorder. The reader's recorder
writes segment files into a local spool folder; each finished one is stored and indexed
(apps.recordings.services.segment_recorded) from a thread of its own, so the reader never
waits for the storage or the database. A camera whose mode is "off" gets no recorder: its
watcher runs exactly as without recording."""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
import socket
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from apps.cameras.models import Camera, RecordingMode
from apps.core.db import release_connection
from apps.recordings import capacity
from apps.recordings.services import segment_recorded
from apps.streams.leases import LeaseStore, lease_store
from apps.vision.recorder import Recorder, SegmentFlags
from apps.vision.recordgate import RecordMode
from apps.vision.recording import Segment, probe_segment

logger = logging.getLogger(__name__)

# How long a stopping watcher waits for its last segments to be stored (the spool keeps
# what is not; the orphan sweep never sees spool files).
DRAIN_SECONDS = 30.0
# How often an idle store looks at its recorder's failures, and how often a recorder that
# keeps failing raises the storage alert again (a repeat only counts on the open alert).
FAILURE_CHECK_SECONDS = 2.0
FAILURE_ALERT_EVERY = 60.0


class SegmentStore:
    """Stores a camera's finished segments in order, from one thread. Between segments it
    looks at its recorder: one whose writes fail (a full disk) raises the storage alert at
    once (apps.recordings.capacity), again at most every `FAILURE_ALERT_EVERY` seconds."""

    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self.camera_id = camera.pk
        self.recorder: Recorder | None = None  # set once the recorder exists
        self._failures_seen = 0
        self._alerted_at: float | None = None
        self._queue: queue.Queue[tuple[Segment, SegmentFlags] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"recording-{camera.pk}",
                                        daemon=True)
        self._thread.start()

    def __call__(self, segment: Segment, flags: SegmentFlags) -> None:
        self._queue.put((segment, flags))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=DRAIN_SECONDS)

    def _run(self) -> None:
        try:
            while True:
                # No connection held while waiting for the next segment: a worker's pool is
                # shared by all its cameras' threads (see apps.streams.watcher).
                release_connection()
                try:
                    item = self._queue.get(timeout=FAILURE_CHECK_SECONDS)
                except queue.Empty:
                    self._check_failures()
                    continue
                if item is None:
                    break
                self._store(*item)
                self._check_failures()
        finally:
            connection.close()

    def _store(self, segment: Segment, flags: SegmentFlags) -> None:
        try:
            segment_recorded(self.camera_id, segment, has_motion=flags.motion,
                             has_tamper=flags.tamper)
        except Exception:  # the file stays in the spool: store the next ones
            logger.exception("camera %s: segment %s not stored", self.camera_id,
                             segment.path.name)

    def _check_failures(self) -> None:
        failures = self.recorder.failures if self.recorder is not None else 0
        if failures <= self._failures_seen:
            return
        self._failures_seen = failures
        now = time.monotonic()
        if self._alerted_at is not None and now - self._alerted_at < FAILURE_ALERT_EVERY:
            return
        self._alerted_at = now
        try:
            capacity.writes_failing(self.camera)
        except Exception:  # a database outage: the next failure tries again
            logger.exception("camera %s: storage alert not raised", self.camera_id)
            self._alerted_at = None


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
            store = SegmentStore(camera)
            for segment in left:
                store(segment, SegmentFlags())
            store.close()
        return None
    store = SegmentStore(camera)
    for segment in left:
        store(segment, SegmentFlags())
    recorder = Recorder(spool_folder(camera.pk), RecordMode(camera.recording_mode), store,
                        max_seconds=settings.RECORDINGS_SEGMENT_SECONDS,
                        label=f"camera {camera.pk}")
    store.recorder = recorder
    return recorder, store


def store_spool(leases: LeaseStore, host: str) -> int:
    """Store what this machine's spool holds for every camera not being recorded here now:
    run when a worker starts. The spool is local and per worker machine, so a camera that
    moved to another machine while this one was down (or was deleted, or turned off) still
    gets the segments written here. A camera whose lease a watcher on this host (`host`)
    holds is left to it (its session stored its leftovers when it began, and it may be
    writing now); one nobody holds is leased for the sweep, so no watcher starts writing its
    folder meanwhile. Returns the segments stored."""
    root = Path(settings.RECORDINGS_SPOOL)
    if not root.is_dir():
        return 0
    folders = {int(p.name): p for p in root.iterdir() if p.is_dir() and p.name.isdigit()}
    held = leases.holders(sorted(folders))
    cameras = Camera.objects.in_bulk(folders)
    stored = 0
    for camera_id, folder in sorted(folders.items()):
        holder = held.get(camera_id)
        if holder is not None and holder.split(":")[0] == host:
            continue
        camera = cameras.get(camera_id)
        if camera is None:
            # The camera is gone, and its index with it: nothing to store the files under.
            shutil.rmtree(folder, ignore_errors=True)
            continue
        lease = None
        if holder is None:
            lease = leases.acquire(camera_id, f"{host}:spool")
            if lease is None:
                continue  # a watcher took it just now: its session stores the leftovers
        try:
            left = leftovers(camera_id)
            if left:
                store = SegmentStore(camera)
                for segment in left:
                    store(segment, SegmentFlags())
                store.close()
                stored += len(left)
        finally:
            if lease is not None:
                leases.release(lease)
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty
    return stored


_spool_swept = threading.Event()


def sweep_spool_once() -> None:
    """`store_spool` in a thread of its own, once per process: at a worker's start (cluster:
    Celery's worker_ready) or at the first supervision (embedded: the portal process is the
    one worker), so starting never waits for a spool full of video."""
    if _spool_swept.is_set():
        return
    _spool_swept.set()

    def sweep() -> None:
        try:
            stored = store_spool(lease_store(), socket.gethostname())
            if stored:
                logger.info("stored %d segments left in the spool", stored)
        except Exception:
            logger.exception("the recordings spool could not be swept")
        finally:
            connection.close()

    threading.Thread(target=sweep, name="recordings-spool", daemon=True).start()
