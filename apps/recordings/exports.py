"""Evidence exports: asking for one, building the bundle in the background, holding the
footage it covers, attaching it to an incident, releasing a hold.

A bundle holds one MP4 per camera (segments joined by remux, apps.recordings.remux; the
masked renditions of apps.recordings.renditions for an exporter who is served masked
footage), a manifest (JSON) and the same manifest as a PDF to print (in the portal's
language), each with its SHA-256. What an export covers is decided when it is asked for: the
segments the exporter may review then (the policy's RecordingSegment rule), held at once so
retention cannot delete them while the bundle is made, and entered in each camera owner's
access record with the span."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.access import policy
from apps.accounts.models import User
from apps.cameras.models import Camera, ViewRecord
from apps.core.background import enqueue
from apps.core.zones import zone_label
from apps.recordings import renditions, services
from apps.recordings.export_pdf import manifest_pdf_bytes
from apps.recordings.models import (
    EvidenceExport,
    EvidenceFile,
    HoldRelease,
    RecordingSegment,
    SegmentHold,
)
from apps.recordings.remux import Part, RemuxError, join_segments
from apps.records.chain_links import chain_append
from apps.records.models import Incident

logger = logging.getLogger(__name__)

# Bounds of one export: a bundle is made by one worker in one go, and handed over whole.
MAX_SPAN = timedelta(hours=6)
MAX_CAMERAS = 8
# Masked footage is decoded and encoded again (at least 4× real time on one core): at most
# this much of it (cameras served masked × span) in one export.
MAX_MASKED = timedelta(hours=1)
FOLDER = "exports"  # in the "recordings" storage: exports/<id>/<file>
MANIFEST_FORMAT = "posko-evidence-v1"
# An export not complete this long after it was asked for was interrupted (the task's own
# time limit is an hour).
INTERRUPTED_AFTER = timedelta(hours=6)
# How often a busy masked rendition is asked again (each ask waits up to a minute).
RENDITION_ATTEMPTS = 3


# --- asking ---------------------------------------------------------------------------------


def export_request(*, user: User, cameras: Sequence[Camera], start: datetime, end: datetime,
                   reason: str, legal_basis: str, address: str | None = None,
                   user_agent: str = "") -> EvidenceExport:
    """Ask for a bundle of `cameras` between `start` and `end` (aware datetimes). Raises
    ValidationError for a span or camera count over the bounds, a missing reason or legal
    basis, or a camera with nothing the user may export in the span; PermissionDenied for a
    camera whose recordings the user may not review."""
    reason, legal_basis = reason.strip(), legal_basis.strip()
    cameras = list({camera.pk: camera for camera in cameras}.values())
    _check_request(cameras, start, end, reason, legal_basis)
    reviewable = set(policy.reviewable_cameras(user).filter(
        pk__in=[c.pk for c in cameras]).values_list("pk", flat=True))
    if len(reviewable) != len(cameras):
        raise PermissionDenied
    masked = sum(policy.needs_masked_recording(user, camera) for camera in cameras)
    if masked * (end - start) > MAX_MASKED:
        raise ValidationError(
            _("Masked footage is made anew for you: at most %(minutes)d minutes of it in one "
              "export (cameras with privacy masks × span).") % {
                "minutes": MAX_MASKED // timedelta(minutes=1)}, code="too_much_masked")
    segments = policy.scope(user, RecordingSegment.objects.filter(
        camera__in=cameras, start__lt=end, end__gt=start))
    found = {}
    for camera_id, first, last in segments.order_by().values_list("camera_id", "start", "end"):
        earliest, latest = found.get(camera_id, (first, last))
        found[camera_id] = (min(earliest, first), max(latest, last))
    missing = [camera.name for camera in cameras if camera.pk not in found]
    if missing:
        raise ValidationError(_("No recording you may export in that span for: %(cameras)s.")
                              % {"cameras": ", ".join(missing)}, code="no_footage")
    zones = {camera.facility.region.timezone for camera in cameras}
    with transaction.atomic():
        export = EvidenceExport.objects.create(
            requested_by=user, agency_id=user.agency_id, start=start, end=end,
            zone=zones.pop(), reason=reason, legal_basis=legal_basis)
        export.cameras.set(cameras)
        export.segments.set(list(segments.values_list("pk", flat=True)))
        SegmentHold.objects.create(export=export, held_by=user,
                                   reason=_("Evidence export #%(pk)d") % {"pk": export.pk})
        holds_refresh(export)
        ViewRecord.objects.bulk_create(
            ViewRecord(camera=camera, viewer=user, viewer_agency_id=user.agency_id,
                       kind=ViewRecord.Kind.EXPORT, address=address,
                       user_agent=user_agent[:255],
                       footage_start=max(start, found[camera.pk][0]),
                       footage_end=min(end, found[camera.pk][1]))
            for camera in cameras)
        transaction.on_commit(lambda: enqueue("recordings.export_bundle", export.pk))
    return export


def _check_request(cameras: Sequence[Camera], start: datetime, end: datetime, reason: str,
                   legal_basis: str) -> None:
    errors = []
    if not cameras:
        errors.append(_("Choose at least one camera."))
    elif len(cameras) > MAX_CAMERAS:
        errors.append(_("At most %(n)d cameras in one export.") % {"n": MAX_CAMERAS})
    elif len({camera.facility.region.timezone for camera in cameras}) > 1:
        errors.append(_("Choose cameras in one time zone: the span is read in their "
                        "facilities' local time."))
    if end <= start:
        errors.append(_("The end must be after the start."))
    elif end - start > MAX_SPAN:
        errors.append(_("At most %(hours)d hours in one export.") % {
            "hours": MAX_SPAN // timedelta(hours=1)})
    if start > timezone.now():
        errors.append(_("The span starts in the future: nothing is recorded there yet."))
    if not reason:
        errors.append(_("The reason is required."))
    if not legal_basis:
        errors.append(_("The legal basis is required."))
    if errors:
        raise ValidationError(errors)


# --- building -------------------------------------------------------------------------------


def export_build(export_id: int) -> EvidenceExport | None:
    """Make the bundle of a queued export (the background task). Claimed by a conditional
    update, so a task delivered twice builds once. On success the files are appended to
    the chain and the export with them (the custody record); on failure the export says
    why, its files are removed and its hold stays until a commander releases it."""
    claimed = EvidenceExport.objects.filter(pk=export_id, status=EvidenceExport.Status.QUEUED
                                            ).update(status=EvidenceExport.Status.RUNNING)
    if not claimed:
        return None
    export = EvidenceExport.objects.select_related("requested_by", "agency").get(pk=export_id)
    store = services.storage()
    saved: list[str] = []
    try:
        files = _bundle(export, store, saved)
        with transaction.atomic():
            for file in files:
                file.save()
            export.status = EvidenceExport.Status.DONE
            export.finished_at = timezone.now()
            export.save(update_fields=["status", "finished_at"])
            chain_append(record=export)
    except Exception as error:
        logger.exception("evidence export %s failed", export_id)
        for name in saved:
            store.delete(name)
        message = str(error) if isinstance(error, RemuxError | renditions.RenditionError) \
            else _("The bundle could not be made (%(error)s).") % {
                "error": type(error).__name__}
        EvidenceExport.objects.filter(pk=export_id).update(
            status=EvidenceExport.Status.FAILED, error=message[:500],
            finished_at=timezone.now())
        return None
    return export


def _bundle(export: EvidenceExport, store: Storage, saved: list[str]) -> list[EvidenceFile]:
    folder = f"{FOLDER}/{export.pk}"
    files: list[EvidenceFile] = []
    cameras = export.cameras.select_related("facility__region").order_by("facility__name",
                                                                           "name", "pk")
    spool = Path(settings.RECORDINGS_SPOOL) / FOLDER  # local disk for the files being made
    spool.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=spool) as work:
        for camera in cameras:
            masked = policy.needs_masked_recording(export.requested_by, camera)
            segments = list(export.segments.filter(camera=camera).order_by("start", "pk"))
            parts = [Part(open=_opener(store, segment, masked), start=segment.start)
                     for segment in segments]
            stem = _file_stem(camera, export.start)
            for joined in join_segments(parts, Path(work) / f"{stem}.mp4", export.start,
                                        export.end):
                with joined.path.open("rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256").hexdigest()
                    handle.seek(0)
                    name = store.save(f"{folder}/{joined.path.name}",
                                      File(handle, name=joined.path.name))
                saved.append(name)
                files.append(EvidenceFile(
                    export=export, kind=EvidenceFile.Kind.VIDEO, camera=camera,
                    name=joined.path.name, storage_name=name, sha256=digest,
                    bytes=joined.path.stat().st_size, start=joined.start, end=joined.end,
                    masked=masked))
    manifest = manifest_of(export, files, segments=export.segments.order_by("camera", "start"))
    body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    files.append(_stored(export, store, saved, EvidenceFile.Kind.MANIFEST,
                         f"manifest-{export.pk}.json", body))
    pdf = manifest_pdf_bytes(manifest=manifest, manifest_sha256=files[-1].sha256)
    files.append(_stored(export, store, saved, EvidenceFile.Kind.PDF,
                         f"manifest-{export.pk}.pdf", pdf))
    return files


def _opener(store: Storage, segment: RecordingSegment, masked: bool):
    def open_segment():
        name = _masked_name(segment) if masked else segment.storage_name
        return store.open(name, "rb")
    return open_segment


def _masked_name(segment: RecordingSegment) -> str:
    for _attempt in range(RENDITION_ATTEMPTS - 1):
        with contextlib.suppress(renditions.RenditionBusy):
            return renditions.masked_segment_name(segment)
    try:
        return renditions.masked_segment_name(segment)
    except renditions.RenditionBusy:
        raise renditions.RenditionError(
            _("Masking was busy for too long; ask for the export again later.")) from None


def _file_stem(camera: Camera, start: datetime) -> str:
    local = timezone.localtime(start, ZoneInfo(camera.facility.region.timezone))
    return "_".join([slugify(camera.facility.name)[:40] or "objek",
                     slugify(camera.name)[:40] or f"kamera-{camera.pk}",
                     f"{local:%Y%m%d-%H%M%S}"])


def _stored(export: EvidenceExport, store: Storage, saved: list[str], kind: str, name: str,
            body: bytes) -> EvidenceFile:
    stored_as = store.save(f"{FOLDER}/{export.pk}/{name}", ContentFile(body, name=name))
    saved.append(stored_as)
    return EvidenceFile(export=export, kind=kind, name=name, storage_name=stored_as,
                        sha256=hashlib.sha256(body).hexdigest(), bytes=len(body))


def _moment(moment: datetime, zone: ZoneInfo) -> dict:
    local = timezone.localtime(moment, zone)
    return {"utc": moment.astimezone(ZoneInfo("UTC")).isoformat(),
            "local": f"{local:%Y-%m-%d %H:%M:%S} {zone_label(zone)}"}


def manifest_of(export: EvidenceExport, files: Sequence[EvidenceFile], segments) -> dict:
    """The bundle described for a court: who, why, on what basis, and each file's SHA-256,
    camera, facility and footage span in the facility's local time and zone."""
    zone = ZoneInfo(export.zone)
    person = export.requested_by
    by_camera: dict[int, list[dict]] = {}
    for segment in segments:
        by_camera.setdefault(segment.camera_id, []).append({
            "start": segment.start.isoformat(), "end": segment.end.isoformat(),
            "sha256": segment.sha256})
    videos = []
    for file in files:
        camera = file.camera
        facility = camera.facility
        here = ZoneInfo(facility.region.timezone)
        videos.append({
            "name": file.name, "sha256": file.sha256, "bytes": file.bytes,
            "camera": {"id": camera.pk, "name": camera.name},
            "facility": {"id": facility.pk, "name": facility.name},
            "zone": here.key, "zone_label": zone_label(here),
            "start": _moment(file.start, here), "end": _moment(file.end, here),
            "masked": file.masked, "audio": False,
            "segments": by_camera.get(camera.pk, []),
        })
    return {
        "format": MANIFEST_FORMAT,
        "export": export.pk,
        "requested_at": _moment(export.requested_at, zone),
        "made_at": _moment(timezone.now(), zone),
        "exported_by": {"name": person.full_name, "rank": person.rank,
                        "id_number": person.id_number, "username": person.username,
                        "agency": str(export.agency) if export.agency else ""},
        "reason": export.reason,
        "legal_basis": export.legal_basis,
        "span": {"zone": zone.key, "zone_label": zone_label(zone),
                 "start": _moment(export.start, zone), "end": _moment(export.end, zone)},
        "files": videos,
    }


