"""The panic button (static/js/safety.js) in Chromium at a phone's 390×844: one tap does
nothing, a 1.5 s hold sends the alarm with the phone's location and says so; offline, a
double tap keeps the press on the phone and sends it when the network is back; "Saya aman"
sends the location. The page fits
the screen without scrolling sideways. Served by the test's live server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert
from apps.duty.models import PanicPress, SafetyConfirmation
from tests.browser import signed_in_context
from tests.duty.conftest import make_attendance, make_shift
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

WHERE = {"latitude": -6.175392, "longitude": 106.827153, "accuracy": 14}


@pytest.fixture
def phone(live_server, duty, monkeypatch):
    # The ORM is used beside Playwright's event loop, in the same thread, by this test only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    officer = duty.user("field_polri")
    now = timezone.now()
    duty.post("A").lone_check_minutes = 30  # "Saya aman" on the page too
    duty.post("A").save()
    make_attendance(make_shift(duty.post("A"), officer, now - timedelta(hours=1)),
                    now - timedelta(minutes=55))
    with signed_in_context(live_server, officer, viewport={"width": 390, "height": 844},
                           is_mobile=True, has_touch=True, geolocation=WHERE,
                           permissions=["geolocation"], locale="id-ID") as context:
        page = context.new_page()
        page.goto(f"{live_server.url}{reverse('duty:my_duty')}")
        yield page


def test_the_panic_button_on_a_phone(phone, duty):
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    button = phone.locator("[data-panic-button]")
    state = phone.locator("[data-panic-state]")
    box = button.bounding_box()
    assert box["width"] >= 300 and box["height"] >= 80  # big, across the screen

    button.click()  # one tap: only asks for the second
    wait_until(lambda: "Ketuk sekali lagi" in state.inner_text(), 5, what="the tap hint")
    assert not PanicPress.objects.exists()

    button.hover()
    phone.mouse.down()
    wait_until(PanicPress.objects.exists, 10, what="the press after a 1.5 s hold")
    phone.mouse.up()
    wait_until(lambda: "Tanda bahaya terkirim ke Posko" in state.inner_text(), 10,
               what="the confirmation")
    assert "± 14 m" in state.inner_text() and "WIB" in state.inner_text()
    alert = Alert.objects.get(kind=Alert.Kind.PANIC)
    assert alert.params["lat"] == "-6.175392" and alert.params["accuracy"] == 14
    assert alert.facility == duty.post("A").facility

    phone.context.set_offline(True)
    button.dblclick()
    wait_until(lambda: "Tidak ada jaringan" in state.inner_text(), 10, what="kept offline")
    assert PanicPress.objects.count() == 1
    phone.context.set_offline(False)
    wait_until(lambda: PanicPress.objects.count() == 2, 20, what="sent when back online")
    wait_until(lambda: "terkirim" in state.inner_text(), 10, what="the confirmation")
    assert Alert.objects.get(kind=Alert.Kind.PANIC).occurrences == 2

    phone.get_by_role("button", name="Saya aman").click()
    wait_until(SafetyConfirmation.objects.exists, 10, what="the confirmation")
    assert SafetyConfirmation.objects.get().accuracy_m == 14
    phone.goto(phone.url.replace(reverse("duty:my_duty"), reverse("records:my_patrol")))
    assert phone.locator("[data-panic-button]").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
