"""The service worker (static/js/records-sw.js, served at /sw.js) in Chromium: a push message
as the portal sends it is shown as a notification with the alert's title, body, tag, URL and
the acknowledge action. The message is handed to the worker through the DevTools protocol
(ServiceWorker.deliverPushMessage), as a push service would after decrypting it.

Clicks come from a desktop: Chromium on Linux shows notifications through the desktop's
notification server when one is on the session bus, and a click there is the worker's real
`notificationclick` (tests/notifications/desktop_notifications.py on a private bus). A click
opens the alert's page, or focuses it where it is open; "Acknowledge" acknowledges the alert
with the notification's token and opens nothing."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from apps.alerts import redaction
from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.notifications import sending
from apps.notifications.models import PushAttempt
from tests.browser import signed_in_context
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]  # a real browser



class Desktop:
    """The notification server's side of the session bus: what Chromium showed, and clicks."""

    def __init__(self, server: subprocess.Popen) -> None:
        self.server = server
        self.lines: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.server.stdout:
            self.lines.put(json.loads(line))

    def next_shown(self, timeout: float = 10) -> dict:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no notification shown within {timeout} s") from None

    def invoke(self, shown: dict, action: str) -> None:
        self.server.stdin.write(f"{shown['id']} {action}\n")
        self.server.stdin.flush()


@pytest.fixture
def desktop(monkeypatch, tmp_path):
    """A private session bus with a notification server on it, for the browser started next."""
    helper = Path(__file__).with_name("desktop_notifications.py")
    probe = subprocess.run(["/usr/bin/python3", "-c", "import dbus, gi"], check=False,
                           capture_output=True)
    if not shutil.which("dbus-daemon") or probe.returncode != 0:
        pytest.skip("dbus-daemon, python3-dbus or python3-gi is not installed")
    address = f"unix:path={tmp_path}/bus"
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", f"--address={address}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = None
    try:
        wait_until(lambda: (tmp_path / "bus").exists(), 10, what="the session bus")
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address}
        server = subprocess.Popen(["/usr/bin/python3", str(helper)], env=env, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        shown = Desktop(server)
        assert shown.next_shown() == {"ready": True}
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield shown
    finally:
        for process in (server, bus):
            if process is not None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def browser_page(live_server, world, monkeypatch, tmp_path):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    operator = world.a.users["operator"]
    with signed_in_context(live_server, operator, profile=tmp_path / "profile",
                           viewport={"width": 390, "height": 844}) as context:
        context.grant_permissions(["notifications"], origin=live_server.url)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{live_server.url}{reverse('notifications:devices')}")
        yield page


def _worker(page, live_server):
    """The page registers the worker; its DevTools session and registration id, to push."""
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.evaluate("""() => navigator.serviceWorker.register("/sw.js", {scope: "/"})
                     .then(() => navigator.serviceWorker.ready).then(() => true)""")
    wait_until(lambda: any(r["scopeURL"] == f"{live_server.url}/" for r in registrations), 10,
               what="the worker registered")
    return cdp, next(r["registrationId"] for r in registrations
                     if r["scopeURL"] == f"{live_server.url}/")


def _alert(world) -> Alert:
    return alert_raise(kind=Alert.Kind.MOTION, severity=Alert.Severity.HIGH,
                       facility=world.a.facilities["warehouse"], dedup_key="gate:1",
                       title="Pintu gudang terbuka", detail="Rak 3")[0]


def _push(worker, live_server, alert: Alert, viewer, token: str = "") -> None:
    """The message the portal sends `viewer` about `alert`, as the push service hands it."""
    cdp, registration_id = worker
    with translation.override(settings.LANGUAGE_CODE):
        [shown] = redaction.for_viewer([alert], viewer)
        payload = sending._notification(alert, shown, escalated=False)
        payload["ack"] = {"url": reverse("notifications:acknowledge"), "token": token or "t",
                          "label": "Tandai diterima"}
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": live_server.url, "registrationId": registration_id,
        "data": json.dumps(payload)})


