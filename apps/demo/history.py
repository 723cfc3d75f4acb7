"""Two weeks of a running operation, replayed up to now through the application's services.

Every field record of the history (patrols and their visits, joint warehouse checks,
incidents and their workflow steps) is made by the same service call the field pages make,
in time order, with the replay clock (apps.demo.clock) at the entry's moment; the chain head
is anchored at every midnight as the scheduler does. So the hash chain verifies, each daily
report prints a real anchor, and every page shows what a running operation looks like:

- patrols: every city's team goes out three times a day for about eight hours and goes
  round its facilities about every 2 h 40 min, day and night, so each facility is visited
  within its 3-hour interval, except a few real misses (see `MISSES`), each of which
  raised a "patrol overdue" alert that the operator resolved; one patrol scanned a label
  twice (a rapid rescan) and one found a broken floodlight;
- warehouse checks, incidents and camera uptime: apps.demo.field_history and
  apps.demo.camera_history.

Idempotent and resumable: each entry has a key derived from its place in the schedule (city,
local date, round, checkpoint), entries already stored are skipped, and a later run appends
only what happened since (the schedule is anchored to local calendar days, not to `now`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from apps.accounts.models import Role, RoleAssignment, User
from apps.alerts.models import Alert
from apps.alerts.services import alert_resolve
from apps.demo.cities import CITIES
from apps.demo.clock import replaying
from apps.places.models import Facility
from apps.records import tokens
from apps.records.models import Checkpoint, Patrol, PatrolEnd, PatrolVisit, Situation
from apps.records.services import compliance, patrols

HISTORY_DAYS = 14
NAMESPACE = uuid.UUID("8d3c2f4e-1b7a-4c59-9e06-2a4f6b1d7c93")
ROUND_EVERY = timedelta(minutes=160)  # nine rounds a day, within the 3-hour interval
ROUNDS_PER_DAY = 9
ROUNDS_PER_PATROL = 3  # a patrol goes out for about eight hours
ROUTE_ORDER = (Facility.Kind.KPU_OFFICE, Facility.Kind.BAWASLU_OFFICE,
               Facility.Kind.KPU_WAREHOUSE)
TRAVEL = timedelta(minutes=9)  # between two facilities of a city, by motorcycle
AT_CHECKPOINT = timedelta(minutes=4)

# (city slug, days before today, round, facility kinds not visited, why): the misses.
MISSES = (
    ("karangsari", 4, 1, (Facility.Kind.KPU_WAREHOUSE,),
     "Tim tidak sampai ke gudang: dialihkan ke kecelakaan lalu lintas di Jl. Raya "
     "Tanjungsari, membantu evakuasi dan pengaturan arus."),
    ("tanjungwangi", 7, 8, (Facility.Kind.KPU_OFFICE, Facility.Kind.BAWASLU_OFFICE),
     "Patroli ditunda: hujan deras dan genangan di Jl. Pelabuhan."),
    ("telukmutiara", 10, 2, (Facility.Kind.KPU_OFFICE,),
     "Motor patroli mogok di Jl. Bandara Lama; kantor KPU tidak terjangkau putaran ini."),
)
RAPID_RESCAN = ("karangsari", 2, 4)  # the leader scanned the KPU gate twice
FLOODLIGHT = ("karangsari", 6, 7)  # a broken floodlight found at the warehouse
TEAMS = {
    "karangsari": ("Brigpol Dimas Prakoso", "Bripda Ayu Lestari",
                   "Serda Yohanes Tumbelaka (Kodim)", "Rudi Hartono (Satpol PP)"),
    "tanjungwangi": ("Briptu Andi Mappanyukki", "Bripda Nurul Fadillah",
                     "Praka Syamsul Bahri (Kodim)", "Hasanuddin (Satpol PP)"),
    "telukmutiara": ("Brigpol Yosias Wenda", "Bripda Melinda Rumbewas",
                     "Serda Markus Kambuaya (Kodim)", "Agustinus Mayor (Satpol PP)"),
}
PATROL_LEADERS = {"karangsari": ("Aipda", "Bambang Sutrisno"),
                  "tanjungwangi": ("Aipda", "Muhammad Arsyad"),
                  "telukmutiara": ("Aipda", "Yakobus Kambuaya")}
SAFE_NOTES = ("Situasi aman dan kondusif.", "Aman. Penjaga pos di tempat.",
              "Aman, gerbang terkunci.", "Aman terkendali.", "Kondusif, lampu pagar menyala.")


def key(*parts) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts))


def spread(text: str, count: int) -> int:
    """A number in 0..count-1 that depends only on `text`: the same history every run."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % count


