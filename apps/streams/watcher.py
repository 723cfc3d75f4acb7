"""A camera watcher: the Django side of one camera's stream.

It holds the camera's lease, runs the vision StreamReader and CameraPipeline in this thread,
and turns their output into state: the latest snapshot file, camera health and its state
changes, the timeline, alerts through the alerts core, and evidence frames. The same code runs
in a Celery worker (cluster mode) and in a thread of the portal process (embedded mode)."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import cv2
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.alerts.models import Alert, AlertEvidence
from apps.alerts.services import alert_clear, alert_raise
from apps.alerts.texts import tamper_label
from apps.cameras.models import Camera, CameraHealth, CameraStateChange, TimelineFrame
from apps.cameras.validation import url_policy
from apps.core import push
from apps.core.crypto import CredentialError
from apps.core.db import release_connection
from apps.streams import frames
from apps.streams.leases import LEASE_SECONDS, Lease, LeaseStore, lease_store
from apps.streams.livestate import Need, is_live
from apps.streams.recording import camera_recorder
from apps.vision.decoding import DecodeMode, DecodeSwitch, look_interval, needed_mode
from apps.vision.frames import Frame
from apps.vision.geometry import PolygonError, polygons
from apps.vision.livemux import LiveFragment, LiveTap
from apps.vision.motion import MotionResult
from apps.vision.pipeline import CameraPipeline, PipelineConfig
from apps.vision.recorder import Recorder, Taps
from apps.vision.ringbuffer import Clip
from apps.vision.source import SourceConfig, SourceKind, StreamHealth
from apps.vision.stream import StreamReader
from apps.vision.tamper import TamperEvent

logger = logging.getLogger(__name__)

# One OpenCV worker thread: cameras already run on threads of their own, and splitting each
# small resize or JPEG encode over cores only adds overhead.
cv2.setNumThreads(1)

HEALTH_FLUSH_SECONDS = 2.0
ALERT_COOLDOWN = timedelta(minutes=2)

# Set when the worker process shuts down: every watcher in it stops and releases its lease.
shutdown = threading.Event()


# Cameras watched by this process, reported in the worker heartbeat (/healthz).
watching: set[int] = set()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_native_id()}"


def _fingerprint(camera: Camera) -> tuple:
    """What, when changed, requires the stream to be reopened."""
    return (camera.url, camera.substream_url, camera.source_kind, camera.username_token,
            camera.password_token, camera.analysis_fps, camera.snapshot_interval,
            camera.idle_snapshot_interval, camera.timeline_interval,
            str(camera.motion_zones), str(camera.privacy_masks), camera.enabled,
            camera.recording_mode)


def _survives_outages(method):
    """A database outage must not stop the stream: the reader would end on an exception from
    the sink. The failed write is logged and skipped; health is flushed again later.

    Either way the reader's connection goes back to the pool once the write is done: a
    worker's dozens of readers each holding theirs starved its pool of ten (every later
    write waited, then failed)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except DatabaseError:
            logger.warning("camera %s: database unavailable, %s skipped", self.camera.pk,
                           method.__name__)
            return None
        finally:
            release_connection()

    return wrapper


