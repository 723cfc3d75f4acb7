"""Every demo role logs in with the published password (and code) and lands on its page.
The demo is built once for the module, without its two weeks of history (irrelevant to
logging in; tests/demo/test_history.py builds the full demo)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import TOTP

from apps.demo.builder import (
    DEMO_PASSWORD,
    DEMO_TOTP_KEY_HEX,
    build_demo,
    demo_two_step_usernames,
)

pytestmark = pytest.mark.usefixtures("shared_media")
LANDINGS = {
    "operator.karangsari": "live:wall",
    "komandan.karangsari": "duty:coverage",
    "padal.karangsari": "duty:my_duty",
    "polisi.karangsari": "duty:my_duty",
    "tni.tanjungwangi": "duty:my_duty",
    "kpu.telukmutiara": "overview:my_facilities",
    "bawaslu.karangsari": "overview:my_facilities",
    "admin.demo": "admin:index",
}


@pytest.fixture(scope="module")
def shared_demo(module_db):
    build_demo(with_history=False)  # once for the module: each test runs in a savepoint


@pytest.fixture
def demo(shared_demo, db):
    pass


@pytest.mark.parametrize(("username", "landing"), LANDINGS.items())
def test_each_demo_role_logs_in_and_lands_on_its_page(client, demo, username, landing):
    response = client.post(reverse("accounts:login"),
                           {"username": username, "password": DEMO_PASSWORD}, follow=True)
    if username in demo_two_step_usernames():  # the published demo authenticator
        code_page = response.redirect_chain[-1][0]
        assert code_page.startswith(reverse("accounts:otp_verify"))
        code = f"{TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX)).token():06d}"
        response = client.post(code_page, {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(landing)
    assert response.status_code == 200
