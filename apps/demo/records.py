"""Demo field records (apps.records): checkpoints at every demo facility, then two weeks of
patrols, joint warehouse checks and incidents replayed up to now (apps.demo.history), and
the cameras' uptime record (apps.demo.camera_history).

Checkpoint names say which building they belong to ("Gerbang utama KPU", not two "Gerbang
utama" a kilometre apart), and every checkpoint has a position a few tens of metres from
its neighbours, so the compliance page measures real distances between them."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from apps.demo import history
from apps.demo.camera_history import build_camera_history, build_view_history
from apps.demo.field_history import check_events, incident_events
from apps.places.models import Facility
from apps.records import tokens
from apps.records.models import ChainAnchor, Checkpoint

# (facility kind, checkpoint names, route order)
CHECKPOINTS = {
    Facility.Kind.KPU_OFFICE: ("Gerbang utama KPU", "Pojok pagar belakang KPU"),
    Facility.Kind.BAWASLU_OFFICE: ("Gerbang utama Bawaslu", "Halaman parkir Bawaslu"),
    Facility.Kind.KPU_WAREHOUSE: ("Gerbang gudang", "Pintu gudang utama", "Sisi belakang gudang"),
}
# Names of earlier demo builds, renamed in place (the checkpoint and its labels stay).
FORMER_NAMES = {
    (Facility.Kind.KPU_OFFICE, "Gerbang utama"): "Gerbang utama KPU",
    (Facility.Kind.KPU_OFFICE, "Pojok pagar belakang"): "Pojok pagar belakang KPU",
    (Facility.Kind.BAWASLU_OFFICE, "Gerbang utama"): "Gerbang utama Bawaslu",
    (Facility.Kind.BAWASLU_OFFICE, "Halaman parkir"): "Halaman parkir Bawaslu",
}
# Fictional positions of the facilities.
POSITIONS = {
    "Kantor KPU Kota Karangsari": (Decimal("-8.098000"), Decimal("112.165000")),
    "Kantor Bawaslu Kota Karangsari": (Decimal("-8.104500"), Decimal("112.171200")),
    "Gudang Logistik KPU Kota Karangsari": (Decimal("-8.121300"), Decimal("112.190400")),
    "Kantor KPU Kota Tanjung Wangi": (Decimal("-5.135200"), Decimal("119.412000")),
    "Kantor Bawaslu Kota Tanjung Wangi": (Decimal("-5.142800"), Decimal("119.423100")),
    "Kantor KPU Kota Teluk Mutiara": (Decimal("-2.533000"), Decimal("140.717000")),
    "Kantor Bawaslu Kota Teluk Mutiara": (Decimal("-2.537200"), Decimal("140.709800")),
    "Gudang Logistik PPK Mutiara Selatan": (Decimal("-2.576000"), Decimal("140.665000")),
}


def _position(facility: Facility, index: int) -> tuple[Decimal | None, Decimal | None]:
    base = POSITIONS.get(facility.name)
    if base is None:
        return None, None
    # A few tens of metres apart around the facility (closer than the travel check's 100 m).
    return base[0] + Decimal("0.000300") * index, base[1] + Decimal("0.000200") * index


def _checkpoints() -> None:
    for facility in Facility.objects.filter(kind__in=list(CHECKPOINTS)):
        existing = {c.name: c for c in Checkpoint.objects.filter(facility=facility)}
        for (kind, old), new in FORMER_NAMES.items():
            if kind == facility.kind and old in existing and new not in existing:
                checkpoint = existing.pop(old)
                checkpoint.name = new
                checkpoint.save(update_fields=["name"])
                existing[new] = checkpoint
        for index, name in enumerate(CHECKPOINTS[facility.kind]):
            lat, lon = _position(facility, index)
            checkpoint = existing.get(name)
            if checkpoint is None:
                Checkpoint.objects.create(facility=facility, name=name, code=tokens.new_code(),
                                          latitude=lat, longitude=lon)
            elif checkpoint.latitude is None and lat is not None:
                checkpoint.latitude, checkpoint.longitude = lat, lon
                checkpoint.save(update_fields=["latitude", "longitude"])


def build_demo_records(now: datetime | None = None, *, with_history: bool = True) -> None:
    now = now or timezone.now()
    _checkpoints()
    if not with_history:
        return
    cities = history.load_cities()
    state = history.PatrolState.load(now - timedelta(days=history.HISTORY_DAYS + 1))
    events: list[history.Event] = []
    for city in cities:
        events += history.patrol_events(city, now, state)
        events += check_events(city, now)
    events += incident_events(cities, now)
    events += history.anchor_events(now, set(ChainAnchor.objects.values_list("day", flat=True)))
    history.replay(events)
    build_camera_history(now)
    build_view_history(now)
