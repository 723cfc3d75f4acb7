"""Record objects for the URL matrix (tests/access/test_url_matrix.py), made once per world:
everything in city A, so city B's operator sees none of it."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from django.core.files.base import ContentFile

from apps.cameras.models import TimelineFrame
from apps.core.photos import photos_normalise
from apps.records.models import Criterion, IncidentEvidence
from apps.records.services import checks, incidents, patrols
from tests.records.conftest import jpeg_bytes, make_checkpoint, upload, visit


def records_objects(world) -> SimpleNamespace:
    cached = getattr(world, "_records", None)
    if cached is not None:
        return cached
    a = world.a
    gate = make_checkpoint(a.facilities["kpu_office"], "Gerbang utama")
    visit_ = patrols.patrol_visit_record(
        user=a.users["field_polri"], entry=visit(gate),
        photos=photos_normalise([upload(jpeg_bytes())])).record
    patrol = patrols.patrol_start(user=a.users["padal"], client_key=uuid.uuid4(),
                                  team_name="Patroli Samapta", mode="car", member_names=[],
                                  pillars=[], planned=[gate]).record
    patrols.patrol_visit_record(user=a.users["padal"], entry=visit(gate, patrol_id=patrol.pk))
    check = checks.warehouse_check_record(
        user=a.users["field_tni"], facility=a.facilities["warehouse"],
        entry=checks.CheckInput(client_key=uuid.uuid4(), items=[checks.ItemInput(
            kind="ink", expected_qty=1, counted_qty=1)],
            criteria={k: {"ok": True} for k in Criterion.values})).record
    incident = incidents.incident_report(
        user=a.users["field_tni"], facility=a.facilities["warehouse"],
        entry=incidents.IncidentInput(client_key=uuid.uuid4(), category="intrusion",
                                      description="Pagar gudang dipanjat")).record
    frame = TimelineFrame(camera=world.a_camera, taken_at=incident.occurred_at)
    frame.image.save("t.jpg", ContentFile(jpeg_bytes()), save=True)
    evidence = incidents.incident_attach_evidence(
        incident=incident, user=a.users["operator"], frames=[("timeline", frame.pk)])[0]
    frame2 = TimelineFrame(camera=world.a_camera, taken_at=incident.occurred_at)
    frame2.image.save("t2.jpg", ContentFile(jpeg_bytes()), save=True)
    world._records = SimpleNamespace(
        checkpoint=gate, visit=visit_, photo=visit_.photos.get(), patrol=patrol, check=check,
        incident=incident, evidence=evidence, frame=frame2,
    )
    assert isinstance(evidence, IncidentEvidence)
    return world._records
