"""The city of the city benchmark (bench.city_bench), at a given scale (1.0 = full).

One city in WIB: 300 facilities with the coverage benchmark's month of rosters and check-ins
(bench.coverage_bench.build_world, ending now), 1,000 cameras of which 862 are outward and
shared with the Polres, three checkpoints per facility, 10,000 patrols with 200,000 visits,
20,000 alerts and 500,000 camera view records over the same 31 days; the people who log in
(one per measured role) among 40 patrol officers and 20 operators.

Field records are the project's own models, inserted in bulk (a row at a time through
`save()` would take hours) and then appended to the hash chain in the order the application
would have appended them, with the chain's own hash functions, and the daily anchors are
published by `anchor_publish`: `chain_verify` (the integrity page) accepts the result.
Everything else is `bulk_create` through the models' managers.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from django.db import models

from bench.coverage_bench import DAYS, UNUSABLE, build_world

ZONE = "Asia/Jakarta"
FULL = {"facilities": 300, "cameras": 1000, "shared": 862, "patrols": 10_000,
        "visits_per_patrol": 20, "alerts": 20_000, "view_records": 500_000}
CHECKPOINTS = ("Gerbang", "Pagar belakang", "Pintu gudang")  # at every facility
OFFICERS, OPERATORS = 40, 20
BATCH = 5000


@dataclass
class City:
    start: datetime
    now: datetime
    zone: ZoneInfo
    operation_id: int
    users: dict[str, object]  # role name → the user measured in it
    counts: dict[str, int]


def sized(scale: float) -> dict[str, int]:
    sizes = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    sizes["visits_per_patrol"] = FULL["visits_per_patrol"]
    return sizes


def _insert(model: type[models.Model], rows: list) -> list:
    """bulk_create through a plain queryset: a sealed model's manager refuses it, because
    rows inserted that way skip the chain; `_append_to_chain` then chains them."""
    return models.QuerySet(model).bulk_create(rows, batch_size=BATCH)


def build_city(scale: float, now: datetime, seed: int = 7) -> City:
    from apps.accounts.models import Role, User
    from apps.org.models import Agency
    from apps.places.models import Facility, Operation

    rnd = random.Random(seed)
    size = sized(scale)
    now = now.replace(minute=0, second=0, microsecond=0)
    start = build_world(start=now - timedelta(days=DAYS, hours=1), facilities=size["facilities"],
                        zones=(ZONE,), cities_per_zone=1)
    agencies = {a.pillar: a for a in Agency.objects.all()}
    polres, kpu = agencies[Agency.Pillar.POLRI], agencies[Agency.Pillar.KPU]
    operation = Operation.objects.get()
    facilities = list(Facility.objects.order_by("pk"))

    def person(username: str, agency, role: str) -> User:
        user = User.objects.create(username=username, full_name=username.title(),
                                   agency=agency, password=UNUSABLE)
        user.set_roles({role})
        return user

    users = {
        "commander": person("komandan", polres, Role.COMMANDER),
        "official": person("kpu", kpu, Role.FACILITY_OFFICIAL),
        "admin": person("admin", polres, Role.ADMINISTRATOR),
    }
    officers = [person(f"polisi{i}", polres, Role.FIELD_OFFICER) for i in range(OFFICERS)]
    operators = [person(f"operator{i}", polres, Role.OPERATOR) for i in range(OPERATORS)]
    users["field_officer"], users["operator"] = officers[0], operators[0]

    cameras = _cameras(rnd, size, facilities, start, operation, polres, users["official"])
    counts = {"facilities": len(facilities), "cameras": len(cameras[0]) + len(cameras[1]),
              "shared": len(cameras[0])}
    counts.update(_patrols(rnd, size, facilities, start, now, operation, polres, officers))
    counts["alerts"] = _alerts(rnd, size, facilities, start, now)
    counts["view_records"] = _view_records(rnd, size, cameras, start, now, polres, kpu,
                                           [users["commander"], *operators], users["official"])
    _publish_anchors(start, now, ZoneInfo(ZONE))
    return City(start=start, now=now, zone=ZoneInfo(ZONE), operation_id=operation.pk,
                users=users, counts=counts)


def _cameras(rnd, size, facilities, start, operation, polres, official):
    """The builder's camera per facility plus the rest; the first `shared` are outward and
    shared with the Polres. Returns (shared, inward)."""
    from apps.cameras.models import Camera, CameraShare, Orientation

    extra = size["cameras"] - len(facilities)
    Camera.objects.bulk_create([
        Camera(facility=facilities[k % len(facilities)], name=f"Kamera {k}", source_kind="mjpeg",
               url=f"http://10.0.{k // 250}.{k % 250}/mjpeg") for k in range(max(0, extra))
    ], batch_size=BATCH)
    cameras = list(Camera.objects.order_by("pk"))
    shared, inward = cameras[:size["shared"]], cameras[size["shared"]:]
    Camera.objects.filter(pk__in=[c.pk for c in shared]).update(orientation=Orientation.OUTWARD)
    CameraShare.objects.bulk_create([
        CameraShare(camera=c, grantee=polres, operation=operation, basis="MoU KPU–Polri",
                    valid_from=start - timedelta(days=1), granted_by=official,
                    granted_at=start - timedelta(days=1)) for c in shared
    ], batch_size=BATCH)
    return shared, inward


def _patrols(rnd, size, facilities, start, now, operation, polres, officers) -> dict[str, int]:
    from apps.records.models import (
        Checkpoint,
        Patrol,
        PatrolEnd,
        PatrolMember,
        PatrolMode,
        PatrolVisit,
        Situation,
        VisitMethod,
    )
    from apps.records.tokens import new_code

    checkpoints = Checkpoint.objects.bulk_create([
        Checkpoint(facility=f, name=name, code=new_code())
        for f in facilities for name in CHECKPOINTS
    ], batch_size=BATCH)
    by_facility: dict[int, list] = {}
    for c in checkpoints:
        by_facility.setdefault(c.facility_id, []).append(c)

    span = (now - timedelta(hours=9) - start).total_seconds()
    patrols, routes = [], []
    for i in range(size["patrols"]):
        leader = officers[i % len(officers)]
        at = start + timedelta(seconds=span * i / size["patrols"] + rnd.randint(0, 600))
        route = [c for f in rnd.sample(facilities, min(len(facilities), 7))
                 for c in by_facility[f.pk]][: size["visits_per_patrol"]]
        routes.append(route)
        patrols.append(Patrol(
            client_key=uuid.UUID(int=rnd.getrandbits(128)), team_name=f"Tim {leader.username}",
            leader=leader, agency=polres, operation=operation,
            mode=rnd.choice(PatrolMode.values), pillars=["polri"],
            planned_checkpoints=[c.pk for c in route], started_at=at, device_time=at,
            received_at=at + timedelta(seconds=rnd.randint(1, 5))))
    patrols = _insert(Patrol, patrols)
    members, visits, ends = [], [], []
    for patrol, route in zip(patrols, routes, strict=True):
        members.append(PatrolMember(patrol=patrol, person=patrol.leader, name=patrol.leader
                                    .full_name, is_leader=True))
        members.append(PatrolMember(patrol=patrol, name="Bripda Anggota"))
        at = patrol.started_at
        for c in route:
            at += timedelta(minutes=rnd.randint(10, 30))
            delayed = rnd.random() < 0.02
            visits.append(PatrolVisit(
                client_key=uuid.UUID(int=rnd.getrandbits(128)), checkpoint=c,
                facility_id=c.facility_id, patrol=patrol, recorded_by=patrol.leader,
                recorder_agency=polres, method=VisitMethod.QR, occurred_at=at, device_time=at,
                received_at=at + (timedelta(hours=2) if delayed else timedelta(seconds=2)),
                delayed=delayed,
                situation=Situation.ISSUE if rnd.random() < 0.03 else Situation.SAFE,
                notes="" if rnd.random() < 0.9 else "Pagar sedikit rusak"))
        ended = at + timedelta(minutes=10)
        if ended < now:
            ends.append(PatrolEnd(patrol=patrol, ended_by=patrol.leader, ended_at=ended,
                                  device_time=ended, received_at=ended))
    members, visits, ends = (_insert(PatrolMember, members), _insert(PatrolVisit, visits),
                             _insert(PatrolEnd, ends))
    appended = [(p.received_at, 0, p) for p in patrols]
    appended += [(m.patrol.received_at, 1, m) for m in members]
    appended += [(v.received_at, 2, v) for v in visits]
    appended += [(e.received_at, 3, e) for e in ends]
    _append_to_chain(appended)
    return {"checkpoints": len(checkpoints), "patrols": len(patrols), "visits": len(visits),
            "chain_entries": len(appended)}


def _append_to_chain(appended: list[tuple[datetime, int, models.Model]]) -> None:
    """Chain entries for the inserted rows, in the order the application appends them (by
    the time it received each; a patrol before its members), hashed with the chain's own
    functions from the rows as read back, as `chain_append` does."""
    from apps.records.chain_links import GENESIS, content_hash, entry_hash, record_type
    from apps.records.models import ChainEntry

    stored: dict[tuple[str, int], models.Model] = {}
    for model in {type(row) for _at, _order, row in appended}:
        for row in model._base_manager.order_by("pk").iterator(chunk_size=BATCH):
            stored[(record_type(model), row.pk)] = row
    appended.sort(key=lambda item: (item[0], item[1], item[2].pk))
    entries, prev = [], GENESIS
    for seq, (at, _order, row) in enumerate(appended, start=1):
        label = record_type(row)
        digest = content_hash(stored[(label, row.pk)])
        entries.append(ChainEntry(
            seq=seq, record_type=label, record_id=row.pk, content_hash=digest, prev_hash=prev,
            created_at=at, entry_hash=entry_hash(seq=seq, record_type=label, record_id=row.pk,
                                                 content_hash=digest, prev_hash=prev,
                                                 created_at=at)))
        prev = entries[-1].entry_hash
    _insert(ChainEntry, entries)


def _publish_anchors(start: datetime, now: datetime, zone: ZoneInfo) -> None:
    """Every whole day's anchor, as the nightly task publishes it."""
    from apps.records.chain import anchor_publish

    day = start.astimezone(zone).date()
    while (day_end := datetime.combine(day + timedelta(days=1), clock(0), tzinfo=zone)) <= now:
        anchor_publish(day=day, day_end=day_end)
        day += timedelta(days=1)


