"""The demo world: three fictional cities in Indonesia's three time zones.

- Kota Karangsari (WIB): a Blitar-like city with its KPU office, Bawaslu office and KPU
  logistics warehouse;
- Kota Tanjung Wangi (WITA): a second city with its own KPU and Bawaslu;
- Kota Teluk Mutiara (WIT): a big city with a district (PPK) logistics warehouse.

Each city has agencies of all three pillars and both election bodies, and a person for every
role. All names are fictional. Building is idempotent: running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import cache

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from apps.accounts import mfa
from apps.accounts.mfa import TWO_FACTOR_ROLES
from apps.accounts.models import Role, User
from apps.alerts.models import CommandWatch
from apps.cameras.models import Camera, CameraShare, Orientation, RecordingMode
from apps.cameras.services import share_grant
from apps.demo.cameras import DEMO_CAMERAS, stream_url
from apps.demo.cities import CITIES, CitySpec
from apps.demo.duty_roster import build_duty_roster
from apps.demo.history import HISTORY_DAYS
from apps.demo.records import build_demo_records
from apps.org.models import Agency, Region
from apps.places.models import Facility, Operation

# Published on purpose: demo accounts exist only in demo mode (see load_demo).
DEMO_PASSWORD = "posko-demo-2026"  # noqa: S105
# The demo's two-step login secret, published like the password (demo mode only). Base32 for
# an authenticator app: DEMO_TOTP_SECRET; the same key in hex as django-otp stores it.
DEMO_TOTP_KEY_HEX = "706f736b6f2d64656d6f2d3266612d3230323621"  # b"posko-demo-2fa-2026!"
DEMO_TOTP_SECRET = "OBXXG23PFVSGK3LPFUZGMYJNGIYDENRB"  # noqa: S105

P, U = Agency.Pillar, Agency.UnitKind


# (username prefix, full name stem, rank, agency key, role)
CAST = (
    ("operator", "Operator Posko", "Bripka", "polres", Role.OPERATOR),
    ("komandan", "Kapolres", "AKBP", "polres", Role.COMMANDER),
    ("padal", "Padal Pengamanan", "Ipda", "polres", Role.POST_COMMANDER),
    ("polisi", "Anggota Sat Samapta", "Brigpol", "polres", Role.FIELD_OFFICER),
    ("tni", "Anggota Kodim", "Serka", "kodim", Role.FIELD_OFFICER),
    ("satpol", "Anggota Satpol PP", "", "satpol_pp", Role.FIELD_OFFICER),
    ("kpu", "Sekretaris KPU", "", "kpu", Role.FACILITY_OFFICIAL),
    ("bawaslu", "Koordinator Sekretariat Bawaslu", "", "bawaslu", Role.FACILITY_OFFICIAL),
)

FICTIONAL_SURNAMES = ("Wicaksono", "Hartati", "Siregar", "Lestari", "Pattiasina", "Rahmawati",
                      "Tumbelaka", "Nugroho")


@dataclass
class Login:
    username: str
    role: str
    city: str


def _region(name: str, level: str, parent: Region | None, tz: str) -> Region:
    region, _ = Region.objects.get_or_create(
        name=name, parent=parent, defaults={"level": level, "timezone": tz}
    )
    return region


def _agency(key_map: dict, key: str, name: str, short: str, pillar: str, unit: str,
            region: Region, parent: Agency | None = None) -> Agency:
    agency, _ = Agency.objects.update_or_create(
        region=region, name=name,
        defaults={"short_name": short, "pillar": pillar, "unit_kind": unit, "parent": parent},
    )
    key_map[key] = agency
    return agency


@cache
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)  # Argon2 is slow on purpose: hash once per build.


def _person(username: str, full_name: str, rank: str, agency: Agency, role: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, password=_demo_password_hash())
    user.full_name, user.rank, user.agency, user.is_active = full_name, rank, agency, True
    user.save()
    user.set_roles({role})
    return user


def _build_city(spec: CitySpec, logins: list[Login]) -> None:
    province = _region(spec.province, Region.Level.PROVINCE, None, spec.timezone)
    city = _region(spec.city, Region.Level.CITY, province, spec.timezone)
    districts = [_region(d, Region.Level.DISTRICT, city, spec.timezone) for d in spec.districts]
    short_city = spec.city.removeprefix("Kota ")
    first_district = spec.districts[0].removeprefix("Kec. ")

    a: dict[str, Agency] = {}
    polres = _agency(a, "polres", f"Polres {short_city}", f"Polres {short_city}", P.POLRI,
                     U.POLRES, city)
    _agency(a, "polsek", f"Polsek {first_district}", f"Polsek {first_district}", P.POLRI,
            U.POLSEK, districts[0], polres)
    kodim = _agency(a, "kodim", f"Kodim {short_city}", f"Kodim {short_city}", P.TNI, U.KODIM,
                    city)
    _agency(a, "koramil", f"Koramil {first_district}", f"Koramil {first_district}", P.TNI,
            U.KORAMIL, districts[0], kodim)
    _agency(a, "satpol_pp", f"Satpol PP Kota {short_city}", "Satpol PP", P.PEMDA, U.SATPOL_PP,
            city)
    _agency(a, "dishub", f"Dinas Perhubungan Kota {short_city}", "Dishub", P.PEMDA, U.DISHUB,
            city)
    kpu = _agency(a, "kpu", f"KPU Kota {short_city}", f"KPU {short_city}", P.KPU, U.KPU_KOTA,
                  city)
    _agency(a, "bawaslu", f"Bawaslu Kota {short_city}", f"Bawaslu {short_city}", P.BAWASLU,
            U.BAWASLU_KOTA, city)
    if spec.with_ppk:
        district_name = spec.districts[1].removeprefix("Kec. ")
        _agency(a, "ppk", f"PPK {district_name}", f"PPK {district_name}", P.KPU, U.PPK,
                districts[1], kpu)

    facilities = []
    for kind, name, district_index, address in spec.facilities:
        owner = a["bawaslu"] if kind == Facility.Kind.BAWASLU_OFFICE else (
            a["ppk"] if spec.with_ppk and kind == Facility.Kind.KPU_WAREHOUSE else a["kpu"]
        )
        facility, _ = Facility.objects.update_or_create(
            name=name,
            defaults={"kind": kind, "owner_agency": owner, "region": districts[district_index],
                      "address": f"{address}, {spec.districts[district_index]}, {spec.city}"},
        )
        facilities.append(facility)

    current, _ = Operation.objects.get_or_create(
        name=f"Operasi Mantap Praja {short_city} 2026–2027",
        defaults={"responsible_agency": polres, "starts_on": date(2026, 9, 1),
                  "ends_on": date(2027, 3, 31), "min_guards": 2, "patrol_interval_hours": 3},
    )
    _cover_the_history(current)
    current.facilities.add(*facilities)
    if spec.slug == "karangsari":
        past, _ = Operation.objects.get_or_create(
            name="Operasi Mantap Brata Semeru 2023–2024",
            defaults={"responsible_agency": polres, "starts_on": date(2023, 11, 19),
                      "ends_on": date(2024, 11, 20), "min_guards": 2,
                      "patrol_interval_hours": 3},
        )
        past.facilities.add(*facilities)

    for index, (prefix, stem, rank, agency_key, role) in enumerate(CAST):
        username = f"{prefix}.{spec.slug}"
        surname = FICTIONAL_SURNAMES[index % len(FICTIONAL_SURNAMES)]
        _person(username, f"{stem} {surname}", rank, a[agency_key], role)
        logins.append(Login(username, Role(role).label, spec.city))


def _cover_the_history(operation: Operation) -> None:
    """The demo's operation runs from before its two weeks of history to after today,
    whenever the demo is built (an extension is recorded as a period change)."""

    today = timezone.localdate()
    starts_on = min(operation.starts_on, today - timedelta(days=HISTORY_DAYS + 30))
    ends_on = max(operation.ends_on, today + timedelta(days=90))
    if (starts_on, ends_on) != (operation.starts_on, operation.ends_on):
        operation.starts_on, operation.ends_on = starts_on, ends_on
        operation.save(reason="Demo: periode disesuaikan agar mencakup hari ini")


@transaction.atomic
def build_demo(*, with_history: bool = True) -> list[Login]:
    """The demo world; `with_history=False` leaves out the two weeks replayed through the services
    (most of the build's time), for tests and quick looks that need only the people, places,
    cameras, roster and checkpoints."""
    logins: list[Login] = []
    for spec in CITIES:
        _build_city(spec, logins)
    admin = _person("admin.demo", "Administrator Posko", "", Agency.objects.get(
        name="Polres Karangsari"), Role.ADMINISTRATOR)
    if not admin.is_staff:
        admin.is_staff = True
        admin.save(update_fields=["is_staff"])
    logins.append(Login("admin.demo", Role.ADMINISTRATOR.label, "—"))
    _build_cameras()
    _build_command_watches()
    _build_demo_authenticators()
    # Guard posts, standards and a roster around today with real gaps (apps.duty).

    build_duty_roster()
    # Checkpoints, a patrol, a signed warehouse check and an incident (apps.records).

    build_demo_records(with_history=with_history)
    return logins


def _build_demo_authenticators() -> None:
    """Demo people whose role needs two-step login get an authenticator with the published
    DEMO_TOTP_SECRET, so the demo stays usable (`manage.py demo_code` prints today's code)."""

    for user in User.objects.filter(username__in=[*demo_two_step_usernames()]):
        mfa.demo_device(user, DEMO_TOTP_KEY_HEX)


def demo_two_step_usernames() -> list[str]:
    names = [f"{prefix}.{spec.slug}" for spec in CITIES
             for prefix, _stem, _rank, _agency, role in CAST if role in TWO_FACTOR_ROLES]
    return [*names, "admin.demo"]


def _build_cameras() -> None:
    """The demo cameras point at `manage.py camsim`; outward ones are shared by their owner
    with the city's Polres, Kodim and Satpol PP on the KPU–Polri MoU."""

    for spec in DEMO_CAMERAS:
        facility = Facility.objects.select_related("owner_agency", "region").get(
            name=spec.facility)
        camera, _ = Camera.objects.update_or_create(
            facility=facility, name=spec.name,
            defaults={
                "source_kind": spec.source, "url": stream_url(spec),
                "orientation": Orientation.OUTWARD if spec.outward else Orientation.INWARD,
                "armed_from": time(18, 0) if spec.armed else None,
                "armed_until": time(6, 0) if spec.armed else None,
                "recording_mode": spec.recording,
                "privacy_masks": [[list(point) for point in mask] for mask in spec.masks],
            },
        )
        if not spec.outward:
            continue
        owner_official = User.objects.filter(
            agency_id__in=facility.owner_agency.ancestor_ids(),
            role_assignments__role=Role.FACILITY_OFFICIAL,
        ).first()
        city = facility.region.parent
        for grantee in Agency.objects.filter(
            region=city, unit_kind__in=[U.POLRES, U.KODIM, U.SATPOL_PP]
        ):
            if not CameraShare.objects.valid_at().filter(camera=camera, grantee=grantee).exists():
                share_grant(camera=camera, grantee=grantee, by=owner_official,
                            basis="MoU KPU–Polri 29 Desember 2022; surat permohonan Kapolres",
                            recordings=spec.recording != RecordingMode.OFF
                            and grantee.unit_kind == U.POLRES)


def _build_command_watches() -> None:
    """Each city's operators are on watch at its command center around today (the alert
    escalation tells the people on duty first: apps.alerts.escalation)."""
    now = timezone.now()
    for operator in User.objects.filter(role_assignments__role=Role.OPERATOR,
                                        agency__region__level=Region.Level.CITY):
        watching = CommandWatch.objects.filter(person=operator, start__lte=now, end__gt=now)
        if not watching.exists():
            CommandWatch.objects.create(person=operator, region=operator.agency.region,
                                        start=now - timedelta(hours=12),
                                        end=now + timedelta(days=30))
