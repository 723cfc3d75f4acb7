"""API fixtures on top of the cast (tests/cast.py): in city A an outward camera at the
warehouse shared with Polres A, an inward camera at the KPU office, an alert of each, and
checkpoints; device tokens for any person of the cast."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import mfa
from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.api import tokens
from apps.cameras.models import Camera
from apps.cameras.services import share_grant
from apps.records import tokens as labels
from apps.records.models import Checkpoint
from tests.cast import INWARD_NAME, gate_and_inside_cameras


@dataclass
class ApiWorld:
    world: object
    outward: Camera
    inward: Camera
    outward_alert: Alert
    inward_alert: Alert
    gate: Checkpoint
    b_gate: Checkpoint

    def user(self, name: str, city: str = "A"):
        return getattr(self.world, city.lower()).users[name]


@pytest.fixture
def api_world(world) -> ApiWorld:
    a = world.a
    outward, inward = gate_and_inside_cameras(a)
    share_grant(camera=outward, grantee=a.agencies["polres"], basis="MoU KPU–Polri",
                by=a.users["kpu"])
    outward_alert, _ = alert_raise(
        kind=Alert.Kind.MOTION, severity=Alert.Severity.HIGH, facility=outward.facility,
        camera=outward, dedup_key="t:out", title="Gerakan: Gerbang gudang")
    inward_alert, _ = alert_raise(
        kind=Alert.Kind.TAMPER, severity=Alert.Severity.HIGH, facility=inward.facility,
        camera=inward, dedup_key="t:in", title=f"Kamera ditutup: {INWARD_NAME}",
        detail=f"{INWARD_NAME} tertutup")
    gate = Checkpoint.objects.create(facility=a.facilities["kpu_office"], name="Gerbang utama",
                                     code=labels.new_code())
    b_gate = Checkpoint.objects.create(facility=world.b.facilities["kpu_office"],
                                       name="Gerbang B", code=labels.new_code())
    return ApiWorld(world, outward, inward, outward_alert, inward_alert, gate, b_gate)


def device_token(user) -> str:
    """A token as the account page makes it: from a session past the second login step."""
    session = {}
    if mfa.must_verify(user):
        otp_device, _ = TOTPDevice.objects.get_or_create(user=user, name="test",
                                                         defaults={"confirmed": True})
        session[DEVICE_ID_SESSION_KEY] = otp_device.persistent_id
    return tokens.token_create(user=user, name="HP", session_or_request=session).plaintext


def device(user) -> Client:
    """A client that speaks as a device: token in the Authorization header, no cookies."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {device_token(user)}")


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
