"""Small things people read: grouped counts, the late badge in words, the admin in the
portal's name, and a confirmation after saving a wall layout."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from apps.duty.models import Attendance, GuardPost, Shift
from apps.records.models import Criterion
from apps.records.services import checks


def _render(source: str, **context) -> str:
    return Template("{% load posko %}" + source).render(Context(context))


def test_counts_are_grouped_in_the_readers_language():
    with translation.override("id"):
        assert _render("{{ n|thousands }}", n=412500) == "412.500"
    with translation.override("en"):
        assert _render("{{ n|thousands }}", n=412500) == "412,500"
    assert _render("{{ n|thousands }}", n=None) == "—"


def test_a_warehouse_check_shows_quantities_grouped(client, world):
    official = world.a.users["kpu"]
    check = checks.warehouse_check_record(
        user=official, facility=world.a.facilities["warehouse"],
        entry=checks.CheckInput(client_key=uuid.uuid4(), items=[checks.ItemInput(
            kind="ballot_papers", expected_qty=412500, counted_qty=412480)],
            criteria={k: {"ok": True} for k in Criterion.values})).record
    client.force_login(official)
    body = client.get(reverse("records:check_detail", args=[check.pk])).content.decode()
    assert "412.500" in body and "412.480" in body and "412500" not in body


def test_the_late_badge_reads_in_words(client, world):
    post = GuardPost.objects.create(facility=world.a.facilities["warehouse"], name="Gerbang")
    start = datetime.now(ZoneInfo("Asia/Jakarta")).replace(minute=0, second=0, microsecond=0)
    shift = Shift.objects.create(post=post, person=world.a.users["field_polri"],
                                 start=start - timedelta(hours=1), end=start + timedelta(hours=7))
    Attendance.objects.create(shift=shift, person=shift.person, post=post,
                              checked_in_at=shift.start + timedelta(minutes=12),
                              check_in_received_at=shift.start + timedelta(minutes=12),
                              late_minutes=12)
    client.force_login(world.a.users["padal"])
    body = client.get(reverse("duty:roster", args=[post.pk]),
                      {"from": shift.start.date().isoformat()}).content.decode()
    assert "hadir, terlambat 12 menit" in body and "+12" not in body


def test_the_admin_carries_the_portals_name(client, world):
    client.force_login(world.a.users["admin"])
    body = client.get(reverse("admin:index")).content.decode()
    assert "Administrasi Posko" in body and "Django administration" not in body
    assert "Administrasi Django" not in body


def test_saving_a_wall_layout_is_confirmed(client, world):
    client.force_login(world.a.users["operator"])
    response = client.post(reverse("live:save_layout"), {"size": "4", "name": "Malam"},
                           follow=True)
    assert response.status_code == 200
    assert "Tata letak “Malam” tersimpan" in response.content.decode()
