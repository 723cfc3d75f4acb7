"""Production configuration, dependency floors and the secrets' home (security plan T-CFG-1,
T-CFG-2, T-CFG-4, T-SEC-4)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from django.conf import settings
from packaging.version import Version

from apps.core.crypto import new_key
from apps.records.signing import new_signing_key

ROOT = Path(settings.BASE_DIR)

# The newest releases with security fixes known when this was written (Django 5.2 LTS line).
VERSION_FLOORS = {
    "django": "5.2.19",
    "daphne": "4.2.3",
    "channels": "4.3.2",
    "cryptography": "50.0.2",
    "kombu": "5.7.0",
}


@pytest.mark.parametrize(("package", "floor"), VERSION_FLOORS.items())
def test_installed_versions_have_the_known_security_fixes(package, floor):
    assert Version(version(package)) >= Version(floor)


def test_python_is_recent_enough():
    assert sys.version_info >= (3, 11)


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "POSKO_", "DATABASE_", "REDIS_", "SECRET_KEY",
                                "CAMERA_KEYS", "ANCHOR_", "DEMO_", "HTTPS", "DEBUG"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "REDIS_URL": "redis://127.0.0.1:6399/0",  # never contacted by these commands
        "SECRET_KEY": "p" + os.urandom(48).hex(),
        "CAMERA_KEYS": new_key(),
        "ANCHOR_SIGNING_KEY": new_signing_key(),
        "DEBUG": "false",
        "HTTPS": "true",
        "ALLOWED_HOSTS": "posko.example.go.id",
        "SITE_ORIGINS": "https://posko.example.go.id",
    })
    env.update(extra)
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_deployment_checks_pass_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120,
        check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


SETTINGS_DUMP = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "session_cookie": [s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,
                       s.SESSION_COOKIE_SAMESITE],
    "csrf_cookie": [s.CSRF_COOKIE_NAME, s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY],
    "hsts": [s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT],
    "debug": s.DEBUG, "demo": s.DEMO_MODE,
    "db": [s.DATABASES["default"]["ENGINE"], s.DATABASES["default"].get("CONN_MAX_AGE"),
           "pool" in s.DATABASES["default"].get("OPTIONS", {})],
    "upload": s.DATA_UPLOAD_MAX_MEMORY_SIZE,
    "axes": [s.AXES_LOCKOUT_PARAMETERS, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds()],
    "otp": [s.OTP_TOTP_THROTTLE_FACTOR, s.OTP_STATIC_THROTTLE_FACTOR],
    "csp": s.CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "sessions": [s.SESSION_ABSOLUTE_LIFETIME, s.SESSION_IDLE_TIMEOUT],
    "silenced": s.SILENCED_SYSTEM_CHECKS,
    "secret": s.SECRET_KEY, "camera_keys": s.CAMERA_KEYS,
}))
"""


def production_settings(**extra: str) -> dict:
    result = run_python(SETTINGS_DUMP, production_env(**extra))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_follow_the_checklist():
    s = production_settings(DATABASE_URL="postgres://posko@127.0.0.1:5432/posko")
    assert s["session_cookie"] == ["__Host-sessionid", True, True, "Lax"]
    assert s["csrf_cookie"] == ["__Host-csrftoken", True, True]
    assert s["hsts"][0] >= 31_536_000 and s["hsts"][1:] == [True, True]
    assert s["debug"] is False and s["demo"] is False
    assert s["db"] == ["django.db.backends.postgresql", 0, True]
    assert s["upload"] <= 1024 * 1024
    assert s["axes"] == [[["username", "ip_address"]], 5, 15 * 60]
    assert s["otp"] == [1, 1]
    csp = s["csp"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(csp["script-src"])
    assert "wss://posko.example.go.id" in csp["connect-src"]
    assert s["sessions"] == [12 * 3600, 3600]


def test_silenced_checks_each_have_a_reason():
    """Any silenced system check must be explained next to it in the settings."""
    source = "\n".join(path.read_text() for path in (ROOT / "portal" / "settings").glob("*.py"))
    for check in settings.SILENCED_SYSTEM_CHECKS:
        line = next(line for line in source.splitlines() if f'"{check}"' in line)
        assert "#" in line, f"{check} is silenced without a reason"


def test_secrets_can_come_from_files(tmp_path):
    secret_file, keys_file = tmp_path / "secret_key", tmp_path / "camera_keys"
    secret_file.write_text("k" * 60 + "\n")
    keys = [new_key(), new_key()]
    keys_file.write_text("\n".join(keys) + "\n")
    env = production_env(SECRET_KEY_FILE=str(secret_file), CAMERA_KEYS_FILE=str(keys_file))
    del env["SECRET_KEY"], env["CAMERA_KEYS"]
    result = run_python(SETTINGS_DUMP, env)
    assert result.returncode == 0, result.stderr
    dumped = json.loads(result.stdout.strip().splitlines()[-1])
    assert dumped["secret"] == "k" * 60 and dumped["camera_keys"] == keys


@pytest.mark.parametrize("missing", ["SECRET_KEY", "CAMERA_KEYS", "ANCHOR_SIGNING_KEY"])
def test_cluster_mode_refuses_to_start_without_its_secrets(missing):
    env = production_env()
    del env[missing]
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert f"{missing} is required" in result.stderr


def test_a_secret_given_twice_is_refused(tmp_path):
    (tmp_path / "k").write_text("x" * 60)
    result = run_python("import django; django.setup()",
                        production_env(SECRET_KEY_FILE=str(tmp_path / "k")))
    assert result.returncode != 0 and "not both" in result.stderr


def test_no_secret_is_kept_in_the_repository():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "/var/" in ignored and ".env" in ignored  # embedded keys live under var/
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run([git, "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert not [f for f in tracked if f == ".env" or f.startswith("var/")
                or f.endswith(("secret_key", "camera_keys", ".pem", ".key"))]


def test_bandit_finds_nothing_above_low_severity():
    bandit = shutil.which("bandit") or str(Path(sys.executable).with_name("bandit"))
    if not Path(bandit).exists():
        pytest.skip("bandit is not installed")
    result = subprocess.run([bandit, "-q", "-c", "pyproject.toml", "-r", "apps", "portal",
                             "-ll"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
