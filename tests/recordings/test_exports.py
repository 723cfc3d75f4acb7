"""Evidence exports: a bundle made from real segments (opened with PyAV), masked for a
shared masked camera, its custody in the chain and the owner's access record, who may
export what, holds against retention and their release by a commander only."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from datetime import timedelta

import av
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from apps.cameras.models import Camera, CameraShare, Orientation, ViewRecord
from apps.core.periodic import beat_schedule
from apps.recordings import exports, services, tasks
from apps.recordings.models import EvidenceExport, EvidenceFile, RecordingSegment
from apps.records.chain import chain_verify
from apps.records.models import ChainEntry, Incident, Source
from apps.vision.jpegrecording import KEYFRAME_SECONDS
from tests.recordings.footage import SIZE, record

LEFT_HALF = [[[0, 0], [0.5, 0], [0.5, 1], [0, 1]]]


@pytest.fixture(autouse=True)
def _spool(settings, tmp_path):
    settings.RECORDINGS_SPOOL = str(tmp_path / "spool")


@pytest.fixture
def t0():
    return (timezone.now() - timedelta(hours=2)).replace(microsecond=0)


@pytest.fixture
def gate(world) -> Camera:
    return Camera.objects.create(facility=world.a.facilities["warehouse"], name="Gerbang",
                                 source_kind="mjpeg", url="http://127.0.0.1:8554/mjpeg/g",
                                 orientation=Orientation.OUTWARD)


def share(camera: Camera, world, *, recordings: bool, since) -> CameraShare:
    return CameraShare.objects.create(camera=camera, grantee=world.a.agencies["polres"],
                                      basis="MoU KPU–Polri", granted_by=world.a.users["kpu"],
                                      valid_from=since, recordings=recordings)


def ask(user, cameras, start, end, **extra) -> EvidenceExport:
    return exports.export_request(user=user, cameras=cameras, start=start, end=end,
                                  reason=extra.get("reason", "Teror paket di gerbang"),
                                  legal_basis=extra.get("legal_basis", "SP/123/XII/2026"))


def stored_bytes(file: EvidenceFile) -> bytes:
    with services.storage().open(file.storage_name, "rb") as handle:
        return handle.read()


def video_duration(data: bytes) -> tuple[float, bool, bool]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        seconds = float((max(p.pts + (p.duration or 0) for p in packets)
                         - min(p.pts for p in packets)) * stream.time_base)
        return seconds, packets[0].is_keyframe, bool(container.streams.audio)


def test_a_bundle_is_made_from_real_segments(world, gate, t0, tmp_path, client) -> None:
    record(gate, tmp_path / "rec", t0, 40, max_seconds=10)
    kpu = world.a.users["kpu"]
    start, end = t0 + timedelta(seconds=7.3), t0 + timedelta(seconds=31.1)
    export = ask(kpu, [gate], start, end)
    assert exports.export_build(export.pk) is not None
    export.refresh_from_db()
    assert export.status == EvidenceExport.Status.DONE

    files = {file.kind: file for file in export.files.all()}
    assert set(files) == {"video", "manifest", "pdf"}
    video = files["video"]
    for file in files.values():  # every hash matches the stored bytes
        assert hashlib.sha256(stored_bytes(file)).hexdigest() == file.sha256
    seconds, keyframe_first, audio = video_duration(stored_bytes(video))
    asked = (end - start).total_seconds()
    assert keyframe_first and not audio and not video.masked
    assert asked - 0.5 <= seconds <= asked + KEYFRAME_SECONDS + 0.5

    manifest = json.loads(stored_bytes(files["manifest"]))
    [entry] = manifest["files"]
    assert entry["sha256"] == video.sha256 and entry["camera"]["name"] == "Gerbang"
    assert entry["facility"]["name"] == gate.facility.name
    assert entry["zone_label"] == "WIB" and entry["start"]["local"].endswith(" WIB")
    assert manifest["reason"] == "Teror paket di gerbang"
    assert manifest["legal_basis"] == "SP/123/XII/2026"
    assert manifest["exported_by"]["name"] == kpu.full_name
    assert stored_bytes(files["pdf"]).startswith(b"%PDF")

    # The custody record: the export and each file are in the chain, which is intact.
    chained = set(ChainEntry.objects.values_list("record_type", "record_id"))
    assert ("recordings.evidenceexport", export.pk) in chained
    assert all(("recordings.evidencefile", f.pk) in chained for f in files.values())
    assert chain_verify(segments=0).ok
    # Held, and in the owner's access record with the span.
    segments = export.segments.all()
    assert segments and all(s.held and f"#{export.pk}" in s.hold_reason for s in segments)
    view = ViewRecord.objects.get(camera=gate, kind=ViewRecord.Kind.EXPORT)
    assert view.viewer == kpu and view.footage_start == start and view.footage_end == end
    client.force_login(kpu)
    page = client.get(reverse("cameras:access_record")).content.decode()
    local = timezone.localtime(start, gate.facility.zoneinfo)
    with translation.override("id"):
        assert str(ViewRecord.Kind.EXPORT.label) in page
    assert f"{local:%Y-%m-%d %H:%M:%S} – " in page  # the span exported


def test_the_zip_holds_every_file_and_each_download_is_recorded(world, gate, t0, tmp_path,
                                                                client) -> None:
    record(gate, tmp_path / "rec", t0, 20, max_seconds=10)
    kpu = world.a.users["kpu"]
    export = ask(kpu, [gate], t0, t0 + timedelta(seconds=15))
    exports.export_build(export.pk)
    client.force_login(kpu)
    response = client.get(reverse("exports:download", args=[export.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(response)))
    for file in export.files.all():
        assert hashlib.sha256(bundle.read(file.name)).hexdigest() == file.sha256
    assert ViewRecord.objects.filter(camera=gate, kind="export").count() == 2


def test_the_form_asks_and_the_task_builds(world, gate, t0, tmp_path, client,
                                           django_capture_on_commit_callbacks) -> None:
    record(gate, tmp_path / "rec", t0, 20, max_seconds=10)
    client.force_login(world.a.users["kpu"])
    assert client.get(reverse("exports:create")).status_code == 200
    local = timezone.localtime(t0, gate.facility.region.zoneinfo)
    form = {"facility": gate.facility_id, "start": f"{local:%Y-%m-%dT%H:%M:%S}",
            "end": f"{local + timedelta(seconds=12):%Y-%m-%dT%H:%M:%S}",
            "reason": "Penyelidikan", "legal_basis": "Surat permintaan penyidik 12/2026"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exports:create"), form)
    export = EvidenceExport.objects.get()
    assert response.status_code == 302 and response["Location"] == export.get_absolute_url()
    assert (export.start, export.end) == (t0, t0 + timedelta(seconds=12))  # read in WIB
    export.refresh_from_db()
    assert export.status == "done"
    page = client.get(export.get_absolute_url())
    assert b"bukti.zip" in page.content
    assert client.get(reverse("exports:list")).status_code == 200
    # Both required: no legal basis is refused with a clear error.
    response = client.post(reverse("exports:create"), {**form, "legal_basis": " "})
    assert response.status_code == 400


@translation.override("en")
def test_bounds_and_an_empty_span_are_clear_errors(world, gate, t0, tmp_path) -> None:
    record(gate, tmp_path / "rec", t0, 10, max_seconds=10)
    kpu = world.a.users["kpu"]
    with pytest.raises(ValidationError, match="hours"):
        ask(kpu, [gate], t0, t0 + exports.MAX_SPAN + timedelta(seconds=1))
    with pytest.raises(ValidationError, match="No recording"):
        ask(kpu, [gate], t0 - timedelta(hours=1), t0 - timedelta(minutes=30))
    with pytest.raises(ValidationError, match="legal basis"):
        ask(kpu, [gate], t0, t0 + timedelta(seconds=5), legal_basis="")
    masked = Camera.objects.create(facility=gate.facility, name="Masked", source_kind="mjpeg",
                                   url="http://127.0.0.1:8554/mjpeg/m", privacy_masks=LEFT_HALF,
                                   orientation=Orientation.OUTWARD)
    share(masked, world, recordings=True, since=t0 - timedelta(hours=2))
    with pytest.raises(ValidationError, match="Masked footage"):
        ask(world.a.users["operator"], [masked], t0, t0 + exports.MAX_MASKED
            + timedelta(seconds=1))
    many = [Camera.objects.create(facility=gate.facility, name=f"K{i}", source_kind="mjpeg",
                                  url=f"http://127.0.0.1:8554/mjpeg/{i}")
            for i in range(exports.MAX_CAMERAS)]
    with pytest.raises(ValidationError, match="cameras"):
        ask(kpu, [gate, *many], t0, t0 + timedelta(seconds=5))


def test_a_grantee_gets_the_masked_rendition_of_a_masked_camera(world, gate, t0,
                                                                tmp_path) -> None:
    gate.privacy_masks = LEFT_HALF
    gate.save()
    share(gate, world, recordings=True, since=t0 - timedelta(hours=1))
    record(gate, tmp_path / "rec", t0, 12, max_seconds=10)
    export = ask(world.a.users["operator"], [gate], t0, t0 + timedelta(seconds=10))
    exports.export_build(export.pk)
    export.refresh_from_db()
    assert export.status == "done", export.error
    video = export.files.get(kind="video")
    assert video.masked
    width = SIZE[0]
    with av.open(io.BytesIO(stored_bytes(video))) as container:
        frames = [frame.to_ndarray(format="gray") for frame in container.decode(video=0)]
    assert frames and not container.streams.audio
    for pixels in frames:
        masked = pixels[:, : int(width * 0.45)]
        assert masked.max() <= 24, "a pixel under the privacy mask is not black"
    # The rest still shows (the sweeping bar crosses the right half).
    assert max(pixels[:, int(width * 0.55):].max() for pixels in frames) > 100
    # The owner's own export of the same camera is as recorded.
    own = ask(world.a.users["kpu"], [gate], t0, t0 + timedelta(seconds=10))
    exports.export_build(own.pk)
    assert not own.files.get(kind="video").masked


def test_who_may_export_what(world, gate, t0, tmp_path) -> None:
    inside = Camera.objects.create(facility=world.a.facilities["kpu_office"], name="Dalam",
                                   source_kind="mjpeg", url="http://127.0.0.1:8554/mjpeg/in",
                                   orientation=Orientation.INWARD)
    record(gate, tmp_path / "gate", t0, 10, max_seconds=10)
    record(inside, tmp_path / "inside", t0, 10, max_seconds=10)
    span = (t0, t0 + timedelta(seconds=8))
    operator = world.a.users["operator"]
    live_only = share(gate, world, recordings=False, since=t0 - timedelta(hours=1))
    with pytest.raises(PermissionDenied):  # a live-only share does not reach recordings
        ask(operator, [gate], *span)
    live_only.revoked_at = timezone.now()
    live_only.save()
    share(gate, world, recordings=True, since=t0 - timedelta(hours=1))
    assert ask(operator, [gate], *span).segments.exists()
    for outsider in (operator, world.b.users["operator"], world.a.users["bawaslu"],
                     world.a.users["field_polri"]):
        with pytest.raises(PermissionDenied):  # an inward camera stays with its owner
            ask(outsider, [inside], *span)
    assert ask(world.a.users["kpu"], [inside], *span).segments.exists()
    with pytest.raises(PermissionDenied):  # another city's owner
        ask(world.b.users["kpu"], [gate], *span)


def test_pages_answer_404_to_those_who_may_not_see_an_export(world, gate, t0, tmp_path,
                                                             client) -> None:
    record(gate, tmp_path / "rec", t0, 10, max_seconds=10)
    export = ask(world.a.users["kpu"], [gate], t0, t0 + timedelta(seconds=8))
    exports.export_build(export.pk)
    hold = export.holds.get()
    for outsider in (world.b.users["kpu"], world.a.users["operator"], world.a.users["admin"],
                     world.a.users["field_polri"]):
        client.force_login(outsider)
        for url in (export.get_absolute_url(), reverse("exports:download", args=[export.pk])):
            assert client.get(url).status_code == 404, (outsider, url)
        assert client.post(reverse("exports:release", args=[hold.pk]),
                           {"reason": "x"}).status_code == 404
        assert client.post(reverse("exports:attach", args=[export.pk]),
                           {"incident": 1}).status_code == 404
    client.force_login(world.a.users["kpu"])
    assert client.get(reverse("exports:detail", args=[export.pk + 999])).status_code == 404
    # The inward camera is not even offered to a grantee: posting its id is refused.
    inside = Camera.objects.create(facility=world.a.facilities["kpu_office"], name="Dalam",
                                   source_kind="mjpeg", url="http://127.0.0.1:8554/mjpeg/in")
    client.force_login(world.a.users["operator"])
    response = client.post(reverse("exports:create"), {
        "cameras": [inside.pk], "start": "2026-12-07T01:00:00", "end": "2026-12-07T01:01:00",
        "reason": "x", "legal_basis": "y"})
    assert response.status_code == 400 and not EvidenceExport.objects.filter(
        requested_by=world.a.users["operator"]).exists()


def test_holds_block_retention_until_a_commander_releases_them(world, gate, t0, tmp_path,
                                                               client) -> None:
    share(gate, world, recordings=True, since=t0 - timedelta(hours=1))
    kept = record(gate, tmp_path / "rec", t0, 30, max_seconds=10)
    export = ask(world.a.users["operator"], [gate], t0, t0 + timedelta(seconds=15))
    exports.export_build(export.pk)
    held = set(export.segments.values_list("pk", flat=True))
    assert held and len(held) < len(kept)
    incident = Incident.objects.create(
        client_key=uuid.uuid4(), facility=gate.facility, category="other", source=Source.STAFF,
        occurred_at=t0, received_at=t0, description="Paket mencurigakan",
        reporter=world.a.users["operator"])
    client.force_login(world.a.users["operator"])
    response = client.post(reverse("exports:attach", args=[export.pk]),
                           {"incident": incident.pk})
    assert response.status_code == 302
    page = client.get(incident.get_absolute_url())
    assert export.get_absolute_url().encode() in page.content  # the incident shows it

    later = timezone.now() + timedelta(days=400)
    services.apply_retention(later)
    assert set(RecordingSegment.objects.values_list("pk", flat=True)) == held

    own_hold, incident_hold = export.holds.order_by("pk")
    # The commander sees the export and releases; a bundle it holds unmasked is not theirs
    # to download while the camera is shared with their agency for live only.
    commander = world.a.users["commander"]
    client.force_login(commander)
    assert client.get(export.get_absolute_url()).status_code == 200
    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 200
    CameraShare.objects.filter(camera=gate).update(recordings=False)
    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 404
    for not_commander in (world.a.users["operator"], world.a.users["kpu"]):
        with pytest.raises(PermissionDenied):
            exports.hold_release(hold=own_hold, user=not_commander, reason="Selesai")
    with pytest.raises(ValidationError):
        exports.hold_release(hold=own_hold, user=commander, reason=" ")
    exports.hold_release(hold=own_hold, user=commander, reason="Perkara selesai")
    services.apply_retention(later)  # the incident still holds them
    assert set(RecordingSegment.objects.values_list("pk", flat=True)) == held
    client.force_login(commander)
    response = client.post(reverse("exports:release", args=[incident_hold.pk]),
                           {"reason": "Insiden ditutup"})
    assert response.status_code == 302
    assert not RecordingSegment.objects.filter(held=True).exists()
    services.apply_retention(later)
    assert not RecordingSegment.objects.exists()
    assert chain_verify(segments=0).ok  # holds and releases are chained records


def test_verify_records_reports_altered_bundles_and_altered_or_deleted_segments(
        world, gate, t0, tmp_path, recordings_root) -> None:
    from django.core.management import call_command

    segments = record(gate, tmp_path / "rec", t0, 30, max_seconds=10)
    export = ask(world.a.users["kpu"], [gate], t0, t0 + timedelta(seconds=8))
    exports.export_build(export.pk)
    report = chain_verify()
    assert report.ok and report.segments_checked == len(segments)

    video = export.files.get(kind="video")
    path = recordings_root / video.storage_name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    altered, deleted = segments[1], segments[2]
    segment_path = recordings_root / altered.storage_name
    data = bytearray(segment_path.read_bytes())
    data[100] ^= 0xFF  # same size, different bytes: found when re-hashed
    segment_path.write_bytes(bytes(data))
    (recordings_root / deleted.storage_name).unlink()

    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_records", stdout=out)
    text = out.getvalue()
    assert f"recordings.evidencefile:{video.pk} file_changed" in text
    assert f"recordings.recordingsegment:{altered.pk} file_changed" in text
    assert f"recordings.recordingsegment:{deleted.pk} file_missing" in text
    assert deleted.storage_name in text
    # A walk that reads no file (the scheduled one) still shows what was found.
    cheap = {(p.record_type, p.record_id, p.kind) for p in chain_verify(check_files=False).problems}
    assert ("recordings.recordingsegment", deleted.pk, "file_missing") in cheap
    # A walk with a small bound still finds them again: they are checked every walk.
    again = chain_verify(segments=2)
    found = {(p.record_type, p.record_id) for p in again.problems}
    assert {("recordings.recordingsegment", altered.pk),
            ("recordings.recordingsegment", deleted.pk)} <= found


def test_the_segment_walk_is_bounded_and_takes_the_longest_unchecked_first(
        world, gate, t0, tmp_path) -> None:
    from apps.recordings.integrity import segments_check

    segments = record(gate, tmp_path / "rec", t0, 50, max_seconds=10)
    first = segments_check(limit=2)
    second = segments_check(limit=2, hash_bytes=0)
    assert (first.sized, first.hashed, second.sized, second.hashed) == (2, 2, 2, 0)
    assert len(segments) > 4 and not first.problems and not second.problems
    assert RecordingSegment.objects.filter(checked_at__isnull=False).count() == 4
    segments_check(limit=len(segments) - 4)  # the one never checked comes first
    assert not RecordingSegment.objects.filter(checked_at__isnull=True).exists()


def test_an_interrupted_export_fails_and_keeps_its_hold(world, gate, t0, tmp_path) -> None:
    record(gate, tmp_path / "rec", t0, 10, max_seconds=10)
    export = ask(world.a.users["kpu"], [gate], t0, t0 + timedelta(seconds=8))
    EvidenceExport.objects.filter(pk=export.pk).update(status="running")  # its worker died
    assert tasks.exports_interrupted_check.name in {
        entry["task"] for entry in beat_schedule().values()}
    assert tasks.exports_interrupted_check() == 0
    assert exports.exports_interrupted(timezone.now() + exports.INTERRUPTED_AFTER) == 1
    export.refresh_from_db()
    assert export.status == "failed" and export.error
    assert exports.export_build(export.pk) is None  # a late delivery builds nothing
    assert all(segment.held for segment in export.segments.all())


def test_a_commander_supervises_exports_where_they_work_but_gets_no_unmasked_footage(
        world, t0, tmp_path, client) -> None:
    """An official's export of an inward camera: the city's commander sees it and releases
    its hold (no other commander could), but never downloads it; another city's commander
    does not even see it."""
    inside = Camera.objects.create(facility=world.a.facilities["kpu_office"], name="Dalam",
                                   source_kind="mjpeg", url="http://127.0.0.1:8554/mjpeg/in",
                                   orientation=Orientation.INWARD)
    record(inside, tmp_path / "rec", t0, 10, max_seconds=10)
    export = ask(world.a.users["kpu"], [inside], t0, t0 + timedelta(seconds=8))
    exports.export_build(export.pk)
    hold = export.holds.get()
    client.force_login(world.b.users["commander"])
    assert client.get(export.get_absolute_url()).status_code == 404
    client.force_login(world.a.users["commander"])
    page = client.get(export.get_absolute_url())
    assert page.status_code == 200 and b"bukti.zip" not in page.content
    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 404
    response = client.post(reverse("exports:release", args=[hold.pk]), {"reason": "Selesai"})
    assert response.status_code == 302 and hold.export.holds.get().release
    assert not RecordingSegment.objects.filter(held=True).exists()
