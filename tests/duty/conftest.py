"""Duty fixtures on top of the cast (tests/cast.py): a post at each facility of city A and B,
and small factories for shifts and check-ins. Times are fixed with time-machine where rules
depend on "now"."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from PIL import Image

from apps.duty.models import Attendance, CoverageStandard, GuardPost, Shift

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 WIB, 11:00 WITA


@dataclass
class DutyWorld:
    world: object
    posts: dict[tuple[str, str], GuardPost]

    def post(self, city: str = "A", facility: str = "kpu_office") -> GuardPost:
        return self.posts[(city, facility)]

    def user(self, name: str, city: str = "A"):
        return getattr(self.world, city.lower()).users[name]


@pytest.fixture
def duty(world) -> DutyWorld:
    posts = {}
    for city in (world.a, world.b):
        for name, facility in city.facilities.items():
            posts[(city.key, name)] = GuardPost.objects.create(
                facility=facility, name=f"Gerbang {name}", is_main=True)
    return DutyWorld(world, posts)


def make_shift(post: GuardPost, person, start: datetime, hours: float = 8, *,
               published: bool = True, **extra) -> Shift:
    return Shift.objects.create(
        post=post, person=person, pillar=person.agency.pillar if person else "",
        start=start, end=start + timedelta(hours=hours),
        published_at=start - timedelta(days=2) if published else None, **extra)


def make_attendance(shift: Shift, check_in: datetime | None = None,
                    check_out: datetime | None = None, **extra) -> Attendance:
    check_in = check_in or shift.start
    return Attendance.objects.create(
        shift=shift, person=shift.person, post=shift.post, pillar=shift.pillar,
        checked_in_at=check_in, check_in_received_at=check_in, checked_out_at=check_out,
        check_out_received_at=check_out, **extra)


def night_standard(post: GuardPost, since: datetime) -> list[CoverageStandard]:
    """The warehouse rule: 2 by day, 3 by night with one of each pillar."""
    return [
        CoverageStandard.objects.create(post=post, band_start=time(6), band_end=time(18),
                                        min_personnel=2, valid_from=since),
        CoverageStandard.objects.create(post=post, band_start=time(18), band_end=time(6),
                                        min_personnel=3, required_pillars=["polri", "tni",
                                                                           "pemda"],
                                        valid_from=since),
    ]


def jpeg_bytes(size=(800, 600), colour=(200, 30, 30), exif: bytes | None = None,
               fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, colour)
    kwargs = {"exif": exif} if exif else {}
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()
