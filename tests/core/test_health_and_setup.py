from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from apps.accounts.models import User
from apps.core.crypto import new_key
from apps.demo.builder import build_demo
from apps.places.models import Facility, Operation
from apps.records.signing import new_signing_key

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_every_component(client, db, background_runner):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "channel_layer", "broker", "workers", "origins"}
    assert all(c["ok"] for c in body["components"].values())


def test_healthz_is_503_when_a_component_fails(client, db, background_runner, monkeypatch):
    from apps.core import health

    monkeypatch.setitem(health.CHECKS, "database", lambda: (False, {"error": "down"}))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["components"]["database"] == {"ok": False}


def _cluster_workers(monkeypatch):
    from apps.core import health

    workers = {"streams@host-1": {"pid": 4242, "queues": ["streams"], "cameras": [7, 9]}}
    monkeypatch.setitem(health.CHECKS, "workers",
                        lambda: (True, {"kind": "celery", "workers": workers}))
    monkeypatch.setitem(health.CHECKS, "broker", lambda: (False, {"kind": "redis",
                                                                  "error": "ConnectionError"}))


def test_healthz_tells_anyone_the_status_but_not_the_inventory(client, world, monkeypatch):
    """A load balancer needs healthy or not; the workers, their cameras and the error names
    are for administrators past the second login step."""
    _cluster_workers(monkeypatch)
    body = client.get("/healthz").json()
    assert body["components"]["workers"] == {"ok": True}
    assert body["components"]["broker"] == {"ok": False}
    assert "host-1" not in str(body) and "4242" not in str(body)
    for who in ("operator", "commander"):
        client.force_login(world.a.users[who])
        assert "host-1" not in client.get("/healthz").content.decode()
    admin_user = world.a.users["admin"]
    client.force_login(admin_user, otp=False)  # password only: not yet past the code step
    assert "host-1" not in client.get("/healthz").content.decode()
    client.force_login(admin_user)
    body = client.get("/healthz").json()
    assert body["components"]["workers"]["workers"]["streams@host-1"]["cameras"] == [7, 9]
    assert body["components"]["broker"]["error"] == "ConnectionError"


def test_healthz_keeps_a_checks_short_public_status(client, db, monkeypatch):
    from apps.core import health

    monkeypatch.setitem(health.CHECKS, "websockets",
                        lambda: (False, {"status": "origin refused", "origins": ["x"]}))
    body = client.get("/healthz").json()
    assert body["components"]["websockets"] == {"ok": False, "status": "origin refused"}


def test_demo_is_idempotent(db):
    # The world without its history: tests/demo/test_history.py rebuilds the full demo.
    build_demo(with_history=False)
    counts = (User.objects.count(), Facility.objects.count(), Operation.objects.count())
    build_demo(with_history=False)
    assert (User.objects.count(), Facility.objects.count(), Operation.objects.count()) == counts
    zones = set(Facility.objects.values_list("region__timezone", flat=True))
    assert zones == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}


def test_demo_records_and_shares_recordings_and_puts_operators_on_watch(db):
    """What a visitor of the demo can try: footage to review (the warehouse gate records all
    the time, the KPU gate around events), reviewable by the Polres only, whose operator is
    on watch (told first of a high alert)."""
    from apps.access import policy
    from apps.alerts.models import CommandWatch
    from apps.cameras.models import Camera, CameraShare

    build_demo(with_history=False)
    build_demo(with_history=False)
    modes = dict(Camera.objects.exclude(recording_mode="off")
                 .values_list("facility__name", "recording_mode"))
    assert modes == {"Gudang Logistik KPU Kota Karangsari": "continuous",
                     "Kantor KPU Kota Karangsari": "events"}
    with_recordings = CameraShare.objects.valid_at().filter(recordings=True)
    assert set(with_recordings.values_list("grantee__name", flat=True)) == {"Polres Karangsari"}
    assert with_recordings.count() == 2
    operator = User.objects.get(username="operator.karangsari")
    gate = Camera.objects.get(facility__name="Gudang Logistik KPU Kota Karangsari",
                              name="Gerbang gudang")
    assert policy.reviewable_cameras(operator).filter(pk=gate.pk).exists()
    now = timezone.now()
    assert CommandWatch.objects.filter(person=operator, start__lte=now, end__gt=now).count() == 1


def test_demo_refuses_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError):
        call_command("load_demo")
    assert not User.objects.exists()


def test_no_default_accounts_after_migrations(db):
    assert not User.objects.filter(username__in=["admin", "root", "administrator"]).exists()
    assert not User.objects.exists()


def _settings_import(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"REDIS_URL", "SECRET_KEY", "DATABASE_URL", "ANCHOR_SIGNING_KEY"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True, text=True, timeout=60,
    )


def test_cluster_mode_refuses_to_start_without_a_secret_key():
    result = _settings_import({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_cluster_mode_refuses_to_start_without_camera_keys():
    result = _settings_import({"REDIS_URL": "redis://127.0.0.1:6379/0", "SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "CAMERA_KEYS is required" in result.stderr


def test_cluster_mode_refuses_to_start_without_an_anchor_signing_key():
    result = _settings_import({"REDIS_URL": "redis://127.0.0.1:6379/0", "SECRET_KEY": "x" * 50,
                               "CAMERA_KEYS": new_key()})
    assert result.returncode != 0
    assert "ANCHOR_SIGNING_KEY is required" in result.stderr


def test_cluster_mode_starts_with_a_secret_key():
    result = _settings_import({"REDIS_URL": "redis://127.0.0.1:6379/0",
                               "SECRET_KEY": "x" * 50, "CAMERA_KEYS": new_key(),
                               "ANCHOR_SIGNING_KEY": new_signing_key()})
    assert result.returncode == 0, result.stderr


def test_translations_are_committed_and_complete():
    po = (ROOT / "locale/id/LC_MESSAGES/django.po").read_text()
    catalog = read_po(io.StringIO(po))
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert not untranslated
