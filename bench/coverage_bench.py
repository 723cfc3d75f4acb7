"""Guard coverage at scale: python -m bench.coverage_bench

Builds, in a throwaway PostgreSQL database (created and dropped here), 300 facilities in the
three zones with a month of realistic rosters and check-ins (about 30,000 shifts): offices on
3 × 8 h with one guard, warehouses on 2 × 12 h with two guards of two pillars at night; late
check-ins, no-shows, forgotten check-outs; one camera per facility with outages. Then times
what the commander's report does: load the facilities, run the set-based loader, compute the
coverage with hour cells. Prints `bench: <name> = <value> <unit>` lines, including the query
count for a 7-day period to show it does not depend on the period's length.

The database: BENCH_DATABASE_URL, else DATABASE_URL with `_bench` appended to its name (never
the database itself), else postgres://postgres@127.0.0.1:5432/posko_bench.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/posko_bench"
FACILITIES, DAYS = 300, 31
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
RUNS = 3
UNUSABLE = "!"  # Django's mark for "no password": these guards never log in


def bench_url() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(base)
        name = parts.path.lstrip("/") or "posko"
        if not name.endswith("_bench"):
            name += "_bench"
        return urlunsplit(parts._replace(path=f"/{name}"))
    return DEFAULT_URL


def report(name: str, value: float, unit: str) -> None:
    print(f"bench: {name} = {value:.3g} {unit}", flush=True)


def _admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True), parts.path.lstrip("/")


def create_database(url: str) -> None:
    from psycopg import sql

    conn, name = _admin_connection(url)
    with conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    from psycopg import sql

    conn, name = _admin_connection(url)
    with conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


def build_world(seed: int = 5, *, start: datetime | None = None, facilities: int = FACILITIES,
                zones: tuple[str, ...] = ZONES, cities_per_zone: int = 10) -> datetime:
    """The month's data; returns the start of the period (UTC). The city benchmark
    (bench.city_bench) builds its one city's month with this too, ending now."""
    from apps.accounts.models import Role, RoleAssignment, User
    from apps.cameras.models import Camera, CameraStateChange
    from apps.duty.models import Attendance, CoverageStandard, GuardPost, Shift
    from apps.org.models import Agency, Region
    from apps.places.models import Facility, Operation

    rnd = random.Random(seed)
    start = start or datetime(2026, 10, 1, tzinfo=UTC)
    now = start + timedelta(days=DAYS, hours=1)
    P, U = Agency.Pillar, Agency.UnitKind

    cities, agencies = [], {}
    for z, tz in enumerate(zones):
        province = Region.objects.create(name=f"Provinsi {z}", level="province", timezone=tz)
        for c in range(cities_per_zone):
            city = Region.objects.create(name=f"Kota {z}-{c}", level="city", parent=province,
                                         timezone=tz)
            cities.append(city)
            for pillar, unit in ((P.POLRI, U.POLRES), (P.TNI, U.KODIM),
                                 (P.PEMDA, U.SATPOL_PP), (P.KPU, U.KPU_KOTA)):
                agencies[(city.pk, pillar)] = Agency.objects.create(
                    name=f"{unit} {city.name}", pillar=pillar, unit_kind=unit, region=city)
    polres0 = agencies[(cities[0].pk, P.POLRI)]
    operation = Operation.objects.create(
        name="Operasi Bench", responsible_agency=polres0, starts_on=start.date()
        - timedelta(days=30), ends_on=start.date() + timedelta(days=60), min_guards=1)

    count = facilities
    facilities = Facility.objects.bulk_create([
        Facility(name=f"Objek {i:03d}", kind=(Facility.Kind.KPU_WAREHOUSE if i % 3 == 2
                                              else Facility.Kind.KPU_OFFICE),
                 owner_agency=agencies[(cities[i % len(cities)].pk, P.KPU)],
                 region=cities[i % len(cities)])
        for i in range(count)
    ])
    operation.facilities.add(*facilities)
    posts = GuardPost.objects.bulk_create([
        GuardPost(facility=f, name="Pos Utama", is_main=True) for f in facilities
    ])
    standards = []
    for f, post in zip(facilities, posts, strict=True):
        if f.kind == Facility.Kind.KPU_WAREHOUSE:
            since = start - timedelta(days=60)
            standards += [
                CoverageStandard(post=post, band_start=clock(6), band_end=clock(18),
                                 min_personnel=1, valid_from=since),
                CoverageStandard(post=post, band_start=clock(18), band_end=clock(6),
                                 min_personnel=2, required_pillars=["polri", "tni"],
                                 valid_from=since),
            ]
    CoverageStandard.objects.bulk_create(standards)

    # Guards: offices 3 (one per 8-hour segment), warehouses 3 (day; night Polri + TNI).
    people = []
    for f in facilities:
        pillars = ("polri", "pemda", "polri") if f.kind == Facility.Kind.KPU_OFFICE else (
            "pemda", "polri", "tni")
        for k, pillar in enumerate(pillars):
            people.append(User(username=f"g{f.pk}-{k}", full_name=f"Personel {f.pk}-{k}",
                               agency=agencies[(f.region_id, pillar)], password=UNUSABLE))
    people = User.objects.bulk_create(people, batch_size=2000)
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=u, role=Role.FIELD_OFFICER) for u in people], batch_size=2000)
    pillar_of = {u.pk: u.agency.pillar for u in people}

    shifts = []
    for i, (f, post) in enumerate(zip(facilities, posts, strict=True)):
        zone = ZoneInfo(f.region.timezone)
        guards = people[3 * i: 3 * i + 3]
        first_day = start.astimezone(zone).date() - timedelta(days=1)
        for d in range(DAYS + 2):
            day = first_day + timedelta(days=d)
            if f.kind == Facility.Kind.KPU_OFFICE:
                slots = [(datetime.combine(day, clock(6 + 8 * k), tzinfo=zone), 8, [guards[k]])
                         for k in range(3)]
            else:
                slots = [(datetime.combine(day, clock(6), tzinfo=zone), 12, [guards[0]]),
                         (datetime.combine(day, clock(18), tzinfo=zone), 12, guards[1:])]
            for s, hours, team in slots:
                for person in team:
                    shifts.append(Shift(post=post, person=person, pillar=pillar_of[person.pk],
                                        start=s, end=s + timedelta(hours=hours),
                                        published_at=start - timedelta(days=3)))
    shifts = Shift.objects.bulk_create(shifts, batch_size=5000)

    attendance = []
    for sh in shifts:
        if sh.start >= now or rnd.random() < 0.02:  # no-shows
            continue
        late = timedelta(minutes=rnd.choice((-10, -5, 0, 0, 3, 12, 35)))
        out = None if rnd.random() < 0.02 else min(sh.end + timedelta(minutes=rnd.randint(0, 9)),
                                                    now)
        attendance.append(Attendance(
            shift=sh, person_id=sh.person_id, post_id=sh.post_id, pillar=sh.pillar,
            checked_in_at=sh.start + late, check_in_received_at=sh.start + late,
            late_minutes=max(0, late // timedelta(minutes=1)), checked_out_at=out,
            check_out_received_at=out))
    Attendance.objects.bulk_create(attendance, batch_size=5000)

    cameras = Camera.objects.bulk_create([
        Camera(facility=f, name="Gerbang", source_kind="mjpeg",
               url="http://10.0.0.1/mjpeg") for f in facilities
    ])
    changes = []
    for cam in cameras:
        changes.append(CameraStateChange(camera=cam, state="online",
                                         at=start - timedelta(days=2)))
        for _ in range(3):
            down = start + timedelta(minutes=rnd.randint(0, DAYS * 24 * 60))
            changes.append(CameraStateChange(camera=cam, state="offline", at=down))
            changes.append(CameraStateChange(camera=cam, state="online",
                                             at=down + timedelta(minutes=rnd.randint(5, 240))))
    CameraStateChange.objects.bulk_create(changes, batch_size=5000)
    print(f"bench: data = {len(facilities)} facilities, {len(shifts)} shifts, "
          f"{len(attendance)} check-ins, {len(changes)} camera state changes", flush=True)
    return start


def measure(start: datetime, days: int, *, hours: bool = False) -> tuple[float, int, object]:
    """Median wall time of RUNS reports and the query count of one. Without `hours` the
    report is what a month needs (per facility: coverage, staffing, gaps with shortfall and
    missing pillars, roster gaps, unobserved time); with `hours` it also builds the
    hour cells (300 × 744 of them), which the page needs only for short periods."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.duty.coverage import Interval
    from apps.duty.loading import coverage_inputs
    from apps.places.models import Facility

    period = Interval(start, start + timedelta(days=days))
    now = start + timedelta(days=DAYS, hours=1)
    times, queries, report = [], 0, None
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            facilities = list(Facility.objects.select_related("region").order_by("pk"))
            inputs = coverage_inputs(facilities=facilities, period=period, now=now)
            report = inputs.compute(now=now, include_hours=hours)
            times.append(time.perf_counter() - t0)
        queries = len(captured.captured_queries)
    return statistics.median(times), queries, report


def main() -> int:
    url = bench_url()
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench: coverage needs PostgreSQL", file=sys.stderr)
        return 2
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    create_database(url)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        start = build_world()
        report("coverage_build_data", time.perf_counter() - t0, "s")
        measure(start, 2)  # warm the connection and the code paths
        wall, queries, result = measure(start, DAYS)
        assert len(result.facilities) == FACILITIES
        report("coverage_300x31_wall", wall, "s")
        report("coverage_300x31_queries", queries, "queries")
        wall7, queries7, _ = measure(start, 7)
        report("coverage_300x7_wall", wall7, "s")
        report("coverage_300x7_queries", queries7, "queries")
        wall_h, queries_h, with_hours = measure(start, DAYS, hours=True)
        assert all(len(f.hours) == DAYS * 24 for f in with_hours.facilities)
        report("coverage_300x31_with_hour_cells_wall", wall_h, "s")
        report("coverage_300x31_with_hour_cells_queries", queries_h, "queries")
        print(f"bench: coverage_300x31_gaps = {sum(len(f.gaps) for f in result.facilities)} "
              "gaps", flush=True)
        for conn in connections.all():
            conn.close()
            close_pool = getattr(conn, "close_pool", None)
            if close_pool:
                close_pool()
    finally:
        drop_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