def _alerts(rnd, size, facilities, start, now) -> int:
    from apps.alerts.models import Alert, AlertEvent
    from apps.cameras.models import Camera

    cameras: dict[int, list[int]] = {}
    for pk, facility_id in Camera.objects.values_list("pk", "facility_id"):
        cameras.setdefault(facility_id, []).append(pk)
    kinds = (Alert.Kind.CAMERA_OFFLINE, Alert.Kind.MOTION, Alert.Kind.MISSED_CHECK_IN,
             Alert.Kind.PATROL_OVERDUE, Alert.Kind.POST_UNDERSTAFFED, Alert.Kind.TAMPER)
    span = (now - start).total_seconds()
    alerts = []
    for i in range(size["alerts"]):
        f = facilities[i % len(facilities)]
        kind = kinds[i % len(kinds)]
        camera = (rnd.choice(cameras[f.pk]) if kind in (
            Alert.Kind.CAMERA_OFFLINE, Alert.Kind.MOTION, Alert.Kind.TAMPER) else None)
        at = start + timedelta(seconds=rnd.uniform(0, span))
        roll = rnd.random()
        state = (Alert.State.OPEN if roll < 0.02 else Alert.State.ACKNOWLEDGED if roll < 0.05
                 else Alert.State.RESOLVED)
        alerts.append(Alert(
            kind=kind, severity=rnd.choice(Alert.Severity.values), facility=f,
            camera_id=camera, title=f"{kind} {f.name}", dedup_key=f"bench:{kind}:{i}",
            state=state, first_raised_at=at, last_raised_at=at,
            resolved_at=at + timedelta(minutes=30) if state == Alert.State.RESOLVED else None,
            last_seq=i + 1))
    alerts = Alert.objects.bulk_create(alerts, batch_size=BATCH)
    AlertEvent.objects.bulk_create([
        AlertEvent(alert=a, action=AlertEvent.Action.RAISED, at=a.first_raised_at)
        for a in alerts
    ], batch_size=BATCH)
    return len(alerts)


