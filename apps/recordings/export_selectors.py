"""Reads of evidence exports, each through the policy: the list, one export with its files
and holds, the bundle as a ZIP stream, and the exports attached to an incident."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import models

from apps.access import policy
from apps.recordings import services
from apps.recordings.models import EvidenceExport, EvidenceFile, SegmentHold
from apps.records.models import Incident

ZIP_CHUNK = 1 << 20


def exports_for(*, user) -> models.QuerySet[EvidenceExport]:
    return policy.scope(user, EvidenceExport.objects.select_related(
        "requested_by", "agency")).prefetch_related("cameras")


@dataclass
class ExportDetail:
    export: EvidenceExport
    files: list[EvidenceFile]
    holds: list[SegmentHold]
    may_release: bool
    may_download: bool
    incidents: list[Incident]  # those it may be attached to


def export_detail_for(*, user, pk: int) -> ExportDetail:
    export = policy.get_or_404(user, exports_for(user=user), pk=pk)
    holds = list(policy.scope(user, SegmentHold.objects.filter(export=export))
                 .select_related("held_by", "incident__facility__region", "release__released_by"))
    attached = {hold.incident_id for hold in holds}
    facilities = export.cameras.values("facility_id")
    incidents = [] if export.status == EvidenceExport.Status.FAILED else [
        incident for incident in policy.scope(user, Incident.objects.filter(
            facility_id__in=facilities).select_related("facility__region"))
        .order_by("-occurred_at")[:100] if incident.pk not in attached]
    return ExportDetail(
        export=export,
        files=list(export.files.select_related("camera__facility__region").order_by("pk")),
        holds=holds, may_release=policy.may_release_holds(user, export),
        may_download=export.status == EvidenceExport.Status.DONE
        and policy.may_download_export(user, export), incidents=incidents)


def exports_of_incident(*, user, incident: Incident) -> list[SegmentHold]:
    """The attachments of `incident` whose export the user may see."""
    return list(policy.scope(user, SegmentHold.objects.filter(incident=incident))
                .select_related("export", "held_by", "release").order_by("held_at"))


class _Sink:
    """Where zipfile writes: collected and handed out chunk by chunk (never the whole ZIP
    in memory; zipfile finds it unseekable and writes data descriptors)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def bundle_zip(export: EvidenceExport) -> Iterator[bytes]:
    """The bundle's files as one ZIP (stored, not compressed: video does not shrink), read
    from the storage as it is sent. The caller has checked the user may see `export`. The
    rows are read now; the iterator touches only the storage (it may run in another
    thread)."""
    files = list(export.files.order_by("pk").values_list("name", "storage_name"))
    return _zip_stream(files, _zip_time(export))


def _zip_stream(files: list[tuple[str, str]], date_time: tuple) -> Iterator[bytes]:
    store = services.storage()
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as bundle:
        for name, storage_name in files:
            info = zipfile.ZipInfo(name, date_time=date_time)
            with store.open(storage_name, "rb") as source, \
                    bundle.open(info, "w", force_zip64=True) as target:
                while chunk := source.read(ZIP_CHUNK):
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def _zip_time(export: EvidenceExport) -> tuple[int, int, int, int, int, int]:
    made = (export.finished_at or export.requested_at).astimezone(export.zoneinfo)
    return (made.year, made.month, made.day, made.hour, made.minute, made.second)
