from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core import credentials
from apps.vision.decoding import MAX_KEYFRAME_INTERVAL, keyframes_too_far_apart


class Orientation(models.TextChoices):
    OUTWARD = "outward", _("Outward (front, yard, street)")
    INWARD = "inward", _("Inward (inside the building)")


class RecordingMode(models.TextChoices):
    """What the camera's watcher records (apps.recordings). Events keep at least
    apps.vision.recordgate.EVENT_BEFORE seconds before and EVENT_AFTER after each event."""

    CONTINUOUS = "continuous", _("Continuous")
    EVENTS = "events", _("Events only (10 s before to 20 s after)")
    OFF = "off", _("Off")


class SourceKind(models.TextChoices):
    RTSP = "rtsp", _("RTSP/RTSPS stream")
    MJPEG = "mjpeg", _("HTTP(S) MJPEG stream")
    JPEG = "jpeg", _("HTTP(S) JPEG snapshot, polled")
    FILE = "file", _("Local file (tests)")


def _validate_polygons(value) -> None:
    """Polygons in normalised coordinates: [[[x, y], ...], ...] with 0 <= x, y <= 1."""
    if not isinstance(value, list):
        raise ValidationError(_("Expected a list of polygons."))
    for polygon in value:
        if not isinstance(polygon, list) or not 3 <= len(polygon) <= 64:
            raise ValidationError(_("Each polygon needs 3 to 64 points."))
        for point in polygon:
            if (
                not isinstance(point, list | tuple)
                or len(point) != 2
                or not all(isinstance(c, int | float) and 0 <= c <= 1 for c in point)
            ):
                raise ValidationError(_("Points are [x, y] pairs between 0 and 1."))


DUPLICATE_SOURCE = _(
    "This stream (or its substream) is already registered as another camera. A stream "
    "belongs to one camera only.")


