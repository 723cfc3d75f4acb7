"""Guard duty in the demo world: posts, standards, and a roster from two weeks ago to three
days ahead with check-ins, handover notes and real gaps a commander should find:

- Gudang Logistik KPU Kota Karangsari, the night before last: the TNI guard never came, so the
  warehouse had 2 of 3 guards and no TNI all night (a missed check-in, recorded);
- the same warehouse now: its TNI guard (`tni.karangsari`) has not checked in yet, so the
  duty checks raise "post understaffed" and "missed check-in" alerts live;
- Kantor KPU Kota Karangsari, yesterday afternoon: a guard checked in 40 minutes late, and
  two more late arrivals in the fortnight (`LATE`);
- Gudang Logistik PPK Mutiara Selatan, two nights ago: a guard left two hours early;
- Kantor Bawaslu Kota Tanjung Wangi, tomorrow night: a slot nobody is assigned to yet;
- the last day of every roster is still a draft for the Padal to publish.

The demo logins are on the roster: `polisi.karangsari` is on duty at the KPU office now
(checked in, with the previous shift's handover note), `tni.karangsari` is due at the
warehouse, `satpol.karangsari` has the next shift at the Bawaslu office.

Idempotent: a shift time already planned at a post is left alone, people are matched by
username, and no person is ever put on two overlapping shifts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from apps.accounts.models import Role, RoleAssignment, User
from apps.duty.models import Attendance, CoverageStandard, GuardPost, Shift
from apps.org.models import Agency
from apps.places.models import Facility

P = Agency.Pillar
DAYS_BACK, DAYS_AHEAD = 14, 3

# Daily segments: (start hour, length in hours).
OFFICE_3X8 = ((6, 8), (14, 8), (22, 8))
WAREHOUSE_2X12 = ((6, 12), (18, 12))


@dataclass(frozen=True)
class PostPlan:
    facility: str
    post: str
    segments: tuple[tuple[int, int], ...]
    teams: tuple[tuple[str, ...], ...]  # pillars of each segment's team
    night_standard: bool = False  # warehouse: 2 by day, 3 by night with every pillar


PLANS = (
    PostPlan("Kantor KPU Kota Karangsari", "Pos Jaga Gerbang Utama", OFFICE_3X8,
             (("polri", "polri"), ("polri", "pemda"), ("polri", "tni"))),
    PostPlan("Kantor Bawaslu Kota Karangsari", "Pos Jaga Depan", OFFICE_3X8,
             (("polri", "pemda"), ("polri", "pemda"), ("polri", "tni"))),
    PostPlan("Gudang Logistik KPU Kota Karangsari", "Pos Jaga Gudang", WAREHOUSE_2X12,
             (("polri", "pemda"), ("polri", "tni", "pemda")), night_standard=True),
    PostPlan("Kantor KPU Kota Tanjung Wangi", "Pos Jaga Gerbang Utama", OFFICE_3X8,
             (("polri", "polri"), ("polri", "pemda"), ("polri", "tni"))),
    PostPlan("Kantor Bawaslu Kota Tanjung Wangi", "Pos Jaga Depan", OFFICE_3X8,
             (("polri", "pemda"), ("polri", "polri"), ("polri", "tni"))),
    PostPlan("Kantor KPU Kota Teluk Mutiara", "Pos Jaga Gerbang Utama", OFFICE_3X8,
             (("polri", "polri"), ("polri", "pemda"), ("polri", "tni"))),
    PostPlan("Kantor Bawaslu Kota Teluk Mutiara", "Pos Jaga Depan", OFFICE_3X8,
             (("polri", "pemda"), ("polri", "polri"), ("polri", "tni"))),
    PostPlan("Gudang Logistik PPK Mutiara Selatan", "Pos Jaga Gudang", WAREHOUSE_2X12,
             (("polri", "pemda"), ("polri", "tni", "pemda")), night_standard=True),
)

GIVEN_NAMES = ("Andi Saputra", "Budi Hartono", "Dewi Anggraini", "Eko Prasetyo", "Fajar Nugraha",
               "Gilang Ramadhan", "Hendra Gunawan", "Indah Permatasari", "Joko Susilo",
               "Kadek Wirawan", "Lukman Hakim", "Maria Pattiselanno", "Nyoman Arya",
               "Oktavianus Kambu", "Putri Maharani", "Rizky Maulana", "Sri Wahyuni",
               "Taufik Hidayat", "Umar Lahilote", "Wahyu Setiawan", "Yohana Rumbiak",
               "Zainal Arifin")
RANKS = {P.POLRI: ("Bripda", "Briptu", "Brigpol", "Bripka"),
         P.TNI: ("Prada", "Pratu", "Praka", "Serda"),
         P.PEMDA: ("", "")}
UNIT_FOR_PILLAR = {P.POLRI: Agency.UnitKind.POLRES, P.TNI: Agency.UnitKind.KODIM,
                   P.PEMDA: Agency.UnitKind.SATPOL_PP}
HANDOVER_NOTES = {
    Facility.Kind.KPU_WAREHOUSE: (
        "Aman. Segel pintu gudang utuh (nomor segel dicatat di buku jaga).",
        "Situasi aman dan kondusif. Gerbang gudang terkunci, kunci diserahkan ke regu berikut.",
        "Aman terkendali. Pukul 02.10 ada kendaraan berhenti lama di depan, sudah ditanyai, "
        "sopir menunggu penumpang.",
        "Kondusif. Lampu sorot sisi timur mati, sudah dilaporkan ke sekretariat KPU.",
        "Aman. Ada kunjungan petugas KPU untuk pengecekan logistik, tercatat di buku tamu.",
    ),
    "office": (
        "Situasi aman dan kondusif. Gerbang terkunci, kunci diserahkan ke regu berikut.",
        "Aman. Ada tamu dari partai politik mengantar berkas, tercatat di buku tamu.",
        "Aman terkendali. Massa kecil sempat berkumpul di depan pukul 16.00, bubar tertib.",
        "Kondusif. Kamera gerbang sempat mati 10 menit, sudah menyala lagi.",
        "Aman. Paket untuk sekretariat diterima, diperiksa, isinya dokumen.",
    ),
}
# Minutes after the start at which each past check-in happened (negative: early).
CHECK_IN_JITTER = (-10, -5, -3, 0, -2, -7, -1, 0, -4)
# The late arrivals of the fortnight: (facility, days before today, shift start hour,
# pillar) -> minutes late. The rest of the history arrives on time, give or take minutes.
LATE = {
    ("Kantor KPU Kota Karangsari", 1, 14, P.PEMDA): 40,  # the afternoon is short 40 minutes
    ("Kantor KPU Kota Tanjung Wangi", 6, 6, P.POLRI): 25,
    ("Kantor Bawaslu Kota Teluk Mutiara", 10, 22, P.POLRI): 18,
}


def build_duty_roster(now: datetime | None = None) -> None:
    now = now or timezone.now()
    people_cache: dict[tuple[int, str, int], User] = {}
    for plan in PLANS:
        facility = Facility.objects.select_related("region__parent").filter(
            name=plan.facility).first()
        if facility is None:
            continue
        post, _ = GuardPost.objects.get_or_create(
            facility=facility, name=plan.post,
            defaults={"is_main": not facility.guard_posts.filter(is_main=True).exists()},
        )
        if plan.night_standard:
            _warehouse_standards(post, facility, now)
        teams = _teams(plan, facility, people_cache)
        _demo_logins_join(plan, facility, teams, now)
        _roster(plan, facility, post, teams, now)


def _warehouse_standards(post: GuardPost, facility: Facility, now: datetime) -> None:
    """2 guards by day; 3 by night with one of each pillar (the warehouse criteria)."""
    if post.standards.exists():
        return
    since = datetime.combine(timezone.localtime(now, facility.zoneinfo).date()
                             - timedelta(days=30), time(0), tzinfo=facility.zoneinfo)
    CoverageStandard.objects.bulk_create([
        CoverageStandard(post=post, band_start=time(6), band_end=time(18), min_personnel=2,
                         valid_from=since, note="Siang: 2 personel"),
        CoverageStandard(post=post, band_start=time(18), band_end=time(6), min_personnel=3,
                         required_pillars=[P.POLRI, P.TNI, P.PEMDA], valid_from=since,
                         note="Malam: 3 personel, satu dari tiap pilar"),
    ])


def _city_agency(facility: Facility, pillar: str) -> Agency | None:
    return Agency.objects.filter(region=facility.region.parent,
                                 unit_kind=UNIT_FOR_PILLAR[pillar]).first()


def _teams(plan: PostPlan, facility: Facility, cache) -> list[list[User]]:
    """One team per segment, of roster personnel (who never log in: unusable passwords)."""
    slug = facility.region.parent.name.removeprefix("Kota ").replace(" ", "").lower()
    teams = []
    for s, pillars in enumerate(plan.teams):
        team = []
        for k, pillar in enumerate(pillars):
            number = 1 + sum(len(t) for t in plan.teams[:s]) + k
            key = (facility.pk, pillar, number)
            if key not in cache:
                cache[key] = _roster_person(slug, facility, pillar, number)
            team.append(cache[key])
        teams.append(team)
    return teams


def _roster_person(slug: str, facility: Facility, pillar: str, number: int) -> User:
    kind = {"kpu_office": "kpu", "bawaslu_office": "bwl", "kpu_warehouse": "gdg"}.get(
        facility.kind, "obj")
    username = f"personel.{slug}.{kind}{number:02d}"
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    # One name per person of a city: personnel of the same city get different names.
    taken = User.objects.filter(username__startswith=f"personel.{slug}.").count()
    ranks = RANKS[pillar]
    user = User.objects.create(
        username=username, full_name=GIVEN_NAMES[taken % len(GIVEN_NAMES)],
        rank=ranks[(taken + number) % len(ranks)], agency=_city_agency(facility, pillar),
        password=make_password(None),  # unusable: roster personnel never log in
    )
    RoleAssignment.objects.create(user=user, role=Role.FIELD_OFFICER)
    return user


def _segment_times(plan: PostPlan, facility: Facility, day: date, index: int):
    zone = facility.zoneinfo
    hour, hours = plan.segments[index]
    start = datetime.combine(day, time(hour), tzinfo=zone)
    return start, start + timedelta(hours=hours)


def _current_segment(plan: PostPlan, facility: Facility, now: datetime) -> int:
    today = timezone.localtime(now, facility.zoneinfo).date()
    for day in (today, today - timedelta(days=1)):
        for i in range(len(plan.segments)):
            start, end = _segment_times(plan, facility, day, i)
            if start <= now < end:
                return i
    return 0


def _demo_logins_join(plan: PostPlan, facility: Facility, teams: list[list[User]],
                      now: datetime) -> None:
    """Put the city's demo field officers where a visitor will find them: each takes the
    place of a team member of their pillar (or the last one) in the right segment."""
    if facility.region.parent.name != "Kota Karangsari":
        return
    current = _current_segment(plan, facility, now)
    who = {
        Facility.Kind.KPU_OFFICE: ("polisi.karangsari", current),
        Facility.Kind.KPU_WAREHOUSE: ("tni.karangsari", current),
        Facility.Kind.BAWASLU_OFFICE: ("satpol.karangsari", (current + 1) % len(plan.segments)),
    }.get(facility.kind)
    login = User.objects.select_related("agency").filter(username=who[0]).first() if who else None
    if login is None or login.agency is None:
        return
    team = teams[who[1]]
    same = [i for i, m in enumerate(team) if m.agency and m.agency.pillar == login.agency.pillar]
    team[same[0] if same else -1] = login


def _roster(plan: PostPlan, facility: Facility, post: GuardPost, teams: list[list[User]],
            now: datetime) -> None:
    zone = facility.zoneinfo
    today = timezone.localtime(now, zone).date()
    # From the day before the first shown day: its night shift runs into the first morning.
    first, last = today - timedelta(days=DAYS_BACK + 1), today + timedelta(days=DAYS_AHEAD)
    lo = datetime.combine(first, time(0), tzinfo=zone)
    hi = datetime.combine(last + timedelta(days=2), time(0), tzinfo=zone)
    planned = set(Shift.objects.filter(post=post, start__gte=lo, start__lt=hi)
                  .values_list("start", flat=True))
    members = {m.pk for team in teams for m in team}
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for person_id, s, e in Shift.objects.filter(person_id__in=members, start__lt=hi,
                                                end__gt=lo).values_list("person_id", "start",
                                                                        "end"):
        busy[person_id].append((s, e))

    missed_night = _missed_night(plan, facility, now)
    shifts: list[Shift] = []
    day = first
    while day <= last:
        for index, team in enumerate(teams):
            start, end = _segment_times(plan, facility, day, index)
            if start in planned:
                continue
            publish = day < last  # the last day stays a draft for the Padal
            for member in team:
                person: User | None = member
                if any(s < end and start < e for s, e in busy[member.pk]):
                    continue
                if (facility.name == "Kantor Bawaslu Kota Tanjung Wangi"
                        and day == today + timedelta(days=1) and index == 2
                        and member is team[-1]):
                    person = None  # an open slot tomorrow night
                if person is not None:
                    busy[person.pk].append((start, end))
                shifts.append(Shift(
                    post=post, person=person, pillar=person.agency.pillar if person else "",
                    start=start, end=end, published_at=(now - timedelta(days=4)) if publish
                    else None, created_at=now, updated_at=now,
                    missed_check_in_at=(start + timedelta(minutes=15)
                                        if _no_show(plan, facility, person, start, now,
                                                    missed_night) and end <= now else None),
                ))
        day += timedelta(days=1)
    Shift.objects.bulk_create(shifts)
    _attendance([s for s in shifts if s.pk], plan, facility, now, missed_night)


def _missed_night(plan: PostPlan, facility: Facility, now: datetime) -> datetime | None:
    """Start of the night segment before the most recent one that has ended (warehouses
    only): the absence is a few nights back, apart from tonight's live one."""
    if not plan.night_standard:
        return None
    today = timezone.localtime(now, facility.zoneinfo).date()
    ended = [start for back in range(0, 4)
             for start, end in [_segment_times(plan, facility, today - timedelta(days=back), 1)]
             if end <= now]
    return ended[1] if len(ended) > 1 else None