@dataclass(order=True)
class Event:
    at: datetime
    order: int
    run: Callable[[], None] = field(compare=False)


@dataclass
class City:
    slug: str
    name: str
    facilities: list[Facility]  # in route order
    checkpoints: dict[int, list[Checkpoint]]
    users: dict[str, User]

    @property
    def zone(self):
        return self.facilities[0].zoneinfo


def load_cities() -> list[City]:
    cities = []
    for spec in CITIES:
        facilities = sorted(
            Facility.objects.select_related("region").filter(region__parent__name=spec.city),
            key=lambda f: ROUTE_ORDER.index(f.kind) if f.kind in ROUTE_ORDER else 9)
        users = {u.username.split(".")[0]: u for u in User.objects.select_related("agency")
                 .filter(username__endswith=f".{spec.slug}")}
        checkpoints: dict[int, list[Checkpoint]] = {f.pk: [] for f in facilities}
        for checkpoint in Checkpoint.objects.filter(facility__in=facilities, active=True
                                                    ).order_by("pk"):
            checkpoints[checkpoint.facility_id].append(checkpoint)
        if facilities and {"padal", "polisi", "operator"} <= set(users):
            users["leader"] = _patrol_leader(spec.slug, users["polisi"].agency)
            cities.append(City(spec.slug, spec.city, facilities, checkpoints, users))
    return cities


def _patrol_leader(slug: str, polres) -> User:
    """The Sat Samapta officer who leads the day patrols (the Padal leads the night one):
    roster personnel, who never log in."""
    username = f"personel.{slug}.patroli"
    user = User.objects.select_related("agency").filter(username=username).first()
    if user is None:
        rank, name = PATROL_LEADERS[slug]
        user = User.objects.create(username=username, full_name=name, rank=rank,
                                   agency=polres, password=make_password(None))
        RoleAssignment.objects.create(user=user, role=Role.FIELD_OFFICER)
    return user


def history_days(city: City, now: datetime) -> list[date]:
    today = timezone.localtime(now, city.zone).date()
    return [today - timedelta(days=back) for back in range(HISTORY_DAYS, -1, -1)]


# --- patrols ---------------------------------------------------------------------------------


@dataclass
class PatrolState:
    """What is stored already, read once: the replay skips it."""

    patrols: dict[uuid.UUID, Patrol]
    visits: set[uuid.UUID]
    ended: set[int]
    alert_keys: set[str]

    @classmethod
    def load(cls, since: datetime) -> PatrolState:
        return cls(
            patrols={p.client_key: p for p in Patrol.objects.select_related("leader__agency")
                     .filter(started_at__gte=since)},
            visits=set(PatrolVisit.objects.filter(occurred_at__gte=since)
                       .values_list("client_key", flat=True)),
            ended=set(PatrolEnd.objects.filter(patrol__started_at__gte=since)
                      .values_list("patrol_id", flat=True)),
            alert_keys=set(Alert.objects.filter(first_raised_at__gte=since)
                           .values_list("dedup_key", flat=True)),
        )


def _round_start(city: City, day: date, number: int) -> datetime:
    midnight = datetime.combine(day, time(0), tzinfo=city.zone)
    jitter = spread(f"{city.slug}:{day}:{number}", 11)
    return midnight + ROUND_EVERY * number + timedelta(minutes=jitter)


def _miss(city: City, back: int, number: int) -> tuple[tuple[str, ...], str]:
    for slug, days, round_number, kinds, why in MISSES:
        if (slug, days, round_number) == (city.slug, back, number):
            return kinds, why
    return (), ""


