"""A camera watcher: the Django side of one camera's stream.

It holds the camera's lease, runs the vision StreamReader and CameraPipeline in this thread,
and turns their output into state: the latest snapshot file, camera health and its state
changes, the timeline, alerts through the alerts core, and evidence frames. The same code runs
in a Celery worker (cluster mode) and in a thread of the portal process (embedded mode)."""

from __future__ import annotations

import hashlib
import logging
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import close_old_connections, transaction
from django.utils import timezone

from apps.alerts.models import Alert, AlertEvidence
from apps.alerts.services import alert_raise
from apps.cameras import frames, livestate
from apps.cameras.crypto import CredentialError
from apps.cameras.leases import Lease, LeaseStore, lease_store
from apps.cameras.models import Camera, CameraHealth, CameraStateChange, TimelineFrame
from apps.cameras.validation import url_policy
from apps.vision.frames import Frame
from apps.vision.geometry import PolygonError, polygons
from apps.vision.motion import MotionResult
from apps.vision.pipeline import CameraPipeline, PipelineConfig
from apps.vision.ringbuffer import Clip
from apps.vision.stream import SourceConfig, SourceKind, StreamHealth, StreamReader
from apps.vision.tamper import TamperEvent

logger = logging.getLogger(__name__)

OFFLINE_ALERT_AFTER = 20.0  # seconds without frames (Frigate's default)
HEALTH_FLUSH_SECONDS = 2.0
ALERT_COOLDOWN = timedelta(minutes=2)

# Set when the worker process shuts down: every watcher in it stops and releases its lease.
shutdown = threading.Event()


def worker_name() -> str:
    return f"{socket.gethostname()}:{threading.get_native_id()}"


def _fingerprint(camera: Camera) -> tuple:
    """What, when changed, requires the stream to be reopened."""
    return (camera.url, camera.substream_url, camera.source_kind, camera.username_token,
            camera.password_token, camera.analysis_fps, camera.snapshot_interval,
            camera.idle_snapshot_interval, camera.timeline_interval,
            str(camera.motion_zones), str(camera.privacy_masks), camera.enabled)


class DjangoSink:
    """Receives the pipeline's output (in the reader thread) and stores it."""

    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self.storage_ok = True

    def snapshot(self, jpeg: bytes, frame: Frame) -> None:
        written = frames.write_latest(self.camera.pk, jpeg)
        if written != self.storage_ok:
            self.storage_ok = written
            if not written:
                self._raise(Alert.Kind.STORAGE, Alert.Severity.HIGH, "storage",
                            "Media storage full: snapshots are not being saved")
        from apps.cameras.live import publish_snapshot

        publish_snapshot(self.camera.pk, jpeg, frame.wall_time)

    def timeline(self, jpeg: bytes, frame: Frame) -> None:
        if not self.storage_ok:
            return
        taken = datetime.fromtimestamp(frame.wall_time, UTC)
        entry = TimelineFrame(camera=self.camera, taken_at=taken)
        try:
            entry.image.save(f"{self.camera.pk}/{taken:%Y%m%d-%H%M%S}.jpg", ContentFile(jpeg))
        except OSError:
            logger.warning("timeline frame of camera %s not saved", self.camera.pk)

    def motion(self, result: MotionResult, frame: Frame, clip_key: str | None) -> None:
        zones = ", ".join(z.name for z in result.zones if z.moving)
        self._remember_clip(clip_key, self._raise(
            Alert.Kind.MOTION, Alert.Severity.HIGH, "motion",
            f"Motion while armed: {self.camera.name}", detail=f"Zones: {zones}",
        ))

    def tamper(self, event: TamperEvent, frame: Frame, clip_key: str | None) -> None:
        CameraHealth.objects.filter(camera=self.camera).update(
            tamper=str(event.kind) if event.active else ""
        )
        if event.active:
            self._remember_clip(clip_key, self._raise(
                Alert.Kind.TAMPER, Alert.Severity.HIGH, f"tamper:{event.kind}",
                f"Camera tampering ({event.kind}): {self.camera.name}",
            ))

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

    _clip_alerts: dict[str, int]
    _clip_walls: dict[str, float]

    def _remember_clip(self, clip_key: str | None, alert: Alert | None) -> None:
        if clip_key is None or alert is None:
            return
        self.__dict__.setdefault("_clip_alerts", {})[clip_key] = alert.pk
        self.__dict__.setdefault("_clip_walls", {})[clip_key] = time.time()

    def _raise(self, kind: str, severity: int, key: str, title: str,
               detail: str = "") -> Alert | None:
        alert, created = alert_raise(
            kind=kind, severity=severity, facility=self.camera.facility,
            camera=self.camera, dedup_key=f"camera:{self.camera.pk}:{key}", title=title,
            detail=detail, cooldown=ALERT_COOLDOWN,
        )
        return alert if created else None


