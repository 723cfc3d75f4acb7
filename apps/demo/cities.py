"""The demo world's three fictional cities, one in each of Indonesia's time zones, with their
districts and election facilities (see apps.demo.builder)."""

from __future__ import annotations

from dataclasses import dataclass

from apps.org.models import Region
from apps.places.models import Facility


@dataclass(frozen=True)
class CitySpec:
    slug: str
    province: str
    city: str
    timezone: str
    districts: tuple[str, ...]
    facilities: tuple[tuple[str, str, int, str], ...]  # (kind, name, district index, address)
    with_ppk: bool = False


CITIES = (
    CitySpec(
        slug="karangsari", province="Jawa Timur", city="Kota Karangsari",
        timezone=Region.TimeZone.WIB,
        districts=("Kec. Sukamulya", "Kec. Karangrejo", "Kec. Tanjungsari"),
        facilities=(
            (Facility.Kind.KPU_OFFICE, "Kantor KPU Kota Karangsari", 0, "Jl. Kenari No. 12"),
            (Facility.Kind.BAWASLU_OFFICE, "Kantor Bawaslu Kota Karangsari", 1,
             "Jl. Cempaka No. 4"),
            (Facility.Kind.KPU_WAREHOUSE, "Gudang Logistik KPU Kota Karangsari", 2,
             "Jl. Raya Tanjungsari Km 3"),
        ),
    ),
    CitySpec(
        slug="tanjungwangi", province="Sulawesi Selatan", city="Kota Tanjung Wangi",
        timezone=Region.TimeZone.WITA,
        districts=("Kec. Pantai Timur", "Kec. Bukit Barat"),
        facilities=(
            (Facility.Kind.KPU_OFFICE, "Kantor KPU Kota Tanjung Wangi", 0, "Jl. Pelabuhan 8"),
            (Facility.Kind.BAWASLU_OFFICE, "Kantor Bawaslu Kota Tanjung Wangi", 1,
             "Jl. Anggrek 21"),
        ),
    ),
    CitySpec(
        slug="telukmutiara", province="Papua", city="Kota Teluk Mutiara",
        timezone=Region.TimeZone.WIT,
        districts=("Kec. Mutiara Utara", "Kec. Mutiara Selatan"),
        facilities=(
            (Facility.Kind.KPU_OFFICE, "Kantor KPU Kota Teluk Mutiara", 0, "Jl. Samudera 2"),
            (Facility.Kind.BAWASLU_OFFICE, "Kantor Bawaslu Kota Teluk Mutiara", 0,
             "Jl. Teluk 15"),
            (Facility.Kind.KPU_WAREHOUSE, "Gudang Logistik PPK Mutiara Selatan", 1,
             "Jl. Bandara Lama 7"),
        ),
        with_ppk=True,
    ),
)
