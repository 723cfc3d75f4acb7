"""The wall's alarm behaviour (static/js/live.js) in Chromium: an alert of a wall camera brings
its tile forward and sounds until acknowledged; an escalation sounds its own pattern; an alert
of a camera not on the wall is marked in the list. The page is served by the test's live
server; its websocket is replaced by a stand-in the test speaks through, with the payloads the
server would push to this person (apps.alerts.fanout)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.alerts.fanout import alert_payloads
from apps.alerts.models import Alert
from apps.alerts.services import alert_acknowledge, alert_escalate_due, alert_raise
from tests.browser import signed_in_context
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

FAKE_SOCKET = """
window.__sockets = [];
class FakeSocket extends EventTarget {
  constructor(url) {
    super(); this.url = url; this.readyState = 0; window.__sockets.push(this);
    setTimeout(() => { this.readyState = 1; this.dispatchEvent(new Event("open")); }, 0);
  }
  send() {}
  close() {}
}
FakeSocket.OPEN = 1;
window.WebSocket = FakeSocket;
window.__deliver = (message) => window.__sockets[window.__sockets.length - 1]
  .dispatchEvent(new MessageEvent("message", { data: JSON.stringify(message) }));
"""


@pytest.fixture
def page(live_server, live_world, monkeypatch):
    # The ORM is used beside Playwright's event loop, in the same thread, by this test only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    operator = live_world.a.users["operator"]
    with signed_in_context(live_server, operator,
                           viewport={"width": 390, "height": 844}) as context:
        context.add_init_script(FAKE_SOCKET)
        page = context.new_page()
        page.goto(f"{live_server.url}{reverse('live:wall')}?size=4&camera={live_world.gate.pk}")
        page.wait_for_function("window.__sockets.length > 0")
        yield page


def _push(page, alert, viewer):
    alert = Alert.objects.select_related("facility", "camera").get(pk=alert.pk)
    [payload] = alert_payloads([alert], viewer)
    page.evaluate("(m) => window.__deliver(m)", {**payload, "type": "alert"})


def test_an_alarm_comes_forward_and_sounds_until_acknowledged(page, live_world):
    operator, commander = live_world.a.users["operator"], live_world.a.users["commander"]
    warehouse = live_world.a.facilities["warehouse"]
    tile = page.locator(f'[data-camera="{live_world.gate.pk}"]')
    root = page.locator("[data-live]")
    assert "is-alarm" not in tile.get_attribute("class")

    gate_alert, _ = alert_raise(kind=Alert.Kind.TAMPER, severity=Alert.Severity.HIGH,
                                facility=warehouse, camera=live_world.gate,
                                dedup_key="tamper:gate", title="Lensa tertutup")
    _push(page, gate_alert, operator)
    wait_until(lambda: "is-alarm" in tile.get_attribute("class"), 5, what="the tile forward")
    assert root.get_attribute("data-alarm") == "alarm"
    # No click yet: the browser keeps sound off, and the page offers to turn it on.
    control = page.locator("[data-sound-control]")
    if control.is_visible():
        control.click()
    wait_until(lambda: int(root.get_attribute("data-sounds") or 0) >= 1, 10,
               what="the alarm sounding")

    # Not on the wall (no camera): the list marks it instead.
    other, _ = alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                           facility=warehouse, dedup_key="door", title="Pintu terbuka")
    _push(page, other, operator)
    item = page.locator(f'.alert-item[data-alert-id="{other.pk}"]')
    wait_until(lambda: "is-alarm" in (item.get_attribute("class") or ""), 5,
               what="the list marking the alert")

    alert_escalate_due(now=timezone.now() + timedelta(minutes=11))
    _push(page, gate_alert, operator)
    wait_until(lambda: root.get_attribute("data-alarm") == "escalated", 5,
               what="the escalated pattern")
    assert "is-escalated" in tile.get_attribute("class")
    assert page.locator(f'.alert-item[data-alert-id="{gate_alert.pk}"] .badge').is_visible()

    # Acknowledged by someone else: the tile goes back; the other alert still sounds.
    alert_acknowledge(alert=gate_alert, user=commander)
    _push(page, gate_alert, operator)
    wait_until(lambda: "is-alarm" not in tile.get_attribute("class"), 5, what="tile back")
    assert root.get_attribute("data-alarm") == "alarm"
    alert_acknowledge(alert=other, user=operator)
    _push(page, other, operator)
    wait_until(lambda: root.get_attribute("data-alarm") == "", 5, what="the sound stopping")
    assert "is-alarm" not in item.get_attribute("class")
