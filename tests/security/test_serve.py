"""`manage.py serve` as a fresh clone runs it: DEBUG off, nothing collected, any port. It
prepares what it serves: static files, error pages without debug output, its own origins."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.integration.processes import free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.xdist_group("serial")  # starts a real server


def _get(url: str, **headers: str) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def served(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "REDIS_URL", "DEBUG", "SITE_ORIGINS"))}
    env |= {"DEBUG": "false", "DJANGO_SETTINGS_MODULE": "portal.settings",
            "LOG_LEVEL": "WARNING", "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
            "MEDIA_ROOT": str(tmp_path / "media")}
    # As `make run` starts: embedded mode's keys first (kept if the checkout has them).
    subprocess.run([sys.executable, "manage.py", "init_keys"], cwd=settings.BASE_DIR, env=env,
                   check=True, capture_output=True, timeout=60)
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--no-camsim"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert process.poll() is None, Path(log.name).read_text()
        try:
            return _get(f"{base}/static/css/posko.css")[0] == 200
        except OSError:
            return False

    try:
        wait_until(up, 90, what="serve answering")
        yield base, Path(log.name)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_a_fresh_clone_serves_pages_static_files_and_its_own_origins(served):
    base, log = served
    port = base.rsplit(":", 1)[1]
    status, headers, body = _get(f"{base}/akun/masuk/")
    assert status == 200
    css = body.split('rel="stylesheet" href="')[1].split('"')[0]
    assert _get(base + css)[0] == 200  # the page's own stylesheet, without collectstatic
    assert f"ws://127.0.0.1:{port}" in headers["Content-Security-Policy"]
    assert f"Accepting websockets and forms from http://127.0.0.1:{port}" in log.read_text()

    status, _headers, body = _get(f"{base}/tidak-ada/")
    assert status == 404 and "Halaman tidak ditemukan" in body
    assert "URLconf" not in body and "urlpatterns" not in body  # no debug page