def patrol_events(city: City, now: datetime, state: PatrolState) -> list[Event]:
    events: list[Event] = []
    days = history_days(city, now)
    today = days[-1]
    for day in days:
        back = (today - day).days
        for number in range(ROUNDS_PER_DAY):
            start = _round_start(city, day, number)
            first = _round_start(city, day, number - number % ROUNDS_PER_PATROL)
            if start > now or first < now - timedelta(days=HISTORY_DAYS):
                continue
            skipped, why = _miss(city, back, number)
            events.extend(_round(city, day, back, number, start, skipped, why, now, state))
    return events


def _stops(city: City, number: int, skipped: tuple[str, ...] = ()
           ) -> list[tuple[Facility, Checkpoint]]:
    """One checkpoint of each facility per round, in turn: every label is scanned each day."""
    return [(f, city.checkpoints[f.pk][number % len(city.checkpoints[f.pk])])
            for f in city.facilities if f.kind not in skipped and city.checkpoints[f.pk]]


def _round(city: City, day: date, back: int, number: int, start: datetime,
           skipped: tuple[str, ...], why: str, now: datetime, state: PatrolState
           ) -> list[Event]:
    """One round of a patrol. A patrol goes out for a shift of ROUNDS_PER_PATROL rounds: it
    starts with the first round and ends after the last."""
    events: list[Event] = []
    for facility in city.facilities:
        if facility.kind in skipped:
            events.extend(_overdue_and_resolution(city, facility, start, why, now, state))
    block, place = divmod(number, ROUNDS_PER_PATROL)
    leader = city.users["padal" if block == 0 else "leader"]
    patrol_key = key("patrol-shift", city.slug, day, block)
    stops = _stops(city, number, skipped)
    if place == 0 and patrol_key not in state.patrols:
        planned = [c for n in range(number, number + ROUNDS_PER_PATROL)
                   for _f, c in _stops(city, n)]
        events.append(Event(start, 0, lambda: _start(city, leader, patrol_key, planned,
                                                     start, state)))
    at = start + timedelta(minutes=5)
    for facility, checkpoint in stops:
        visit_key = key("visit", city.slug, day, number, checkpoint.pk)
        if at <= now and visit_key not in state.visits:
            notes, situation = _visit_notes(city, back, number, facility)
            events.append(Event(at, 1, _visit_call(patrol_key, visit_key, checkpoint, notes,
                                                   situation, at, state)))
        if (city.slug, back, number) == RAPID_RESCAN and facility.kind == ROUTE_ORDER[0]:
            again = at + timedelta(seconds=25)
            rescan_key = key("rescan", city.slug, day, number)
            if again <= now and rescan_key not in state.visits:
                events.append(Event(again, 1, _visit_call(
                    patrol_key, rescan_key, checkpoint, "Aman.", Situation.SAFE, again, state)))
        at += AT_CHECKPOINT + TRAVEL
    existing = state.patrols.get(patrol_key)
    if place == ROUNDS_PER_PATROL - 1 and at <= now and (
            existing is None or existing.pk not in state.ended):
        note = " ".join(why for *_x, why in (
            _miss(city, back, n) for n in range(number - place, number + 1)) if why)
        events.append(Event(at, 2, lambda: _end(patrol_key, note, at, state)))
    if (city.slug, back, number) == FLOODLIGHT and start + timedelta(days=1) <= now:
        events.append(Event(start + timedelta(days=1), 3, lambda: _resolve_issues(
            city, "Lampu sorot sisi timur sudah diganti Sekretariat KPU, dicek patroli.")))
    return events


def _resolve_issues(city: City, comment: str) -> None:
    for alert in Alert.objects.filter(dedup_key__startswith="records:visit-issue:",
                                      facility__in=city.facilities).exclude(
            state=Alert.State.RESOLVED):
        alert_resolve(alert=alert, user=city.users["operator"], comment=comment)


def _visit_notes(city: City, back: int, number: int, facility: Facility) -> tuple[str, str]:
    if (city.slug, back, number) == FLOODLIGHT and facility.kind == Facility.Kind.KPU_WAREHOUSE:
        return ("Lampu sorot sisi timur gudang mati, area belakang gelap. Sudah dilaporkan "
                "ke sekretariat KPU.", Situation.ISSUE)
    notes = SAFE_NOTES[(back * 7 + number * 3 + facility.pk) % len(SAFE_NOTES)]
    return notes, Situation.SAFE