class Camera(models.Model):
    """A camera at a facility. Only outward cameras can ever be shared with security forces;
    the database refuses a share of an inward camera (see migration 0002's triggers)."""

    facility = models.ForeignKey(
        "places.Facility", verbose_name=_("facility"), on_delete=models.PROTECT,
        related_name="cameras",
    )
    name = models.CharField(_("name"), max_length=120)
    source_kind = models.CharField(_("source"), max_length=8, choices=SourceKind.choices)
    url = models.CharField(_("stream URL"), max_length=2048)
    substream_url = models.CharField(
        _("substream URL for analysis"), max_length=2048, blank=True,
        help_text=_("A lower-resolution stream makes analysis much cheaper."),
    )
    # AES-256-GCM tokens bound to this camera's id (apps.core.crypto); never shown.
    username_token = models.TextField(blank=True, editable=False)
    password_token = models.TextField(blank=True, editable=False)
    orientation = models.CharField(
        _("orientation"), max_length=8, choices=Orientation.choices, default=Orientation.INWARD,
        help_text=_("Only outward cameras can be shared with the security forces."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    analysis_fps = models.FloatField(_("analysis rate (frames/s)"), default=5.0)
    snapshot_interval = models.FloatField(_("live snapshot interval (s)"), default=1.0)
    idle_snapshot_interval = models.FloatField(
        _("idle snapshot interval (s)"), default=10.0,
        help_text=_("Snapshot rate while nobody watches the camera live."),
    )
    timeline_interval = models.PositiveIntegerField(_("timeline interval (s)"), default=10)
    timeline_retention_days = models.PositiveSmallIntegerField(
        _("timeline kept (days)"), default=7
    )
    armed_from = models.TimeField(_("armed from (local time)"), null=True, blank=True)
    armed_until = models.TimeField(_("armed until (local time)"), null=True, blank=True)
    # Off by default: a camera records only once its owner agency decides it should.
    recording_mode = models.CharField(
        _("recording"), max_length=12, choices=RecordingMode.choices, default=RecordingMode.OFF,
    )
    recording_days = models.PositiveSmallIntegerField(
        _("recordings kept (days)"), default=14,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
    )
    recording_alert_days = models.PositiveSmallIntegerField(
        _("recordings around an alert kept (days)"), default=60,
        validators=[MinValueValidator(1), MaxValueValidator(3660)],
        help_text=_("Footage overlapping an alert is kept this long; footage attached to an "
                    "incident or an export until a commander releases it."),
    )
    motion_zones = models.JSONField(
        _("motion zones"), default=list, blank=True, validators=[_validate_polygons]
    )
    privacy_masks = models.JSONField(
        _("privacy masks"), default=list, blank=True, validators=[_validate_polygons]
    )

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["facility__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(orientation__in=["outward", "inward"]), name="camera_orientation_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # never the URL or credentials
        return f"<Camera {self.pk} {self.name!r}>"

    def save(self, *args, changed_by=None, **kwargs) -> None:
        """Turning a camera inward revokes its shares in the same transaction (the database
        refuses an inward camera with a live share). A change of orientation is a row in the
        owner's access record, which is also what tells later which frames were taken while
        the camera was inward; so turning a camera outward needs the person doing it
        (`changed_by`, given by apps.cameras.services.camera_save, which checks they may)."""
        with transaction.atomic():
            before = (
                Camera.objects.select_for_update().filter(pk=self.pk)
                .values_list("orientation", flat=True).first() if self.pk else None
            )
            turned = before is not None and before != self.orientation
            if turned and self.orientation == Orientation.OUTWARD and changed_by is None:
                raise ValueError("turn a camera outward through apps.cameras.services")
            if self.pk and self.orientation == Orientation.INWARD:
                CameraShare.objects.filter(camera_id=self.pk, revoked_at__isnull=True).update(
                    revoked_at=timezone.now(), revoke_reason="camera turned inward"
                )
            super().save(*args, **kwargs)
            if turned and changed_by is not None:
                ViewRecord.objects.create(
                    camera=self, viewer=changed_by, viewer_agency_id=changed_by.agency_id,
                    kind=ViewRecord.RECLASSIFIED_TO[self.orientation],
                )
            self._register_sources()

    def get_absolute_url(self) -> str:
        return reverse("cameras:detail", args=[self.pk])

    def clean(self) -> None:
        from apps.cameras.validation import validate_camera_url

        validate_camera_url(self.url, self.source_kind, field="url")
        if self.substream_url:
            validate_camera_url(self.substream_url, self.source_kind, field="substream_url")
        if (self.armed_from is None) != (self.armed_until is None):
            raise ValidationError(_("Give both ends of the armed period, or neither."))
        taken = CameraSource.objects.filter(key__in=self.source_keys())
        if self.pk:
            taken = taken.exclude(camera_id=self.pk)
        if taken.exists():
            raise ValidationError({"url": DUPLICATE_SOURCE})

    def source_keys(self) -> set[str]:
        """The normalised addresses this camera reads (main stream and substream)."""
        from apps.core.netguard import source_key

        return {source_key(u) for u in (self.url, self.substream_url) if u}

    def _register_sources(self) -> None:
        """Claim this camera's sources; the unique key refuses one another camera holds."""
        keys = self.source_keys()
        self.sources.exclude(key__in=keys).delete()
        held = set(self.sources.values_list("key", flat=True))
        try:
            with transaction.atomic():
                CameraSource.objects.bulk_create(
                    [CameraSource(camera=self, key=k) for k in sorted(keys - held)])
        except IntegrityError:
            raise ValidationError({"url": DUPLICATE_SOURCE}) from None

    @property
    def is_outward(self) -> bool:
        return self.orientation == Orientation.OUTWARD

    def is_armed_at(self, moment: datetime) -> bool:
        if self.armed_from is None or self.armed_until is None:
            return False
        local = timezone.localtime(moment, self.facility.zoneinfo).time()
        return _in_band(local, self.armed_from, self.armed_until)

    def set_credentials(self, username: str | None, password: str | None) -> None:
        """Encrypt and store credentials (None leaves a field unchanged, "" clears it)."""
        if self.pk is None:
            raise ValueError("save the camera before giving it credentials")
        box = credentials.box()
        if username is not None:
            self.username_token = (
                box.encrypt(username, camera_id=self.pk, field="username") if username else ""
            )
        if password is not None:
            self.password_token = (
                box.encrypt(password, camera_id=self.pk, field="password") if password else ""
            )
        from apps.audit.recording import CHANGED, record

        with transaction.atomic():
            Camera.objects.filter(pk=self.pk).update(
                username_token=self.username_token, password_token=self.password_token
            )
            changed = [name for name, value in (("username", username), ("password", password))
                       if value is not None]
            if changed:  # the trail says that, never what
                record(self, {f"{name}_token": CHANGED for name in changed})

    def credentials(self) -> tuple[str, str]:
        box = credentials.box()
        username = (
            box.decrypt(self.username_token, camera_id=self.pk, field="username")
            if self.username_token else ""
        )
        password = (
            box.decrypt(self.password_token, camera_id=self.pk, field="password")
            if self.password_token else ""
        )
        return username, password

    @property
    def has_credentials(self) -> bool:
        return bool(self.username_token or self.password_token)


class CameraSource(models.Model):
    """A stream address a camera reads, normalised (apps.core.netguard.source_key). Unique: one
    source is one camera, so nobody registers a known inward stream again as an outward
    camera of their own. Kept by Camera.save."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="sources")
    key = models.CharField(max_length=600, unique=True)

    class Meta:
        verbose_name = _("camera source")
        verbose_name_plural = _("camera sources")

    def __str__(self) -> str:
        return f"{self.camera}: {self.key}"


def _in_band(moment: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end  # wraps midnight, e.g. 18:00–06:00


class CameraShareQuerySet(models.QuerySet):
    def valid_at(self, moment=None):
        moment = moment or timezone.now()
        return self.filter(
            Q(valid_from__lte=moment), Q(valid_until__isnull=True) | Q(valid_until__gt=moment),
            revoked_at__isnull=True, camera__orientation=Orientation.OUTWARD,
        )


class CameraShare(models.Model):
    """The owner agency lets another agency view an outward camera, on a recorded basis."""

    camera = models.ForeignKey(
        Camera, verbose_name=_("camera"), on_delete=models.CASCADE, related_name="shares"
    )
    grantee = models.ForeignKey(
        "org.Agency", verbose_name=_("shared with"), on_delete=models.PROTECT,
        related_name="camera_shares",
    )
    operation = models.ForeignKey(
        "places.Operation", verbose_name=_("operation"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="camera_shares",
    )
    basis = models.CharField(
        _("legal basis"), max_length=255,
        help_text=_("Letter, MoU or request reference (e.g. the KPU–Polri MoU)."),
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("granted by"), on_delete=models.PROTECT,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    revoke_reason = models.CharField(_("reason for revocation"), max_length=255, blank=True)
    # Watching live and reviewing recordings are separate rights: a share grants live only
    # unless it says so, and then only footage recorded within its period.
    recordings = models.BooleanField(
        _("rights granted"), default=False,
        choices=[(False, _("Live only")), (True, _("Live and recordings"))],
    )

    objects = CameraShareQuerySet.as_manager()

    class Meta:
        verbose_name = _("camera share")
        verbose_name_plural = _("camera shares")
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="camera_share_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.camera} → {self.grantee}"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return (
            self.revoked_at is None
            and self.valid_from <= now
            and (self.valid_until is None or self.valid_until > now)
        )


class CameraHealth(models.Model):
    """The watcher's latest report for a camera."""

    class State(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        ONLINE = "online", _("Online")
        DEGRADED = "degraded", _("Degraded")
        OFFLINE = "offline", _("Offline")

    camera = models.OneToOneField(Camera, on_delete=models.CASCADE, related_name="health")
    state = models.CharField(max_length=10, choices=State.choices, default=State.UNKNOWN)
    tamper = models.CharField(_("tamper"), max_length=40, blank=True)
    fps = models.FloatField(null=True, blank=True)
    bitrate_kbps = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # Seconds between the stream's keyframes, measured by the reader (video streams only).
    keyframe_interval = models.FloatField(_("keyframe interval"), null=True, blank=True)
    last_frame_at = models.DateTimeField(null=True, blank=True)
    reconnects = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=120, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("camera health")
        verbose_name_plural = _("camera health")

    def __str__(self) -> str:
        return f"{self.camera}: {self.state}"

    @property
    def display_state(self) -> str:
        return "tampered" if self.tamper else self.state

    @property
    def keyframes_too_far_apart(self) -> bool:
        """Whether tampering can be missed for longer than promised while the camera decodes
        keyframes only (apps.vision.decoding)."""
        return keyframes_too_far_apart(self.keyframe_interval)

    @property
    def keyframe_limit(self) -> float:
        return MAX_KEYFRAME_INTERVAL


class CameraStateChange(models.Model):
    """When a camera went online, degraded or offline: the uptime record."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="state_changes")
    state = models.CharField(max_length=10, choices=CameraHealth.State.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("camera state change")
        verbose_name_plural = _("camera state changes")
        ordering = ["at"]
        # A camera's state at a moment (the daily report's uptime) is its last change before.
        indexes = [models.Index(fields=["camera", "at"])]

    def __str__(self) -> str:
        return f"{self.camera}: {self.state} @ {self.at:%Y-%m-%d %H:%M}"


class TimelineFrame(models.Model):
    """A low-rate snapshot kept for a retention period (privacy masks already burned in)."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="timeline")
    taken_at = models.DateTimeField(db_index=True)
    image = models.FileField(upload_to="timeline/")

    class Meta:
        verbose_name = _("timeline frame")
        verbose_name_plural = _("timeline frames")
        ordering = ["-taken_at"]
        indexes = [models.Index(fields=["camera", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.camera} @ {self.taken_at:%Y-%m-%d %H:%M:%S}"


class CameraLease(models.Model):
    """Who watches a camera, in embedded mode (cluster mode keeps leases in Redis).

    A watcher holds the lease while it renews it; `token` grows with every new holder so a
    watcher that lost its lease can tell (fencing)."""

    camera = models.OneToOneField(Camera, on_delete=models.CASCADE, related_name="lease")
    holder = models.CharField(max_length=120)
    token = models.PositiveBigIntegerField(default=0)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("camera lease")
        verbose_name_plural = _("camera leases")

    def __str__(self) -> str:
        return f"{self.camera} ← {self.holder}"


class ViewRecord(models.Model):
    """Who looked at a camera, how and when: the owner's transparency record. Append-only."""

    class Kind(models.TextChoices):
        LIVE = "live", _("Live view")
        SNAPSHOT = "snapshot", _("Snapshot")
        EVIDENCE = "evidence", _("Evidence opened")
        TIMELINE = "timeline", _("Timeline")
        EXPORT = "export", _("Export")
        RECORDING = "recording", _("Recording")
        # Not a view: the owner's record also shows who changed what the camera may show.
        TO_OUTWARD = "to_outward", _("Orientation changed to outward")
        TO_INWARD = "to_inward", _("Orientation changed to inward")

    RECLASSIFIED_TO = {"outward": Kind.TO_OUTWARD, "inward": Kind.TO_INWARD}

    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="view_records")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="camera_views"
    )
    # Copied at the time of viewing: a later transfer must not rewrite who watched as whom.
    viewer_agency = models.ForeignKey(
        "org.Agency", null=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    # A recording played back: the span of footage watched (started_at/ended_at say when).
    footage_start = models.DateTimeField(null=True, blank=True)
    footage_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("camera view")
        verbose_name_plural = _("camera views")
        ordering = ["-started_at"]
        # The owner's record walks (camera, time); everyone's own views walk (viewer, time);
        # a page of the newest sessions reaches back as far as the longest view lasted.
        indexes = [models.Index(fields=["camera", "started_at"]),
                   models.Index(fields=["viewer", "started_at"]),
                   models.Index(F("ended_at") - F("started_at"), name="cameras_view_length_idx")]

    def __str__(self) -> str:
        return f"{self.viewer} {self.kind} {self.camera} @ {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        return self.ended_at - self.started_at if self.ended_at else None