def test_a_push_message_is_shown_as_the_alerts_notification(desktop, browser_page, live_server,
                                                             world):
    """Read as the worker shows it (the desktop's server keeps it shown: without one, the
    browser may close a notification it could not hand over between two looks)."""
    page = browser_page
    alert = _alert(world)
    _push(_worker(page, live_server), live_server, alert, world.a.users["operator"])

    assert desktop.next_shown()["summary"] == "Pintu gudang terbuka"
    shown_notification = page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.ready;
        const [n] = await registration.getNotifications();
        return n && {title: n.title, body: n.body, tag: n.tag, data: n.data,
                     actions: n.actions.map(a => [a.action, a.title])};
    }""")
    assert shown_notification is not None
    assert shown_notification["title"] == "Pintu gudang terbuka"
    assert "Rak 3" in shown_notification["body"]
    assert shown_notification["tag"] == f"alert-{alert.pk}"
    assert shown_notification["data"]["url"] == alert.get_absolute_url()
    assert shown_notification["actions"] == [["ack", "Tandai diterima"]]


def test_a_click_on_the_notification_opens_the_alerts_page(desktop, browser_page, live_server,
                                                           world):
    page = browser_page
    alert = _alert(world)
    _push(_worker(page, live_server), live_server, alert, world.a.users["operator"])
    shown = desktop.next_shown()
    assert shown["summary"] == "Pintu gudang terbuka"
    with page.context.expect_page(timeout=10_000) as opened:
        desktop.invoke(shown, "default")
    opened.value.wait_for_load_state()
    assert opened.value.url == f"{live_server.url}{alert.get_absolute_url()}"
    assert "Pintu gudang terbuka" in opened.value.content()


def test_a_click_focuses_the_alerts_page_where_it_is_open(desktop, browser_page, live_server,
                                                          world):
    page = browser_page
    worker = _worker(page, live_server)
    alert = _alert(world)
    page.goto(f"{live_server.url}{alert.get_absolute_url()}")
    other = page.context.new_page()  # another page is in front
    other.goto(f"{live_server.url}{reverse('notifications:devices')}")
    # A headless window is always focused and visible, so focusing shows in no page: the
    # worker's WindowClient.focus is watched instead (the browser's own focus still runs,
    # and counts only once it has succeeded: a script-made click would be refused).
    [service_worker] = page.context.service_workers
    service_worker.evaluate("""() => {
        const focus = WindowClient.prototype.focus;
        self.focused = [];
        WindowClient.prototype.focus = function () {
          return focus.call(this).then((client) => {
            self.focused.push(client.url);
            return client;
          });
        };
    }""")
    _push(worker, live_server, alert, world.a.users["operator"])
    desktop.invoke(desktop.next_shown(), "default")
    focused = wait_until(lambda: service_worker.evaluate("() => self.focused"), 10,
                         what="a page focused")
    assert focused == [f"{live_server.url}{alert.get_absolute_url()}"]
    assert len(page.context.pages) == 2  # focused, not opened again


def test_acknowledge_on_the_notification_acknowledges_without_opening_a_page(
        desktop, browser_page, live_server, world):
    page = browser_page
    operator = world.a.users["operator"]
    alert = _alert(world)
    nonce = "n" * 32
    PushAttempt.objects.create(user=operator, alert=alert, service="test", status=201,
                               duration_ms=1, ack_nonce=nonce)
    _push(_worker(page, live_server), live_server, alert, operator,
          token=sending._ack_token(alert, operator.pk, nonce))
    shown = desktop.next_shown()
    # The desktop lists each button as a key and its label ("default" is the click itself).
    labels = dict(zip(shown["actions"][::2], shown["actions"][1::2], strict=True))
    [ack] = [key for key, label in labels.items() if label == "Tandai diterima"]
    desktop.invoke(shown, ack)

    def acknowledged() -> bool:
        alert.refresh_from_db()
        return alert.state == Alert.State.ACKNOWLEDGED

    wait_until(acknowledged, 10, what="the alert acknowledged from the notification")
    assert alert.acknowledged_by == operator
    assert PushAttempt.objects.get(ack_nonce=nonce).ack_used_at is not None
    assert [p.url for p in page.context.pages] == [page.url]  # nothing opened