def _start(city: City, leader: User, patrol_key: uuid.UUID, planned: list[Checkpoint],
           at: datetime, state: PatrolState) -> None:
    operation = city.facilities[0].operations.order_by("-starts_on").first()
    state.patrols[patrol_key] = patrols.patrol_start(
        user=leader, client_key=patrol_key, team_name=f"Patroli Samapta Polres "
        f"{city.name.removeprefix('Kota ')}", mode="motorcycle",
        member_names=list(TEAMS[city.slug]), pillars=["tni", "pemda"], operation=operation,
        planned=planned, now=at,
    ).record


def _visit_call(patrol_key: uuid.UUID, visit_key: uuid.UUID,
                checkpoint: Checkpoint, notes: str, situation: str, at: datetime,
                state: PatrolState) -> Callable[[], None]:
    def run() -> None:
        patrol = state.patrols[patrol_key]  # its leader records the visit
        jitter = (spread(str(visit_key), 121) - 60) / 1_000_000  # GPS scatter, up to 7 m
        patrols.patrol_visit_record(user=patrol.leader, now=at, entry=patrols.VisitInput(
            client_key=visit_key, token=tokens.checkpoint_token(checkpoint),
            patrol_id=patrol.pk, situation=situation, notes=notes,
            latitude=_near(checkpoint.latitude, jitter),
            longitude=_near(checkpoint.longitude, -jitter), accuracy_m=8 + int(abs(jitter) * 1e5),
        ))
    return run


def _near(value: Decimal | None, offset: float) -> Decimal | None:
    return None if value is None else (value + Decimal(f"{offset:.6f}"))


def _end(patrol_key: uuid.UUID, why: str, at: datetime, state: PatrolState) -> None:
    patrol = state.patrols[patrol_key]
    patrols.patrol_end(patrol=patrol, user=patrol.leader, now=at,
                       note=why or "Patroli selesai, seluruh titik aman.")


def _overdue_and_resolution(city: City, facility: Facility, start: datetime, why: str,
                            now: datetime, state: PatrolState) -> list[Event]:
    """The scheduler's overdue check a few minutes after the deadline passed, and the
    operator resolving the alert once the next round has been there."""
    # The previous round was here at most 1 h 51 min before this round's start (jitter and
    # route order included), so its 3 h interval and grace ran out by 1 h 24 min after it:
    # the check 2 h after the start raises the alert, before the next round arrives.
    raised_at = start + timedelta(hours=2)
    resolved_at = start + ROUND_EVERY + timedelta(minutes=45)
    if resolved_at > now:
        return []
    prefix = f"records:patrol-overdue:{facility.pk}:"
    if any(k.startswith(prefix) and _raised_near(k, prefix, raised_at) for k in state.alert_keys):
        return []
    operator = city.users["operator"]

    def raise_alert() -> None:
        compliance.patrol_overdue_check(now=raised_at)

    def resolve() -> None:
        for alert in Alert.objects.filter(dedup_key__startswith=prefix).exclude(
                state=Alert.State.RESOLVED):
            alert_resolve(alert=alert, user=operator, comment=(
                f"{why} Putaran berikutnya sudah memeriksa lokasi, situasi aman."))

    return [Event(raised_at, 3, raise_alert), Event(resolved_at, 3, resolve)]


def _raised_near(dedup_key: str, prefix: str, raised_at: datetime) -> bool:
    marker = dedup_key.removeprefix(prefix)
    return marker.isdigit() and abs(int(marker) - raised_at.timestamp()) < 6 * 3600


# --- the replay ------------------------------------------------------------------------------


def anchor_events(now: datetime, known_days: set[date]) -> list[Event]:
    """The scheduler's daily anchor of the chain head, a few minutes after each midnight
    of the portal's reference zone."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localtime(now, zone).date()
    events = []
    for back in range(HISTORY_DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        at = datetime.combine(day, time(0, 5), tzinfo=zone)
        if day - timedelta(days=1) not in known_days and at <= now:
            events.append(Event(at, 9, lambda at=at: compliance.anchor_yesterday(now=at)))
    return events


def replay(events: list[Event]) -> None:
    with replaying() as clock:
        for event in sorted(events):
            clock.set(event.at)
            event.run()
