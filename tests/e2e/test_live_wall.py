"""The command center in a real browser: live frames, a live tamper alert, the camera
owner's transparency page, and the camera's own video for the owner agency."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.conftest import log_in
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e


def test_operator_wall_alert_and_owner_transparency(portal, browser):
    context, page = log_in(browser, portal, "operator.karangsari")
    assert page.url.rstrip("/").endswith("/pantauan")
    page.goto(f"{portal.url}/pantauan/?size=9")
    gate = page.locator('[data-camera]', has_text="Gerbang gudang")
    gate.wait_for()

    def frame_at():
        return gate.get_attribute("data-frame-at")

    first = wait_until(frame_at, 30, what="a first frame on the wall")
    wait_until(lambda: frame_at() not in (None, first), 15, what="the frame changes")
    assert gate.locator("img").get_attribute("src").startswith("blob:")
    # The gate has a privacy mask: outside the owner agency, never its unmasked video.
    assert gate.locator("video").count() == 0

    # The demo's history has alerts about this camera already: the new one is the one to see.
    shown_before = page.eval_on_selector_all(
        ".alert-item[data-alert-id]", "(items) => items.map((item) => item.dataset.alertId)")
    portal.control("gudang-gerbang", "cover")
    new_item = ":not(" + ", ".join(f'[data-alert-id="{id_}"]' for id_ in shown_before) + ")" \
        if shown_before else ""
    alert_item = page.locator(f".alert-item{new_item}",
                              has_text=re.compile("gerbang gudang", re.I))
    alert_item.first.wait_for(timeout=20_000)
    assert alert_item.first.get_attribute("data-sounded") == "true"
    portal.control("gudang-gerbang", "uncover")

    alert_item.first.locator("a").click()
    page.wait_for_load_state()

    def evidence_shown() -> bool:
        # Frames from after the event are kept first: the page shows them once saved.
        page.reload()
        return page.locator(".evidence-strip img").count() > 0

    wait_until(evidence_shown, 30, interval=2, what="camera evidence on the alert")

    # The KPU official sees the operator's live view in the access record.
    kpu_context, kpu_page = log_in(browser, portal, "kpu.karangsari")
    kpu_page.goto(f"{portal.url}/kamera/catatan-akses/")
    row = kpu_page.locator("tr", has_text="Operator Posko")
    row.first.wait_for(timeout=10_000)
    assert "Gerbang gudang" in kpu_page.content()
    kpu_context.close()
    context.close()


def test_the_owner_agency_watches_the_cameras_own_video(portal, browser):
    """Passthrough, simulator to Chromium: the KPU official (the gate's mask does not apply
    to its owner agency) gets the camera's H.264 in a <video>, by Media Source Extensions."""
    context, page = log_in(browser, portal, "kpu.karangsari")
    page.goto(f"{portal.url}/pantauan/?size=9")
    gate = page.locator('[data-camera]', has_text="Gerbang gudang")
    gate.wait_for()
    video = gate.locator("video[data-video]")
    wait_until(lambda: video.count() == 1 and video.evaluate("v => v.currentTime") > 1.0,
               45, what="the camera's video playing")
    played = video.evaluate("v => v.currentTime")
    wait_until(lambda: video.evaluate("v => v.currentTime") > played + 1.0, 15,
               what="the video going on")
    assert gate.locator("img").is_hidden()
    context.close()


def test_another_region_cannot_subscribe(portal, browser):
    context, page = log_in(browser, portal, "operator.karangsari")
    page.goto(f"{portal.url}/pantauan/?size=9")
    gate_id = int(page.locator('[data-camera]', has_text="Gerbang gudang")
                  .get_attribute("data-camera"))
    context.close()

    context, page = log_in(browser, portal, "operator.tanjungwangi")
    answer = page.evaluate("""(camera) => new Promise((resolve) => {
        const ws = new WebSocket(`ws://${location.host}/ws/live/`);
        ws.onopen = () => ws.send(JSON.stringify({action: "subscribe", cameras: [camera]}));
        ws.onmessage = (event) => { if (typeof event.data === "string") resolve(event.data); };
        setTimeout(() => resolve("timeout"), 5000);
    })""", gate_id)
    assert json.loads(answer) == {"type": "error", "code": "denied", "camera": gate_id}
    context.close()
