"""Demo field records (apps.records): checkpoints at every demo facility, a patrol with two
visits in Kota Karangsari, a joint warehouse check signed by the three pillars and the KPU,
and one incident report.

Idempotent: checkpoints are found by name, and every record carries a fixed idempotency key
(a resend of the same entry returns the first record), so running the builder again adds
nothing. The records go through the same services as the field pages, hash chain included."""

from __future__ import annotations

import contextlib
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError

from apps.accounts.models import User
from apps.places.models import Facility
from apps.records import tokens
from apps.records.models import Checkpoint, CheckSignature, Criterion, Situation
from apps.records.services import checks, incidents, patrols

_NAMESPACE = uuid.UUID("5a0b7c1e-6f4d-4b8e-9a53-0c2d9e7f1a60")
# (facility kind, checkpoint names)
CHECKPOINTS = {
    Facility.Kind.KPU_OFFICE: ("Gerbang utama", "Pojok pagar belakang"),
    Facility.Kind.BAWASLU_OFFICE: ("Gerbang utama", "Halaman parkir"),
    Facility.Kind.KPU_WAREHOUSE: ("Gerbang gudang", "Pintu gudang utama", "Sisi belakang gudang"),
}
# Fictional positions for Kota Karangsari, so the compliance page can measure distances.
KARANGSARI_POSITIONS = {
    "Kantor KPU Kota Karangsari": (Decimal("-8.098000"), Decimal("112.165000")),
    "Kantor Bawaslu Kota Karangsari": (Decimal("-8.104500"), Decimal("112.171200")),
    "Gudang Logistik KPU Kota Karangsari": (Decimal("-8.121300"), Decimal("112.190400")),
}


def _key(name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, name)


def _checkpoints() -> None:
    for facility in Facility.objects.filter(kind__in=list(CHECKPOINTS)):
        base = KARANGSARI_POSITIONS.get(facility.name)
        for index, name in enumerate(CHECKPOINTS[facility.kind]):
            if Checkpoint.objects.filter(facility=facility, name=name).exists():
                continue
            lat = lon = None
            if base is not None:  # a few tens of metres apart around the facility
                lat = base[0] + Decimal("0.000300") * index
                lon = base[1] + Decimal("0.000200") * index
            Checkpoint.objects.create(facility=facility, name=name, code=tokens.new_code(),
                                      latitude=lat, longitude=lon)


def build_demo_records() -> None:
    _checkpoints()
    users = {u.username: u for u in User.objects.filter(username__endswith=".karangsari")}
    if not {"padal.karangsari", "polisi.karangsari", "tni.karangsari", "satpol.karangsari",
            "kpu.karangsari"} <= set(users):
        return
    office = Facility.objects.get(name="Kantor KPU Kota Karangsari")
    bawaslu = Facility.objects.get(name="Kantor Bawaslu Kota Karangsari")
    warehouse = Facility.objects.get(name="Gudang Logistik KPU Kota Karangsari")
    operation = office.operations.order_by("-starts_on").first()

    padal = users["padal.karangsari"]
    patrol = patrols.patrol_start(
        user=padal, client_key=_key("patrol:samapta"), team_name="Patroli Samapta Polres",
        mode="motorcycle", member_names=["Brigpol Dimas Prakoso", "Bripda Ayu Lestari",
                                         "Serda Yohanes Tumbelaka (Kodim)",
                                         "Rudi Hartono (Satpol PP)"],
        pillars=["tni", "pemda"], operation=operation,
        planned=list(Checkpoint.objects.filter(facility__in=[office, bawaslu])),
    ).record
    for facility, name, notes in (
        (office, "Gerbang utama", "Situasi aman dan kondusif."),
        (bawaslu, "Gerbang utama", "Aman. Penjaga pos di tempat."),
    ):
        checkpoint = Checkpoint.objects.get(facility=facility, name=name)
        patrols.patrol_visit_record(user=padal, entry=patrols.VisitInput(
            client_key=_key(f"visit:{facility.pk}:{name}"),
            token=tokens.checkpoint_token(checkpoint), patrol_id=patrol.pk,
            situation=Situation.SAFE, notes=notes))

    check = checks.warehouse_check_record(
        user=users["tni.karangsari"], facility=warehouse, entry=checks.CheckInput(
            client_key=_key("check:karangsari"), operation_id=operation.pk if operation else None,
            items=[
                checks.ItemInput(kind="ballot_papers", expected_qty=412_500,
                                 counted_qty=412_500, note="Surat suara pemilihan walikota"),
                checks.ItemInput(kind="ballot_boxes", expected_qty=1650, counted_qty=1650,
                                 seal_numbers="KPU-KRS-0001 s.d. KPU-KRS-1650",
                                 seal_intact=True),
                checks.ItemInput(kind="voting_booths", expected_qty=3300, counted_qty=3300),
                checks.ItemInput(kind="ink", expected_qty=3300, counted_qty=3300),
                checks.ItemInput(kind="forms", expected_qty=825, counted_qty=825),
            ],
            criteria={key: {"ok": True, "note": ""} for key in Criterion.values},
            notes="Pengecekan bersama tiga pilar bersama Sekretariat KPU."),
    ).record
    signed = set(CheckSignature.objects.filter(check_record=check)
                 .values_list("pillar", flat=True))
    for username, pillar in (("polisi.karangsari", "polri"), ("tni.karangsari", "tni"),
                             ("satpol.karangsari", "pemda"), ("kpu.karangsari", "kpu")):
        if pillar not in signed:
            with contextlib.suppress(ValidationError):  # signed meanwhile: nothing to add
                checks.check_sign(check=check, user=users[username])

    incidents.incident_report(
        user=users["polisi.karangsari"], facility=office, entry=incidents.IncidentInput(
            client_key=_key("incident:aspirasi"), category="crowd",
            description="Sekitar 30 orang berkumpul di depan kantor KPU menyampaikan "
                        "aspirasi. Berjalan tertib, situasi kondusif.",
            location_detail="Depan gerbang utama"))
