"""The VAPID key is kept like the other secrets: embedded mode writes it under var/ with the
other keys, cluster mode takes it from the environment and then needs VAPID_SUBJECT."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from apps.core.crypto import new_key
from apps.notifications import webpush
from apps.records.signing import new_signing_key
from portal import keys

ROOT = Path(__file__).resolve().parents[2]


def test_init_keys_writes_a_vapid_key_for_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.setattr(keys, "VAR_DIR", tmp_path / "var")
    monkeypatch.setattr(keys, "STATIC_ROOT", tmp_path / "static")
    assert keys.read_key_file("VAPID_PRIVATE_KEY", required=False) == ""
    written = keys.init_keys()
    path = tmp_path / "var" / "vapid_private_key"
    assert path in written and path.stat().st_mode & 0o777 == 0o600
    private = keys.read_key_file("VAPID_PRIVATE_KEY")
    assert len(webpush.public_key(private)) == 87  # a 65-byte uncompressed P-256 point
    assert keys.init_keys() == []  # never replaced


def _settings_import(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"REDIS_URL", "SECRET_KEY", "DATABASE_URL", "ANCHOR_SIGNING_KEY",
                          "VAPID_PRIVATE_KEY", "VAPID_SUBJECT"}}
    cluster = {"REDIS_URL": "redis://127.0.0.1:6379/0", "SECRET_KEY": "x" * 50,
               "CAMERA_KEYS": new_key(), "ANCHOR_SIGNING_KEY": new_signing_key()}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         " print(bool(settings.VAPID_PRIVATE_KEY))"],
        cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **cluster, **env},
        capture_output=True, text=True, timeout=60)


def test_cluster_mode_sends_push_only_with_a_key_and_a_subject():
    assert _settings_import({}).stdout.strip() == "False"  # push off, nothing required
    refused = _settings_import({"VAPID_PRIVATE_KEY": webpush.new_private_key()})
    assert refused.returncode != 0 and "VAPID_SUBJECT" in refused.stderr
    started = _settings_import({"VAPID_PRIVATE_KEY": webpush.new_private_key(),
                                "VAPID_SUBJECT": "mailto:posko@example.org"})
    assert started.returncode == 0 and started.stdout.strip() == "True", started.stderr