class DjangoSink:
    """Receives the pipeline's output (in the reader thread) and stores it."""

    def __init__(self, camera: Camera, recorder: Recorder | None = None) -> None:
        self.camera = camera
        self.recorder = recorder  # told of events: they mark (and in events mode start) it
        self.storage_ok = True
        # Clips being collected, by clip key: the alert they belong to and the wall time of
        # the event (stream time is the pipeline's clock, wall time the records').
        self._clip_alerts: dict[str, int] = {}
        self._clip_walls: dict[str, float] = {}

    @_survives_outages
    def snapshot(self, jpeg: bytes, frame: Frame) -> None:
        written = frames.write_latest(self.camera.pk, jpeg)
        if written != self.storage_ok:
            self.storage_ok = written
            if written:
                self._clear("storage")
            else:
                self._raise(Alert.Kind.STORAGE, Alert.Severity.HIGH, "storage",
                            {"msg": "camera.storage"})
        push.camera_frame(self.camera.pk, jpeg, frame.wall_time)

    def video(self, fragment: LiveFragment, init: bytes, codec: str | None) -> None:
        """A batch of fragments of the camera's own video, for its passthrough viewers: those
        starting with a keyframe carry what a viewer needs to begin there."""
        keyframe = fragment.keyframe
        push.camera_video(self.camera.pk, fragment.data, fragment.received,
                          init=init if keyframe else None, codec=codec if keyframe else None)

    @_survives_outages
    def timeline(self, jpeg: bytes, frame: Frame) -> None:
        if not self.storage_ok:
            return
        taken = datetime.fromtimestamp(frame.wall_time, UTC)
        entry = TimelineFrame(camera=self.camera, taken_at=taken)
        try:
            entry.image.save(f"{self.camera.pk}/{taken:%Y%m%d-%H%M%S}.jpg", ContentFile(jpeg))
        except OSError:
            logger.warning("timeline frame of camera %s not saved", self.camera.pk)

    @_survives_outages
    def motion(self, result: MotionResult, frame: Frame, clip_key: str | None) -> None:
        if self.recorder is not None:
            self.recorder.event(motion=True)
        zones = [z.name for z in result.zones if z.moving]
        self._remember_clip(clip_key, self._raise(
            Alert.Kind.MOTION, Alert.Severity.HIGH, "motion",
            {"msg": "camera.motion", "zones": zones},
        ))

    def moved(self, frame: Frame) -> None:
        if self.recorder is not None:
            self.recorder.mark_motion()

    @_survives_outages
    def tamper(self, event: TamperEvent, frame: Frame, clip_key: str | None) -> None:
        tamper = str(event.kind) if event.active else ""
        if self.recorder is not None and event.active:
            self.recorder.event(tamper=True)
        CameraHealth.objects.filter(camera=self.camera).update(tamper=tamper)
        push.camera_status(self.camera.pk, "online", tamper,
                           tamper_label(tamper) if tamper else str(_("Online")))
        if event.active:
            self._remember_clip(clip_key, self._raise(
                Alert.Kind.TAMPER, Alert.Severity.HIGH, f"tamper:{event.kind}",
                {"msg": "camera.tamper", "tamper": str(event.kind)},
            ))
        else:
            self._clear(f"tamper:{event.kind}")

    @_survives_outages
    def clip(self, clip: Clip) -> None:
        alert_id = self._clip_alerts.pop(clip.key, None)
        if alert_id is None:
            return
        event_wall = self._clip_walls.pop(clip.key)
        for stored in clip.frames:
            offset = stored.at - clip.event_at
            taken = datetime.fromtimestamp(event_wall + offset, UTC)
            evidence = AlertEvidence(alert_id=alert_id, camera=self.camera, taken_at=taken,
                                     offset_seconds=round(offset, 2),
                                     sha256=hashlib.sha256(stored.jpeg).hexdigest())
            try:
                evidence.image.save(f"{alert_id}-{offset:+06.1f}.jpg", ContentFile(stored.jpeg))
            except OSError:
                logger.warning("evidence frame for alert %s not saved", alert_id)

    # -- helpers --------------------------------------------------------------------------

    def _remember_clip(self, clip_key: str | None, alert: Alert | None) -> None:
        if clip_key is None or alert is None:
            return
        self._clip_alerts[clip_key] = alert.pk
        self._clip_walls[clip_key] = time.time()

    def _raise(self, kind: str, severity: int, key: str, params: dict) -> Alert | None:
        # Titles name the camera, so whatever shows an alert must go through
        # apps.alerts.redaction: people who may not view the camera get the alert kind.
        alert, created = alert_raise(
            kind=kind, severity=severity, facility=self.camera.facility,
            camera=self.camera, dedup_key=f"camera:{self.camera.pk}:{key}",
            params={**params, "camera": self.camera.name}, cooldown=ALERT_COOLDOWN,
        )
        return alert if created else None

    def _clear(self, key: str) -> None:
        alert_clear(dedup_keys=[f"camera:{self.camera.pk}:{key}"])


