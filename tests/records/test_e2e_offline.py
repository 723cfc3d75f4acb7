"""The issue's "done when", in a real browser: a field officer opens a checkpoint label's URL
(what the phone's camera app does with the QR) and types another label's code, goes offline,
records two visits, comes back online, and exactly two visits appear, once (sent through
the API, /api/sync/patrol-visits/); a resend of the same entries changes nothing; a forged QR
is refused; incidents reported offline are sent as their form, a refused one kept with the
form's error.

The portal runs as a real process (`manage.py serve`, embedded mode, the demo loaded into a
temporary SQLite database); the browser is Debian's Chromium driven by Playwright. Every wait
is on a condition with a deadline. BarcodeDetector is not available headless: opening the
label URL and typing the code are the two fallbacks the page offers anyway."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signing

from apps.demo.builder import DEMO_PASSWORD
from apps.records.tokens import TOKEN_SALT
from tests.waiting import wait_until

# The timeout covers the module's portal too: migrate and the demo (without its history).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
OFFICER = "polisi.karangsari"
OFFICE = "Kantor KPU Kota Karangsari"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's Chromium is not installed")
    pytest.importorskip("playwright.sync_api")
    root = tmp_path_factory.mktemp("portal")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{root / 'posko.sqlite3'}",
           "MEDIA_ROOT": str(root / "media"), "DEBUG": "true", "DEMO_MODE": "true",
           "ANCHOR_WITNESS_DIR": str(root / "witness"),
           "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "SITE_ORIGINS": f"http://127.0.0.1:{port}", "LOG_LEVEL": "WARNING",
           # The portal signs labels with the tests' key, so the test can print one.
           "SECRET_KEY": settings.SECRET_KEY}
    env.pop("REDIS_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    manage = [sys.executable, "manage.py"]
    cwd = settings.BASE_DIR
    # As `make run` does; the demo's two weeks of history are irrelevant to one officer's
    # offline visits.
    for command in (["init_keys"], ["migrate", "--noinput", "-v0"], ["load_demo", "--no-history"]):
        subprocess.run([*manage, *command], cwd=cwd, env=env, check=True,
                       stdout=subprocess.DEVNULL, timeout=300)
    log = (root / "serve.log").open("w")
    server = subprocess.Popen([*manage, "serve", "--no-camsim", "--port", str(port)],
                              cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: server.poll() is None and _answers(f"{base}/akun/masuk/"),
                    timeout=60, what="the portal to answer")
        yield {"base": base, "db": root / "posko.sqlite3"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _query(db: Path, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def _checkpoint(db: Path, name: str) -> tuple[int, str, int]:
    return _query(db, "SELECT c.id, c.code, c.token_version FROM records_checkpoint c "
                      "JOIN places_facility f ON f.id = c.facility_id "
                      "WHERE f.name = ? AND c.name = ?", (OFFICE, name))[0]


def _visits(db: Path) -> list[tuple]:
    return _query(db, "SELECT v.client_key, c.name, v.method, v.device_time, v.received_at "
                      "FROM records_patrolvisit v JOIN accounts_user u ON u.id = v.recorded_by_id "
                      "JOIN records_checkpoint c ON c.id = v.checkpoint_id "
                      "WHERE u.username = ? ORDER BY v.id", (OFFICER,))


def _incidents(db: Path) -> list[tuple]:
    return _query(db, "SELECT i.description FROM records_incident i "
                      "JOIN accounts_user u ON u.id = i.reporter_id "
                      "WHERE u.username = ? ORDER BY i.id", (OFFICER,))


def _outbox_count(page) -> str:
    return page.locator("[data-outbox-count]").inner_text().strip()


def test_offline_visits_arrive_exactly_once_and_a_forged_qr_is_refused(portal):
    from playwright.sync_api import expect, sync_playwright

    base, db = portal["base"], portal["db"]
    gate_id, _gate_code, gate_version = _checkpoint(db, "Gerbang utama KPU")
    _fence_id, fence_code, _v = _checkpoint(db, "Pojok pagar belakang KPU")
    # The label's QR holds this URL (signed with the key the portal was given: SECRET_KEY).
    token = signing.Signer(salt=TOKEN_SALT).sign_object({"c": gate_id, "v": gate_version})
    before = len(_visits(db))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base, locale="id-ID")
        # Content-Security-Policy violations on any page are collected (there must be none).
        context.add_init_script("""window.__csp = [];
            document.addEventListener("securitypolicyviolation",
                (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));""")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_default_timeout(20_000)
        try:
            page.goto("/akun/masuk/")
            page.fill("#id_username", OFFICER)
            page.fill("#id_password", DEMO_PASSWORD)
            page.click("main form button[type=submit]")
            page.wait_for_url(lambda url: "/akun/masuk/" not in url)

            # The phone's camera app opened the label: the page holds the token.
            page.goto(f"/patroli/?t={token}")
            expect(page.locator("[data-scan-state]")).to_be_visible()
            # The scan names its checkpoint and facility, not just "QR read".
            expect(page.locator("[data-scan-state]")).to_contain_text("Gerbang utama KPU")
            expect(page.locator("[data-scan-state]")).to_contain_text(OFFICE)
            page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")

            context.set_offline(True)
            page.wait_for_function("() => !navigator.onLine")
            page.click("form.js-outbox button[type=submit]")  # visit 1: the scanned QR
            expect(page.locator("[data-outbox-count]")).to_have_text("1")
            page.fill("#id_code", fence_code.lower())  # visit 2: the typed code
            page.check("input[name=situation][value=issue]")
            page.fill("#id_notes", "Lampu pagar belakang mati")
            page.click("form.js-outbox button[type=submit]")
            expect(page.locator("[data-outbox-count]")).to_have_text("2")
            expect(page.locator("[data-outbox-list] li")).to_have_count(2)
            assert len(_visits(db)) == before  # nothing reached the server while offline
            queued = page.evaluate("""() => new Promise((resolve) => {
                const open = indexedDB.open("posko-field");
                open.onsuccess = () => {
                    const get = open.result.transaction("outbox").objectStore("outbox").getAll();
                    get.onsuccess = () => resolve(get.result.map((e) => ({
                        sync: e.sync, fields: e.fields.filter((f) => typeof f[1] === "string"),
                    })));
                };
            })""")
            assert len(queued) == 2
            assert {entry["sync"] for entry in queued} == {"/api/sync/patrol-visits/"}

            context.set_offline(False)
            expect(page.locator("[data-outbox-count]")).to_have_text("0", timeout=30_000)
            expect(page.locator("[data-outbox-sent] li")).to_have_count(2)
            # The latest visits are read again once the queue was sent, without a reload.
            expect(page.locator("[data-recent-visits]")).to_contain_text(
                "Pojok pagar belakang KPU", timeout=10_000)
            visits = _visits(db)[before:]
            assert [(name, method) for _key, name, method, *_ in visits] == [
                ("Gerbang utama KPU", "qr"), ("Pojok pagar belakang KPU", "code")]
            assert len({key for key, *_ in visits}) == 2
            assert all(device and received for *_x, device, received in visits)

            # The same entries sent again (a retry after a lost answer), as the queue sends
            # them: still two visits.
            statuses = page.evaluate("""async (entries) => {
                const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
                const numbers = ["checkpoint", "patrol", "accuracy_m", "latitude", "longitude"];
                const visits = entries.map((entry) => Object.fromEntries(entry.fields
                    .filter(([, value]) => value !== "")
                    .map(([name, value]) => [name, numbers.includes(name) ? Number(value)
                                                                          : value])));
                const response = await fetch(entries[0].sync, {method: "POST",
                    body: JSON.stringify({visits}), headers: {"X-CSRFToken": token,
                    "Content-Type": "application/json", "Accept": "application/json"}});
                return (await response.json()).results.map((r) => [r.status, r.result]);
            }""", queued)
            assert statuses == [[200, "duplicate"], [200, "duplicate"]]
            assert len(_visits(db)) == before + 2

            page.reload()
            recent = page.locator("[data-recent-visits] li").all_inner_texts()
            assert sum("Gerbang utama KPU" in line for line in recent) == 1
            assert sum("Pojok pagar belakang KPU" in line for line in recent) == 1

            # A forged QR (the payload of the real one, another signature): refused.
            payload = token.rsplit(":", 1)[0]
            page.goto(f"/patroli/?t={payload}:bm90LXRoZS1wb3J0YWwta2V5LXNpZ25hdHVyZQ")
            expect(page.locator("[data-scan-state]")).to_be_visible()
            page.click("form.js-outbox button[type=submit]")
            refused = page.locator("[data-outbox-list] li.outbox-refused")
            expect(refused).to_have_count(1)
            expect(refused).to_contain_text("QR")
            assert len(_visits(db)) == before + 2

            # Incidents are queued the same way and sent as their form: one is recorded once
            # the network returns; one the form refuses stays, with the form's own error.
            incidents = len(_incidents(db))
            page.goto("/insiden/baru/")
            context.set_offline(True)
            page.wait_for_function("() => !navigator.onLine")
            page.select_option("#id_facility", label=OFFICE)
            page.fill("#id_description", "Spanduk dirusak di depan gerbang")
            page.click("form.js-outbox button[type=submit]")
            page.select_option("#id_facility", label=OFFICE)
            page.click("form.js-outbox button[type=submit]")  # no description: refused
            expect(page.locator("[data-outbox-count]")).to_have_text("2")
            context.set_offline(False)
            expect(page.locator("[data-outbox-count]")).to_have_text("0", timeout=30_000)
            refused = page.locator("[data-outbox-list] li.outbox-refused", has_text="Kejadian")
            expect(refused).to_have_count(1)
            # The form's message for the empty description, not a bare status code.
            expect(refused).to_contain_text("Keterangan: Bidang ini harus diisi.")
            assert _incidents(db)[incidents:] == [("Spanduk dirusak di depan gerbang",)]
            assert page.evaluate("window.__csp") == []
            assert errors == []
        finally:
            context.close()
            browser.close()
