"""The service worker (static/js/records-sw.js, served at /sw.js) in Chromium: a push message
as the portal sends it is shown as a notification with the alert's title, body, tag, URL and
the acknowledge action. The message is handed to the worker through the DevTools protocol
(ServiceWorker.deliverPushMessage), as a push service would after decrypting it."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from apps.alerts import redaction
from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.notifications import sending
from tests.browser import signed_in_context
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]  # a real browser



@pytest.fixture
def browser_page(live_server, world, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    operator = world.a.users["operator"]
    with signed_in_context(live_server, operator,
                           viewport={"width": 390, "height": 844}) as context:
        context.grant_permissions(["notifications"], origin=live_server.url)
        page = context.new_page()
        page.goto(f"{live_server.url}{reverse('notifications:devices')}")
        yield page


def test_a_push_message_is_shown_as_the_alerts_notification(browser_page, live_server, world):
    page = browser_page
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.evaluate("""() => navigator.serviceWorker.register("/sw.js", {scope: "/"})
                     .then(() => navigator.serviceWorker.ready).then(() => true)""")
    wait_until(lambda: any(r["scopeURL"] == f"{live_server.url}/" for r in registrations), 10,
               what="the worker registered")
    registration_id = next(r["registrationId"] for r in registrations
                           if r["scopeURL"] == f"{live_server.url}/")

    alert = alert_raise(kind=Alert.Kind.MOTION, severity=Alert.Severity.HIGH,
                        facility=world.a.facilities["warehouse"], dedup_key="gate:1",
                        title="Pintu gudang terbuka", detail="Rak 3")[0]
    with translation.override(settings.LANGUAGE_CODE):
        [shown] = redaction.for_viewer([alert], world.a.users["operator"])
        payload = sending._notification(alert, shown, escalated=False)
        payload["ack"] = {"url": reverse("notifications:acknowledge"), "token": "t",
                          "label": "Tandai diterima"}
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": live_server.url, "registrationId": registration_id,
        "data": json.dumps(payload)})

    page.wait_for_function("""() => navigator.serviceWorker.ready
        .then(r => r.getNotifications()).then(n => n.length > 0)""")
    shown_notification = page.evaluate("""() => navigator.serviceWorker.ready
        .then(r => r.getNotifications()).then(([n]) => ({
          title: n.title, body: n.body, tag: n.tag, data: n.data,
          actions: n.actions.map(a => [a.action, a.title])}))""")
    assert shown_notification["title"] == "Pintu gudang terbuka"
    assert "Rak 3" in shown_notification["body"]
    assert shown_notification["tag"] == f"alert-{alert.pk}"
    assert shown_notification["data"]["url"] == alert.get_absolute_url()
    assert shown_notification["actions"] == [["ack", "Tandai diterima"]]