class Watcher:
    """Watches one camera while it holds the lease. `run()` blocks; call it in a thread."""

    def __init__(self, camera_id: int, store: LeaseStore | None = None,
                 holder: str | None = None) -> None:
        self.camera_id = camera_id
        self.store = store or lease_store()
        self.holder = holder or worker_name()
        self.stop_event = threading.Event()
        self.lease: Lease | None = None
        self.decoding: DecodeSwitch | None = None  # the current session's decoding mode

    def run(self) -> bool:
        """False when another watcher holds the camera (nothing was done)."""
        self.lease = self.store.acquire(self.camera_id, self.holder)
        if self.lease is None:
            return False
        self._renewed_at = time.monotonic()
        logger.info("watching camera %s (lease token %s)", self.camera_id, self.lease.token)
        watching.add(self.camera_id)
        try:
            while not self._should_stop():
                try:
                    camera = self._load()
                except DatabaseError:
                    logger.warning("camera %s: database unavailable, retrying", self.camera_id)
                    if not self._renew():
                        break
                    self.stop_event.wait(2)
                    continue
                if camera is None or not camera.enabled:
                    break
                self._watch(camera)
        finally:
            watching.discard(self.camera_id)
            try:
                self.store.release(self.lease)
            except Exception:  # noqa: BLE001 - it expires by itself
                logger.warning("could not release the lease of camera %s", self.camera_id)
            close_old_connections()
            logger.info("stopped watching camera %s", self.camera_id)
        return True

    def _renew(self) -> bool:
        """Keep the lease. While the lease store is unreachable (a Redis restart) keep watching
        until the lease would have expired anyway: after that another worker may hold it."""
        try:
            if self.store.renew(self.lease):
                self._renewed_at = time.monotonic()
                return True
            logger.warning("lost the lease of camera %s: stopping", self.camera_id)
            return False
        except Exception:  # noqa: BLE001 - any store failure is handled the same way
            unreachable_for = time.monotonic() - self._renewed_at
            logger.warning("cannot renew the lease of camera %s (%.0f s)", self.camera_id,
                           unreachable_for)
            return unreachable_for < LEASE_SECONDS

    def _should_stop(self) -> bool:
        return self.stop_event.is_set() or shutdown.is_set()

    def _load(self) -> Camera | None:
        close_old_connections()
        return (
            Camera.objects.select_related("facility__region").filter(pk=self.camera_id).first()
        )

    def _source(self, camera: Camera) -> SourceConfig:
        username, password = camera.credentials()
        return SourceConfig(
            url=camera.substream_url or camera.url, kind=SourceKind(camera.source_kind),
            username=username, password=password, label=f"camera {camera.pk}",
            analysis_fps=camera.analysis_fps, poll_interval=camera.snapshot_interval,
            loop=camera.source_kind == "file",
        )

    def _watch(self, camera: Camera) -> None:
        """One session with the current configuration; returns when it changed, the lease was
        lost, or the watcher must stop."""
        try:
            source = self._source(camera)
            config = PipelineConfig(
                motion_zones=polygons(camera.motion_zones),
                privacy_masks=polygons(camera.privacy_masks),
                live_interval=camera.snapshot_interval,
                idle_interval=camera.idle_snapshot_interval,
                timeline_interval=camera.timeline_interval,
                clip_before=settings.CAMERA_EVIDENCE_BEFORE,
                clip_after=settings.CAMERA_EVIDENCE_AFTER,
            )
        except (CredentialError, PolygonError, ValueError) as error:
            logger.error("camera %s cannot be watched: %s", camera.pk, error)
            self.stop_event.wait(30)
            return
        recording = camera_recorder(camera)  # None when the camera records nothing
        recorder = recording[0] if recording else None
        sink = DjangoSink(camera, recorder)
        live = _Throttled(lambda: is_live(camera.pk))
        pipeline = CameraPipeline(
            config, sink, is_live=live,
            is_armed=lambda frame: camera.is_armed_at(
                datetime.fromtimestamp(frame.wall_time, UTC)),
        )
        health = _HealthTracker(camera)

        decoding: DecodeSwitch | None = None

        def decoding_need(fresh: bool = False) -> DecodeMode:
            interval = decoding.keyframe_interval if decoding is not None else None
            return needed_mode(timezone.now(), camera.is_armed_at, live=live(fresh),
                               event_open=pipeline.event_open, keyframe_interval=interval,
                               live_interval=camera.snapshot_interval)

        # Keyframes only unless the camera is armed (or soon), watched live or has an open
        # event; asked again at every flush below, and at every keyframe while not decoding
        # in full: a live viewer's first picture is the first keyframe after the tile opened
        # (the live mark is read afresh there, not from the once-a-second cache). The tamper
        # detector asks for every keyframe while it looks into something.
        decoding = self.decoding = DecodeSwitch(
            decoding_need(), wake=lambda: decoding_need(fresh=True),
            attention=lambda: pipeline.needs_attention,
            look=look_interval(camera.idle_snapshot_interval, camera.timeline_interval))
        # Passthrough viewers (who need packets, not pictures) get the packets muxed as they
        # come (apps.vision.livemux), asked at each keyframe; they raise no decoding.
        live_video = LiveTap(sink.video, wanted=lambda: is_live(camera.pk, Need.PACKETS))
        # Health is read and written every flush below; a callback on every state change would
        # have the reader work out its health for every frame.
        reader = StreamReader(source, pipeline.process, policy=url_policy(camera.source_kind),
                              recorder=Taps(recorder, live_video), decoding=decoding)
        thread = threading.Thread(target=_closing_connections(reader.run),
                                  name=f"reader-{camera.pk}", daemon=True)
        thread.start()
        fingerprint = _fingerprint(camera)
        renew_every = 5.0
        try:
            while thread.is_alive() and not self._should_stop():
                # No connection held while waiting (see _survives_outages): the last
                # round's flush, renewal and reload are done with theirs.
                release_connection()
                self.stop_event.wait(min(renew_every, HEALTH_FLUSH_SECONDS))
                decoding.set(decoding_need())
                health.flush(reader.health(), self.holder)
                if not self._renew():
                    self.stop_event.set()
                    break
                try:
                    current = self._load()
                except DatabaseError:
                    continue  # keep watching with the configuration we have
                if current is None or _fingerprint(current) != fingerprint:
                    break
        finally:
            reader.stop()
            thread.join(timeout=10)
            if recording is not None:
                recording[1].close()  # store the last segments