def exports_interrupted(now: datetime | None = None) -> int:
    """Fail the exports still queued or being made long after they were asked for (their
    worker was killed, or the broker lost the task): they say so, and keep their hold until
    a commander releases it. Returns how many."""
    now = now or timezone.now()
    return EvidenceExport.objects.filter(
        status__in=(EvidenceExport.Status.QUEUED, EvidenceExport.Status.RUNNING),
        requested_at__lt=now - INTERRUPTED_AFTER,
    ).update(status=EvidenceExport.Status.FAILED, finished_at=now,
             error=_("The bundle was interrupted before it was complete; ask for the "
                     "export again."))


# --- holds ----------------------------------------------------------------------------------


def holds_refresh(export: EvidenceExport) -> int:
    """Bring `RecordingSegment.held` (what retention reads) in line with the holds on the
    export's segments: held while any export containing the segment has a hold that was
    not released; the newest such hold gives the reason, who and when."""
    active = SegmentHold.objects.filter(
        export__segments=OuterRef("pk"), release__isnull=True).order_by("-held_at", "-pk")
    return RecordingSegment.objects.filter(exports=export).update(
        held=Exists(active),
        hold_reason=Coalesce(Subquery(active.values("reason")[:1]), Value("")),
        held_by=Subquery(active.values("held_by")[:1]),
        held_at=Subquery(active.values("held_at")[:1]))