def _view_records(rnd, size, cameras, start, now, polres, kpu, viewers, official) -> int:
    """Nine in ten by the Polres on the shared cameras, the rest by the owner on any."""
    from apps.cameras.models import ViewRecord

    shared, inward = cameras
    every = shared + inward
    span = (now - start).total_seconds()
    kinds = (ViewRecord.Kind.LIVE, ViewRecord.Kind.LIVE, ViewRecord.Kind.SNAPSHOT,
             ViewRecord.Kind.TIMELINE)
    total = size["view_records"]
    for first in range(0, total, BATCH * 2):
        rows = []
        for _ in range(min(BATCH * 2, total - first)):
            at = start + timedelta(seconds=rnd.uniform(0, span))
            kind = rnd.choice(kinds)
            if rnd.random() < 0.9:
                camera, viewer, agency = rnd.choice(shared), rnd.choice(viewers), polres
            else:
                camera, viewer, agency = rnd.choice(every), official, kpu
            rows.append(ViewRecord(
                camera=camera, viewer=viewer, viewer_agency=agency, kind=kind, started_at=at,
                ended_at=at + timedelta(seconds=rnd.randint(20, 1800))
                if kind == ViewRecord.Kind.LIVE else None,
                address="10.20.0.7", user_agent="Mozilla/5.0 (bench)"))
        ViewRecord.objects.bulk_create(rows, batch_size=BATCH)
    return total