def _no_show(plan: PostPlan, facility: Facility, person: User | None, start: datetime,
             now: datetime, missed_night: datetime | None) -> bool:
    """Planned absences at the Karangsari warehouse: its TNI guard the night before last, and
    the demo
    login `tni.karangsari` on the shift running now."""
    if person is None or facility.name != "Gudang Logistik KPU Kota Karangsari":
        return False
    running = start <= now < start + timedelta(hours=plan.segments[0][1])
    if running:
        return person.username == "tni.karangsari"
    return (start == missed_night and person.agency is not None
            and person.agency.pillar == P.TNI)


def _attendance(shifts: list[Shift], plan: PostPlan, facility: Facility, now: datetime,
                missed_night: datetime | None) -> None:
    zone = facility.zoneinfo
    today = timezone.localtime(now, zone).date()
    notes = HANDOVER_NOTES.get(facility.kind, HANDOVER_NOTES["office"])
    rows = []
    for n, shift in enumerate(shifts):
        if shift.person is None or shift.published_at is None or shift.start > now:
            continue
        if _no_show(plan, facility, shift.person, shift.start, now, missed_night):
            continue
        local_start = timezone.localtime(shift.start, zone)
        ongoing = shift.end > now
        jitter = LATE.get((facility.name, (today - local_start.date()).days, local_start.hour,
                           shift.pillar), CHECK_IN_JITTER[n % len(CHECK_IN_JITTER)])
        check_in = shift.start + timedelta(minutes=jitter)
        if ongoing:
            check_in = min(check_in, shift.start, now)
        early = 0
        check_out = None
        if not ongoing:
            leave = shift.end + timedelta(minutes=n % 6)
            if (facility.name == "Gudang Logistik PPK Mutiara Selatan"
                    and local_start.date() == today - timedelta(days=2) and local_start.hour == 18
                    and shift.pillar == P.PEMDA):
                leave, early = shift.end - timedelta(hours=2), 120
            check_out = min(leave, now)
        late = max(0, int((check_in - shift.start).total_seconds() // 60))
        rows.append(Attendance(
            shift=shift, person=shift.person, post=shift.post, pillar=shift.pillar,
            checked_in_at=check_in, check_in_received_at=check_in,
            late_minutes=late if late > 5 else 0,
            checked_out_at=check_out, check_out_received_at=check_out,
            early_leave_minutes=early,
            handover_note=notes[n % len(notes)] if check_out else "",
        ))
    Attendance.objects.bulk_create(rows)
