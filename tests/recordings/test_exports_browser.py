"""The evidence export pages in Chromium at phone size (390×844): the form is filled in and
sent like a person would (a facility, the span in its local time, reason, legal basis), the
status page refreshes itself until the bundle is complete and offers the ZIP, and no page
scrolls sideways or logs a console error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.recordings.models import EvidenceExport
from tests.browser import signed_in_context
from tests.cast import gate_and_inside_cameras
from tests.recordings.footage import record
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_an_export_is_asked_for_and_downloaded_on_a_phone(live_server, world, tmp_path,
                                                          monkeypatch, background_runner,
                                                          settings) -> None:
    settings.RECORDINGS_SPOOL = str(tmp_path / "spool")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    gate = gate_and_inside_cameras(world.a)[0]
    start = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    record(gate, tmp_path / "writer", start, 30, max_seconds=10)
    local = timezone.localtime(start, gate.facility.zoneinfo)
    with signed_in_context(live_server, world.a.users["kpu"], viewport=PHONE,
                           accept_downloads=True) as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live_server.url + reverse("exports:list"))
        assert no_sideways_scroll(page)
        page.click(f"a[href='{reverse('exports:create')}']")
        assert no_sideways_scroll(page)
        page.select_option("#id_facility", str(gate.facility_id))
        page.fill("#id_start", f"{local:%Y-%m-%dT%H:%M:%S}")
        page.fill("#id_end", f"{local + timedelta(seconds=20):%Y-%m-%dT%H:%M:%S}")
        page.fill("#id_reason", "Paket mencurigakan di gerbang gudang")
        page.fill("#id_legal_basis", "Surat permintaan penyidik B/12/XII/2026")
        page.click("form.card button[type=submit]")
        export = EvidenceExport.objects.get()
        assert page.url.endswith(export.get_absolute_url())
        # The page refreshes itself every 5 s until the bundle is complete.
        download = page.locator(f"a[href='{reverse('exports:download', args=[export.pk])}']")
        assert wait_until(lambda: download.count() == 1, timeout=60)
        assert no_sideways_scroll(page)
        page.screenshot(path=str(tmp_path / "export-phone.png"), full_page=True)
        with page.expect_download() as caught:
            download.click()
        assert caught.value.suggested_filename == f"bukti-{export.pk}.zip"
        assert not errors, errors
