"""The history's joint warehouse checks and incidents (see apps.demo.history).

- Every warehouse is checked jointly every three days by the three pillars and the KPU, all
  four signing; one check found four damaged voting booths (a discrepancy alert, resolved).
- Incidents in every state of the workflow: a demonstration, a suspicious package and a
  verified public tip (closed), graffiti on a fence (handled), a power cut that took a
  warehouse camera down (acknowledged; the camera's outage is in apps.demo.camera_history)
  and a report made 50 minutes ago (new).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from apps.alerts.models import Alert
from apps.alerts.services import alert_acknowledge, alert_resolve
from apps.demo.history import City, Event, history_days, key
from apps.places.models import Facility
from apps.records.models import (
    CheckSignature,
    Criterion,
    Incident,
    IncidentAlertLink,
    IncidentStep,
    Source,
    Step,
    WarehouseCheck,
)
from apps.records.services import checks, incidents

CHECK_EVERY_DAYS = 3
# Quantities per warehouse: (ballot papers, boxes, booths, ink, forms).
STOCK = {
    "karangsari": (412_500, 1650, 3300, 3300, 825),
    "telukmutiara": (96_800, 440, 880, 880, 220),
}
DAMAGED_BOOTHS = ("karangsari", 7, 4)  # (city, days back, booths found damaged)
SIGNERS = (("polisi", "polri"), ("tni", "tni"), ("satpol", "pemda"), ("kpu", "kpu"))


def check_events(city: City, now: datetime) -> list[Event]:
    warehouses = [f for f in city.facilities if f.kind == Facility.Kind.KPU_WAREHOUSE]
    if not warehouses or city.slug not in STOCK or not {"tni", "kpu"} <= set(city.users):
        return []
    warehouse = warehouses[0]
    days = history_days(city, now)
    stored = {c.client_key: c for c in WarehouseCheck.objects.filter(facility=warehouse)
              .prefetch_related("signatures")}
    events = []
    for back in range(len(days) - 2, 0, -CHECK_EVERY_DAYS):
        day = days[-1 - back]
        at = datetime.combine(day, time(10, 5 + back), tzinfo=city.zone)
        check_key = key("check", city.slug, day)
        existing = stored.get(check_key)
        if existing is None:
            events.append(Event(at, 4, _check_call(city, warehouse, check_key, back, at)))
        signed = {s.pillar for s in existing.signatures.all()} if existing else set()
        for n, (prefix, pillar) in enumerate(SIGNERS):
            sign_at = at + timedelta(minutes=20 + 7 * n)
            if pillar not in signed and prefix in city.users and sign_at <= now:
                events.append(Event(sign_at, 5, _sign_call(city.users[prefix], pillar,
                                                           check_key, sign_at)))
        damaged = DAMAGED_BOOTHS[2] if (city.slug, back) == DAMAGED_BOOTHS[:2] else 0
        if damaged and existing is None:
            events.append(Event(at + timedelta(hours=20), 6, _resolve_call(
                city, f"Berita acara kerusakan {damaged} bilik suara diterima Sekretariat "
                      "KPU; bilik pengganti sudah dikirim dan dicek.")))
    return events


def _check_call(city: City, warehouse: Facility, check_key, back: int, at: datetime):
    papers, boxes, booths, ink, forms = STOCK[city.slug]
    damaged = DAMAGED_BOOTHS[2] if (city.slug, back) == DAMAGED_BOOTHS[:2] else 0
    code = city.slug[:3].upper()

    def run() -> None:
        operation = warehouse.operations.order_by("-starts_on").first()
        items = [
            checks.ItemInput(kind="ballot_papers", expected_qty=papers, counted_qty=papers,
                             note="Surat suara pemilihan walikota"),
            checks.ItemInput(kind="ballot_boxes", expected_qty=boxes, counted_qty=boxes,
                             seal_numbers=f"KPU-{code}-0001 s.d. KPU-{code}-{boxes:04d}",
                             seal_intact=True),
            checks.ItemInput(
                kind="voting_booths", expected_qty=booths, counted_qty=booths - damaged,
                note=(f"{damaged} bilik rusak (penyok) saat bongkar muat, dipisahkan; berita "
                      "acara dibuat." if damaged else "")),
            checks.ItemInput(kind="ink", expected_qty=ink, counted_qty=ink),
            checks.ItemInput(kind="forms", expected_qty=forms, counted_qty=forms),
        ]
        checks.warehouse_check_record(
            user=city.users["tni"], facility=warehouse, now=at, entry=checks.CheckInput(
                client_key=check_key, operation_id=operation.pk if operation else None,
                items=items, criteria={c: {"ok": True, "note": ""} for c in Criterion.values},
                notes="Pengecekan bersama tiga pilar bersama Sekretariat KPU."))
    return run


def _sign_call(user, pillar: str, check_key, at: datetime):
    def run() -> None:
        check = WarehouseCheck.objects.get(client_key=check_key)
        if not CheckSignature.objects.filter(check_record=check, pillar=pillar).exists():
            checks.check_sign(check=check, user=user, now=at)
    return run


def _resolve_call(city: City, comment: str):
    def run() -> None:
        for alert in Alert.objects.filter(kind=Alert.Kind.LOGISTICS_DISCREPANCY,
                                          facility__in=city.facilities).exclude(
                state=Alert.State.RESOLVED):
            alert_resolve(alert=alert, user=city.users["operator"], comment=comment)
    return run


# --- incidents -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    city: str
    kind: str  # facility kind
    back: int  # days before today (0: today, at `minutes` before now)
    at: time | int
    category: str
    reporter: str  # username prefix, or "" for a public tip
    description: str
    where: str
    steps: tuple[tuple[str, int, str], ...]  # (step, minutes after the report, comment)


STORIES = (
    Story("karangsari", Facility.Kind.KPU_OFFICE, 12, time(15, 40), "crowd", "polisi",
          "Sekitar 30 orang berkumpul di depan kantor KPU menyampaikan aspirasi. Berjalan "
          "tertib, situasi kondusif.", "Depan gerbang utama",
          ((Step.ACKNOWLEDGED, 5, "Diterima Posko; Padal menuju lokasi."),
           (Step.HANDLED, 50, "Perwakilan massa diterima Sekretaris KPU; massa bubar tertib "
                              "pukul 16.35."),
           (Step.CLOSED, 140, "Selesai, tidak ada kerusakan. Dokumentasi di berkas Posko."))),
    Story("karangsari", Facility.Kind.KPU_WAREHOUSE, 9, time(23, 10), "suspicious_object",
          "tni", "Ditemukan bungkusan berisi bunga dan sesajen di depan gerbang gudang. Area "
          "disterilkan, Tim Jibom Polres dihubungi.", "Depan gerbang gudang",
          ((Step.ACKNOWLEDGED, 4, "Posko meneruskan ke Tim Jibom dan Piket Reskrim."),
           (Step.HANDLED, 95, "Tim Jibom memeriksa: bukan bahan peledak. Barang diamankan "
                              "sebagai barang bukti; rekaman kamera gerbang diserahkan ke "
                              "Satreskrim."),
           (Step.CLOSED, 660, "Penyelidikan dilanjutkan Satreskrim; jaga malam gudang "
                              "ditambah satu personel."))),
    Story("tanjungwangi", Facility.Kind.KPU_OFFICE, 5, time(6, 20), "vandalism", "polisi",
          "Coretan cat semprot di pagar samping kantor KPU, ditemukan saat pergantian regu "
          "pagi.", "Pagar samping timur",
          ((Step.ACKNOWLEDGED, 10, "Diterima Posko; rekaman kamera malam diperiksa."),
           (Step.HANDLED, 190, "Coretan difoto lalu dicat ulang oleh Satpol PP. Rekaman "
                               "kamera depan tidak menjangkau pagar samping."))),
    Story("telukmutiara", Facility.Kind.KPU_WAREHOUSE, 2, time(1, 40), "other", "polisi",
          "Listrik padam (pemadaman PLN) di sekitar gudang. Genset hanya untuk lampu jaga; "
          "kamera gerbang gudang mati sampai listrik pulih.", "Gudang dan pos jaga",
          ((Step.ACKNOWLEDGED, 15, "Posko menghubungi PLN ULP setempat; patroli melewati "
                                   "gudang tiap jam selama kamera mati."),)),
    Story("karangsari", Facility.Kind.BAWASLU_OFFICE, 1, time(20, 15), "other", "",
          "Ada mobil tanpa pelat parkir lama di depan kantor Bawaslu, penumpangnya memotret "
          "gedung.", "Seberang kantor Bawaslu",
          ((Step.VERIFIED, 25, "Dicek patroli: mobil milik wartawan media lokal yang "
                               "meliput persiapan pemilihan."),
           (Step.ACKNOWLEDGED, 27, "Diterima Posko."),
           (Step.HANDLED, 35, "Identitas wartawan dicatat; diminta tidak memotret area "
                              "penyimpanan dokumen. Mobil sudah pergi."),
           (Step.CLOSED, 60, "Tidak ada ancaman."))),
    Story("karangsari", Facility.Kind.KPU_OFFICE, 0, 50, "other", "satpol",
          "Seorang warga memaksa masuk untuk menanyakan data pemilih di luar jam layanan; "
          "sudah ditenangkan dan diarahkan kembali besok pagi ke layanan informasi KPU.",
          "Pos jaga gerbang", ()),
)


def incident_events(cities: list[City], now: datetime) -> list[Event]:
    by_slug = {c.slug: c for c in cities}
    events = []
    for number, story in enumerate(STORIES):
        city = by_slug.get(story.city)
        facility = next((f for f in city.facilities if f.kind == story.kind), None) if (
            city) else None
        if facility is None or (story.reporter and story.reporter not in city.users):
            continue
        today = history_days(city, now)[-1]
        if isinstance(story.at, int):
            at = (now - timedelta(minutes=story.at)).replace(second=0, microsecond=0)
            day = today
        else:
            day = today - timedelta(days=story.back)
            at = datetime.combine(day, story.at, tzinfo=city.zone)
        incident_key = key("incident", story.city, day, number)
        existing = _find(story, facility, incident_key, at)
        if existing is None:
            events.append(Event(at, 7, _report_call(story, city, facility, incident_key, at)))
        done = set(existing.steps.values_list("step", flat=True)) if existing else set()
        for step, minutes, comment in story.steps:
            step_at = at + timedelta(minutes=minutes)
            if step not in done and step_at <= now:
                events.append(Event(step_at, 8, _step_call(story, city, facility,
                                                           incident_key, at, step, comment,
                                                           step_at)))
    return events


def _find(story: Story, facility: Facility, incident_key, at: datetime) -> Incident | None:
    if story.reporter:
        return Incident.objects.filter(client_key=incident_key).first()
    # A public tip has no client key of the demo's: it is found by place and time.
    return Incident.objects.filter(facility=facility, source=Source.PUBLIC_TIP,
                                   occurred_at=at).first()


def _report_call(story: Story, city: City, facility: Facility, incident_key, at: datetime):
    def run() -> None:
        if not story.reporter:
            incidents.tip_submit(facility=facility, category=story.category,
                                 description=story.description,
                                 location_detail=story.where, now=at)
            return
        incidents.incident_report(
            user=city.users[story.reporter], facility=facility, now=at,
            entry=incidents.IncidentInput(client_key=incident_key, category=story.category,
                                          description=story.description,
                                          location_detail=story.where))
    return run


def _step_call(story: Story, city: City, facility: Facility, incident_key, reported_at,
               step: str, comment: str, at: datetime):
    def run() -> None:
        incident = _find(story, facility, incident_key, reported_at)
        if IncidentStep.objects.filter(incident=incident, step=step).exists():
            return
        operator = city.users["operator"]
        incidents.incident_step(incident=incident, user=operator, step=step, comment=comment,
                                now=at)
        for link in IncidentAlertLink.objects.filter(incident=incident).select_related("alert"):
            if step == Step.ACKNOWLEDGED:
                alert_acknowledge(alert=link.alert, user=operator, comment=comment)
            elif step in (Step.CLOSED, Step.VERIFIED):
                alert_resolve(alert=link.alert, user=operator, comment=comment)
    return run
