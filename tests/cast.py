"""The fixed cast of the tests: two cities (A in WIB, B in WITA) with the same shape.

City X has districts X1 and X2; agencies Polres (city), Polsek (X1), Kodim, Satpol PP, KPU and
Bawaslu (city); facilities: KPU office (X1), Bawaslu office (X2), KPU warehouse (X2), all
covered by the city's operation, and an uncovered "other vital object" (X1, owned by the KPU).
One person per role, plus a person with no role and a KPU official wrongly given an operator
role (deny by default must hold)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from django.contrib.auth.hashers import make_password

from apps.accounts.models import Role, User
from apps.cameras.models import Camera, Orientation
from apps.org.models import Agency, Region
from apps.places.models import Facility, Operation

PASSWORD = "a-long-test-password-2026"


@cache
def password_hash() -> str:
    # Hash once per session: Argon2 is deliberately slow.
    return make_password(PASSWORD)


@dataclass
class City:
    key: str
    province: Region
    city: Region
    d1: Region
    d2: Region
    agencies: dict[str, Agency] = field(default_factory=dict)
    facilities: dict[str, Facility] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    operation: Operation | None = None


# (cast name, agency key, roles)
PEOPLE = (
    ("operator", "polres", {Role.OPERATOR}),
    ("commander", "polres", {Role.COMMANDER}),
    ("padal", "polres", {Role.POST_COMMANDER}),
    ("field_polri", "polsek", {Role.FIELD_OFFICER}),
    ("field_tni", "kodim", {Role.FIELD_OFFICER}),
    ("field_pemda", "satpol", {Role.FIELD_OFFICER}),
    ("kpu", "kpu", {Role.FACILITY_OFFICIAL}),
    ("bawaslu", "bawaslu", {Role.FACILITY_OFFICIAL}),
    ("admin", "polres", {Role.ADMINISTRATOR}),
    ("norole", "polres", set()),
    ("kpu_as_operator", "kpu", {Role.OPERATOR}),
)


def person(username: str, agency: Agency | None, roles: set[str], **extra) -> User:
    user = User.objects.create(
        username=username, full_name=username.replace("_", " ").title(), agency=agency,
        password=password_hash(), **extra,
    )
    user.set_roles(set(roles))
    return user


def build_city(key: str, tz: str) -> City:
    province = Region.objects.create(name=f"Province {key}", level="province", timezone=tz)
    city_region = Region.objects.create(
        name=f"City {key}", level="city", parent=province, timezone=tz
    )
    d1 = Region.objects.create(name=f"{key}1", level="district", parent=city_region, timezone=tz)
    d2 = Region.objects.create(name=f"{key}2", level="district", parent=city_region, timezone=tz)
    c = City(key, province, city_region, d1, d2)
    P, U = Agency.Pillar, Agency.UnitKind
    polres = Agency.objects.create(name=f"Polres {key}", pillar=P.POLRI, unit_kind=U.POLRES,
                                   region=city_region)
    c.agencies = {
        "polres": polres,
        "polsek": Agency.objects.create(name=f"Polsek {key}1", pillar=P.POLRI,
                                        unit_kind=U.POLSEK, region=d1, parent=polres),
        "kodim": Agency.objects.create(name=f"Kodim {key}", pillar=P.TNI, unit_kind=U.KODIM,
                                       region=city_region),
        "satpol": Agency.objects.create(name=f"Satpol PP {key}", pillar=P.PEMDA,
                                        unit_kind=U.SATPOL_PP, region=city_region),
        "kpu": Agency.objects.create(name=f"KPU {key}", pillar=P.KPU, unit_kind=U.KPU_KOTA,
                                     region=city_region),
        "bawaslu": Agency.objects.create(name=f"Bawaslu {key}", pillar=P.BAWASLU,
                                         unit_kind=U.BAWASLU_KOTA, region=city_region),
    }
    K = Facility.Kind
    spec = {
        "kpu_office": (K.KPU_OFFICE, "kpu", d1),
        "bawaslu_office": (K.BAWASLU_OFFICE, "bawaslu", d2),
        "warehouse": (K.KPU_WAREHOUSE, "kpu", d2),
        "uncovered": (K.OTHER, "kpu", d1),
    }
    for name, (kind, owner, region) in spec.items():
        c.facilities[name] = Facility.objects.create(
            name=f"{name} {key}", kind=kind, owner_agency=c.agencies[owner], region=region
        )
    c.operation = Operation.objects.create(
        # Around today, whenever the suite runs: access follows the operation's period.
        name=f"Operasi {key}", responsible_agency=polres,
        starts_on=date.today() - timedelta(days=365), ends_on=date.today() + timedelta(days=365),
    )
    c.operation.facilities.add(
        c.facilities["kpu_office"], c.facilities["bawaslu_office"], c.facilities["warehouse"]
    )
    for name, agency_key, roles in PEOPLE:
        c.users[name] = person(f"{name}_{key}".lower(), c.agencies[agency_key], roles,
                               is_staff=name == "admin")
    return c


INWARD_NAME = "Ruang server rahasia"


def gate_and_inside_cameras(city: City) -> tuple[Camera, Camera]:
    """The city's outward camera at the warehouse gate and inward camera at the KPU office
    (unshared: sharing is each test's own business)."""
    outward = Camera.objects.create(
        facility=city.facilities["warehouse"], name="Gerbang gudang", source_kind="mjpeg",
        url="http://127.0.0.1:8554/mjpeg/gate", orientation=Orientation.OUTWARD)
    inward = Camera.objects.create(
        facility=city.facilities["kpu_office"], name=INWARD_NAME, source_kind="mjpeg",
        url="http://127.0.0.1:8554/mjpeg/inside", orientation=Orientation.INWARD)
    return outward, inward
