"""The portal as `make run` starts it (embedded mode, demo data, camera simulator), on free
ports, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import sys
import urllib.request

import pytest

from tests.integration.processes import Processes, free_port, wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class Portal:
    def __init__(self, url: str, camsim: str, processes: Processes) -> None:
        self.url = url
        self.camsim = camsim
        self.processes = processes

    def control(self, camera: str, action: str) -> None:
        request = urllib.request.Request(f"{self.camsim}/control/{camera}/{action}", method="POST")
        urllib.request.urlopen(request, timeout=5).read()


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    work = tmp_path_factory.mktemp("portal")
    web, http, rtsp = free_port(), free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS"))},
        "DATABASE_URL": f"sqlite:///{work / 'portal.sqlite3'}",
        "MEDIA_ROOT": str(work / "media"), "DEBUG": "true", "POSKO_TESTING": "false",
        "CAMSIM_HTTP_PORT": str(http), "CAMSIM_RTSP_PORT": str(rtsp),
        "SITE_ORIGINS": f"http://127.0.0.1:{web}", "ALLOWED_HOSTS": "127.0.0.1",
        "CAMERA_EVIDENCE_BEFORE": "4", "CAMERA_EVIDENCE_AFTER": "4",
    }
    processes = Processes(env, work)
    try:
        processes.manage("migrate", "--noinput", "-v0")
        processes.manage("load_demo")
        processes.start("serve", sys.executable, "manage.py", "serve", "--port", str(web))
        base = f"http://127.0.0.1:{web}"

        def healthy() -> bool:
            try:
                return urllib.request.urlopen(f"{base}/healthz", timeout=2).status == 200
            except OSError:
                return False

        wait_for(healthy, 60, what="portal up")
        yield Portal(base, f"http://127.0.0.1:{http}", processes)
    finally:
        processes.stop_all()


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def log_in(browser, portal: Portal, username: str):
    from apps.demo.builder import DEMO_PASSWORD

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{portal.url}/akun/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main form.stack button[type=submit]")
    page.wait_for_load_state()
    try:
        from tests.e2e.otp import complete_otp_step
    except ImportError:
        pass
    else:
        complete_otp_step(page, username)
    return context, page