class Watcher:
    """Watches one camera while it holds the lease. `run()` blocks; call it in a thread."""

    def __init__(self, camera_id: int, store: LeaseStore | None = None,
                 holder: str | None = None) -> None:
        self.camera_id = camera_id
        self.store = store or lease_store()
        self.holder = holder or worker_name()
        self.stop_event = threading.Event()
        self.lease: Lease | None = None

    def run(self) -> bool:
        """False when another watcher holds the camera (nothing was done)."""
        self.lease = self.store.acquire(self.camera_id, self.holder)
        if self.lease is None:
            return False
        logger.info("watching camera %s (lease token %s)", self.camera_id, self.lease.token)
        try:
            while not self._should_stop():
                camera = self._load()
                if camera is None or not camera.enabled:
                    break
                self._watch(camera)
        finally:
            self.store.release(self.lease)
            close_old_connections()
            logger.info("stopped watching camera %s", self.camera_id)
        return True

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
        sink = DjangoSink(camera)
        live = _Throttled(lambda: livestate.is_live(camera.pk))
        pipeline = CameraPipeline(
            config, sink, is_live=live,
            is_armed=lambda frame: camera.is_armed_at(
                datetime.fromtimestamp(frame.wall_time, UTC)),
        )
        health = _HealthTracker(camera)
        reader = StreamReader(source, pipeline.process, policy=url_policy(camera.source_kind),
                              on_health=health.changed)
        thread = threading.Thread(target=reader.run, name=f"reader-{camera.pk}", daemon=True)
        thread.start()
        fingerprint = _fingerprint(camera)
        renew_every = 5.0
        try:
            while thread.is_alive() and not self._should_stop():
                self.stop_event.wait(min(renew_every, HEALTH_FLUSH_SECONDS))
                health.flush(reader.health(), self.holder)
                if not self.store.renew(self.lease):
                    logger.warning("lost the lease of camera %s: stopping", camera.pk)
                    self.stop_event.set()
                    break
                current = self._load()
                if current is None or _fingerprint(current) != fingerprint:
                    break
        finally:
            reader.stop()
            thread.join(timeout=10)


class _Throttled:
    """A yes/no question asked at most once a second (it may cost a Redis round trip)."""

    def __init__(self, ask) -> None:
        self.ask = ask
        self.value = False
        self.asked_at = 0.0

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self.asked_at >= 1.0:
            self.asked_at = now
            try:
                self.value = self.ask()
            except Exception:  # noqa: BLE001 - an unreachable Redis means "not live"
                self.value = False
        return self.value


class _HealthTracker:
    """Writes camera health from the watcher's thread; raises the offline alert after 20 s."""

    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self.state: str | None = None
        self.offline_since: float | None = time.monotonic()
        self.offline_alerted = False

    def changed(self, health: StreamHealth) -> None:
        """Called by the reader thread on a state change: noted, written at the next flush."""

    def flush(self, health: StreamHealth, worker: str) -> None:
        now = timezone.now()
        state = str(health.state)
        last_frame = (
            datetime.fromtimestamp(health.last_frame_at, UTC) if health.last_frame_at else None
        )
        with transaction.atomic():
            CameraHealth.objects.update_or_create(camera=self.camera, defaults={
                "state": state, "fps": round(health.fps, 2),
                "bitrate_kbps": round(health.bitrate / 1000, 1) if health.bitrate else None,
                "last_frame_at": last_frame, "reconnects": health.reconnects,
                "worker": worker, "updated_at": now,
            })
            if state != self.state:
                CameraStateChange.objects.create(camera=self.camera, state=state, at=now)
                self.state = state
        if state == CameraHealth.State.OFFLINE:
            if self.offline_since is None:
                self.offline_since = time.monotonic()
            if (not self.offline_alerted
                    and time.monotonic() - self.offline_since >= OFFLINE_ALERT_AFTER):
                self.offline_alerted = True
                alert_raise(
                    kind=Alert.Kind.CAMERA_OFFLINE, severity=Alert.Severity.HIGH,
                    facility=self.camera.facility, camera=self.camera,
                    dedup_key=f"camera:{self.camera.pk}:offline",
                    title=f"Camera offline: {self.camera.name}",
                    detail=health.error or "", cooldown=ALERT_COOLDOWN,
                )
        else:
            self.offline_since = None
            self.offline_alerted = False