def export_attach(*, export: EvidenceExport, incident: Incident, user: User) -> SegmentHold:
    """Attach a bundle to an incident: a hold of its own on the export's segments (so the
    footage stays as long as the incident needs it, whatever happens to the export's own
    hold)."""
    if export.status == EvidenceExport.Status.FAILED:
        raise ValidationError(_("A failed export cannot be attached."))
    try:
        with transaction.atomic():
            hold = SegmentHold.objects.create(
                export=export, incident=incident, held_by=user,
                reason=_("Incident #%(incident)d (evidence export #%(export)d)") % {
                    "incident": incident.pk, "export": export.pk})
            holds_refresh(export)
    except IntegrityError:
        raise ValidationError(_("This export is already attached to that incident.")
                              ) from None
    return hold


def hold_release(*, hold: SegmentHold, user: User, reason: str) -> HoldRelease:
    """Release a hold: a commander's decision, with a reason, recorded in the chain. The
    segments stay held while another hold on them is active."""
    if not policy.may_release_holds(user, hold.export):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the hold is released."))
    try:
        with transaction.atomic():
            release = HoldRelease.objects.create(hold=hold, released_by=user, reason=reason)
            holds_refresh(hold.export)
    except IntegrityError:
        raise ValidationError(_("This hold was already released.")) from None
    return release


def export_downloaded(*, export: EvidenceExport, user: User, address: str | None,
                      user_agent: str) -> None:
    """A download is a look at the footage: one row per camera in each owner's record."""
    spans: dict[int, tuple[datetime, datetime]] = {}
    for file in export.files.filter(kind=EvidenceFile.Kind.VIDEO).order_by("start"):
        first, _last = spans.get(file.camera_id, (file.start, file.end))
        spans[file.camera_id] = (first, file.end)
    ViewRecord.objects.bulk_create(
        ViewRecord(camera_id=camera_id, viewer=user, viewer_agency_id=user.agency_id,
                   kind=ViewRecord.Kind.EXPORT, address=address, user_agent=user_agent[:255],
                   footage_start=start, footage_end=end)
        for camera_id, (start, end) in spans.items())
