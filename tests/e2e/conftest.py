"""The portal as `make run` starts it (embedded mode, demo data, camera simulator), on free
ports, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import sys
import urllib.request

import pytest

from tests.integration.processes import Processes, free_port
from tests.waiting import wait_until

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


# The tests' own database and Redis, settings `make run` decides itself, and the make flags of
# a `make test` around the tests (its jobserver is not the inner make's).
NOT_INHERITED = ("DATABASE_URL", "REDIS", "DEBUG", "SITE_ORIGINS", "MAKE", "MFLAGS")


@pytest.fixture(scope="package")
def portal(tmp_path_factory):
    """`make run` itself, on a free port: what it serves (settings, static files, origins) is
    what people get. Only the data goes elsewhere: a fresh database and media folder, the
    simulator on free ports, short evidence clips. One portal for all the browser tests (the
    demo takes a while to load); it stops after the last of them."""
    work = tmp_path_factory.mktemp("portal")
    web, http, rtsp = free_port(), free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)},
        "DATABASE_URL": f"sqlite:///{work / 'portal.sqlite3'}",
        "MEDIA_ROOT": str(work / "media"), "DJANGO_SETTINGS_MODULE": "portal.settings",
        "CAMSIM_HTTP_PORT": str(http), "CAMSIM_RTSP_PORT": str(rtsp),
        "CAMERA_EVIDENCE_BEFORE": "4", "CAMERA_EVIDENCE_AFTER": "4",
    }
    processes = Processes(env, work)
    try:
        # The virtualenv running the tests is make's; -o: never reinstall it from here.
        make_run = processes.start(
            "make-run", "make", "--no-print-directory", "-o", f"{sys.prefix}/.runtime", "run",
            f"VENV={sys.prefix}", f"PORT={web}")
        base, log = f"http://127.0.0.1:{web}", work / "make-run.log"

        def healthy() -> bool:
            if make_run.poll() is not None:
                raise AssertionError("make run exited")
            try:
                return urllib.request.urlopen(f"{base}/healthz", timeout=2).status == 200
            except OSError:
                return False

        try:
            wait_until(healthy, 300, what="portal up")
        except AssertionError as error:
            raise AssertionError(f"{error}:\n{log.read_text()[-3000:]}") from None
        yield Portal(base, f"http://127.0.0.1:{http}", processes)
    finally:
        processes.stop_all()


@pytest.fixture(scope="package")
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