def _closing_connections(work):
    """`work` for a thread of its own: the sink writes to the database from the reader's
    thread, and a thread that ends without closing its connection keeps it from the pool for
    good (ten reconnects of a camera would starve a worker's pool)."""

    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    return run


class _Throttled:
    """A yes/no question asked at most once a second (it may cost a Redis round trip), or
    now if `fresh` (for callers that ask rarely themselves)."""

    def __init__(self, ask) -> None:
        self.ask = ask
        self.value = False
        self.asked_at = 0.0

    def __call__(self, fresh: bool = False) -> bool:
        now = time.monotonic()
        if fresh or now - self.asked_at >= 1.0:
            self.asked_at = now
            try:
                self.value = self.ask()
            except Exception:  # noqa: BLE001 - an unreachable Redis means "not live"
                self.value = False
        return self.value


class _HealthTracker:
    """Writes camera health from the watcher's thread; raises the offline alert when an
    offline camera has sent no frame for CAMERA_OFFLINE_ALERT_AFTER seconds."""

    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self.state: str | None = None
        self.started = time.monotonic()
        self.offline_alerted = False

    def flush(self, health: StreamHealth, worker: str) -> None:
        try:
            self._flush(health, worker)
        except DatabaseError:
            # The database is restarting: keep watching; the next flush writes the state.
            logger.warning("camera %s: health not flushed (database unavailable)",
                           self.camera.pk)
            close_old_connections()
            self.state = None

    def _flush(self, health: StreamHealth, worker: str) -> None:
        now = timezone.now()
        state = str(health.state)
        last_frame = (
            datetime.fromtimestamp(health.last_frame_at, UTC) if health.last_frame_at else None
        )
        with transaction.atomic():
            CameraHealth.objects.update_or_create(camera=self.camera, defaults={
                "state": state, "fps": round(health.fps, 2),
                "bitrate_kbps": round(health.bitrate / 1000, 1) if health.bitrate else None,
                "keyframe_interval": round(health.keyframe_interval, 2)
                if health.keyframe_interval else None,
                "last_frame_at": last_frame, "reconnects": health.reconnects,
                "worker": worker, "updated_at": now,
            })
            changed = state != self.state
            if changed:
                CameraStateChange.objects.create(camera=self.camera, state=state, at=now)
                self.state = state
                label = str(CameraHealth.State(state).label)
                push.camera_status_on_commit(self.camera.pk, state, "", label)
        if state == CameraHealth.State.OFFLINE:
            if (not self.offline_alerted
                    and self._silent_for(health) >= settings.CAMERA_OFFLINE_ALERT_AFTER):
                self.offline_alerted = True
                alert_raise(
                    kind=Alert.Kind.CAMERA_OFFLINE, severity=Alert.Severity.HIGH,
                    facility=self.camera.facility, camera=self.camera,
                    dedup_key=self._offline_key,
                    params={"msg": "camera.offline", "camera": self.camera.name},
                    detail=health.error or "", cooldown=ALERT_COOLDOWN,
                )
        else:
            self.offline_alerted = False
            if changed:
                # Frames arrive again (also ends an alert raised before this watcher started).
                alert_clear(dedup_keys=[self._offline_key])

    def _silent_for(self, health: StreamHealth) -> float:
        """Seconds since the last frame (or since watching began, before any): the grace
        counts from the stall itself, so the read timeout and the reconnection waits that
        find the camera gone are part of it rather than added after it."""
        if health.last_frame_age is not None:
            return health.last_frame_age
        return time.monotonic() - self.started

    @property
    def _offline_key(self) -> str:
        return f"camera:{self.camera.pk}:offline"
