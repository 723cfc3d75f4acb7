"""Webhooks out: a receiver on loopback gets signed alerts and verifies them; inward-camera
content never leaves; addresses are restricted; failures retry with backoff and are logged."""

from __future__ import annotations

import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.alerts.models import Alert
from apps.alerts.services import alert_acknowledge, alert_raise
from apps.integrations import delivery, endpoints, outbox, signing
from apps.integrations.models import WebhookDelivery, WebhookEndpoint
from tests.integrations.receivers import receiver


def _endpoint(admin, url, **extra):
    return endpoints.endpoint_create(by=admin, name="Command center kota", url=url, **extra)


def test_a_loopback_receiver_gets_a_signed_alert_and_verifies_it(
        hooks, django_capture_on_commit_callbacks):
    admin = hooks.user("admin")
    with receiver() as (url, received):
        _endpoint_row, secret = _endpoint(admin, url, send_incidents=True)
        with django_capture_on_commit_callbacks(execute=True):
            alert, _ = alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                                   facility=hooks.world.a.facilities["kpu_office"],
                                   dedup_key="t:hook", title="Paket mencurigakan")
        assert len(received) == 1
        request = received[0]
        assert request["path"] == "/posko/hook?x=1"
        assert signing.verify_signature(secret, request["headers"]["X-Posko-Signature"],
                                         request["body"])
        assert not signing.verify_signature("whsec_wrong",
                                             request["headers"]["X-Posko-Signature"],
                                             request["body"])
        assert not signing.verify_signature(secret, request["headers"]["X-Posko-Signature"],
                                             request["body"] + b" ")
        payload = json.loads(request["body"])
        assert payload["event"] == "alert.raised" == request["headers"]["X-Posko-Event"]
        assert payload["id"] == request["headers"]["X-Posko-Delivery"]
        assert payload["data"]["id"] == alert.pk and payload["data"]["title"] == \
            "Paket mencurigakan"
        assert payload["data"]["last_raised_at"].endswith("+00:00")
        row = WebhookDelivery.objects.get()
        assert row.state == "delivered" and row.attempts == 1
        assert row.last_status == 200

        with django_capture_on_commit_callbacks(execute=True):
            alert_acknowledge(alert=alert, user=hooks.user("operator"))
        assert json.loads(received[1]["body"])["event"] == "alert.acknowledged"


def test_an_old_timestamp_does_not_verify():
    body = b'{"x":1}'
    header = signing.signature("s", 1_000_000, body)
    assert signing.verify_signature("s", header, body, now=1_000_000 + 299)
    assert not signing.verify_signature("s", header, body, now=1_000_000 + 301)
    assert not signing.verify_signature("s", "t=x,v1=00", body)


def test_inward_camera_content_never_leaves(hooks, django_capture_on_commit_callbacks):
    with receiver() as (url, received):
        _endpoint(hooks.user("admin"), url)
        with django_capture_on_commit_callbacks(execute=True):
            alert_raise(kind=Alert.Kind.TAMPER, severity=Alert.Severity.HIGH,
                        facility=hooks.inward.facility, camera=hooks.inward,
                        dedup_key="t:in:new", title=f"Kamera ditutup: {hooks.inward.name}")
            # New keys: a repeat of the fixtures' alerts only counts, it sends nothing.
            alert_raise(kind=Alert.Kind.MOTION, severity=Alert.Severity.HIGH,
                        facility=hooks.outward.facility, camera=hooks.outward,
                        dedup_key="t:out:new", title="Gerakan")
        bodies = [r["body"].decode() for r in received]
        assert len(bodies) == 2
        assert all(hooks.inward.name not in b and "snapshot" not in b for b in bodies)
        inward, outward = (json.loads(b)["data"] for b in bodies)
        assert inward["camera"] is None and inward["detail"] == ""
        assert outward["camera"] == {"id": hooks.outward.pk, "name": "Gerbang gudang"}


def test_endpoints_filter_by_severity_region_and_kind(hooks,
                                                      django_capture_on_commit_callbacks):
    admin = hooks.user("admin")
    with receiver() as (url, received):
        _endpoint(admin, url, min_severity=Alert.Severity.CRITICAL)
        _endpoint(admin, url, region=hooks.world.b.city)
        _endpoint(admin, url, send_alerts=False)
        with django_capture_on_commit_callbacks(execute=True):
            alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                        facility=hooks.world.a.facilities["kpu_office"], dedup_key="x",
                        title="x")
        assert received == []


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "https://[fe80::1]/", "ftp://example.org/",
    "https://user:pw@127.0.0.1/", "http://127.0.0.1:6379/", "http://0.0.0.0/",
    "http://2130706433/", "http://127.1/", "https://bad host/", "javascript:alert(1)",
    "http://240.0.0.1/"])
def test_webhook_addresses_are_restricted(hooks, url):
    with pytest.raises(ValidationError):
        _endpoint(hooks.user("admin"), url)


def test_https_only_and_no_loopback_outside_embedded_mode(hooks, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    for url in ("http://10.1.2.3/hook", "https://127.0.0.1/hook", "https://[::1]/hook"):
        with pytest.raises(ValidationError):
            _endpoint(hooks.user("admin"), url)
    endpoint, _secret = _endpoint(hooks.user("admin"), "https://10.1.2.3/hook")
    assert endpoint.url == "https://10.1.2.3/hook"


def test_only_administrators_configure_webhooks(hooks):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _endpoint(hooks.user("commander"), "http://127.0.0.1:9/")


def test_the_secret_is_encrypted_at_rest_and_bound_to_its_endpoint(hooks):
    endpoint, secret = _endpoint(hooks.user("admin"), "http://127.0.0.1:9/")
    endpoint.refresh_from_db()
    assert secret not in endpoint.secret_token
    assert signing.endpoint_secret(endpoint) == secret
    other, _ = _endpoint(hooks.user("admin"), "http://127.0.0.1:9/")
    other.secret_token = endpoint.secret_token  # copied to another row: does not decrypt
    with pytest.raises(Exception, match="does not belong"):
        signing.endpoint_secret(other)


def test_a_failing_receiver_is_retried_later_then_given_up(hooks, settings,
                                                          django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    with receiver(status=503) as (url, received):
        _endpoint(hooks.user("admin"), url)
        with django_capture_on_commit_callbacks(execute=True):
            alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                        facility=hooks.world.a.facilities["kpu_office"], dedup_key="r",
                        title="r")
        row = WebhookDelivery.objects.get()
        assert row.state == "retrying" and row.last_status == 503
        assert row.next_attempt_at is not None  # the deliverer's turn, in both modes
        assert outbox.run(row.endpoint_id) == 0  # not due yet
        assert outbox.run(row.endpoint_id, now=row.next_attempt_at) == 1
        row.refresh_from_db()
        assert row.state == "failed" and row.attempts == 2
        assert len(received) == 2
        first, second = (r["headers"]["X-Posko-Delivery"] for r in received)
        assert first == second  # the same delivery: receivers drop repeats by this id


def test_a_refusing_receiver_fails_at_once_and_can_be_resent(
        client, hooks, django_capture_on_commit_callbacks):
    with receiver(status=400) as (url, received):
        endpoint, _secret = _endpoint(hooks.user("admin"), url)
        with django_capture_on_commit_callbacks(execute=True):
            alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                        facility=hooks.world.a.facilities["kpu_office"], dedup_key="q",
                        title="q")
        row = WebhookDelivery.objects.get()
        assert row.state == "failed" and row.attempts == 1
        client.force_login(hooks.user("admin"))
        page = client.get(reverse("integrations:webhook", args=[endpoint.pk]))
        assert page.status_code == 200 and "HTTP 400" in page.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("integrations:webhook", args=[endpoint.pk]),
                                   {"action": "resend", "delivery": row.pk})
        assert response.status_code == 302
        assert WebhookDelivery.objects.count() == 2 and len(received) == 2


def test_administrators_make_endpoints_on_the_page_and_see_the_secret_once(client, hooks):
    client.force_login(hooks.user("admin"))
    response = client.post(reverse("integrations:webhooks"), {
        "name": "Dishub", "url": "http://127.0.0.1:9/hook", "send_alerts": "on",
        "min_severity": "2", "active": "on"})
    assert response.status_code == 200
    secret = response.context["secret"]
    endpoint = WebhookEndpoint.objects.get()
    assert signing.endpoint_secret(endpoint) == secret
    page = client.get(reverse("integrations:webhook", args=[endpoint.pk])).content.decode()
    assert secret not in page
    response = client.post(reverse("integrations:webhooks"), {
        "name": "Meta", "url": "http://169.254.169.254/", "min_severity": "1"})
    assert response.status_code == 400
    client.force_login(hooks.user("commander"))
    assert client.get(reverse("integrations:webhooks")).status_code == 403


def test_signing_secrets_follow_a_key_rotation(hooks, settings):
    from django.core.management import call_command

    from apps.core.crypto import new_key

    endpoint, secret = _endpoint(hooks.user("admin"), "http://127.0.0.1:9/")
    old = list(settings.CAMERA_KEYS)
    settings.CAMERA_KEYS = [new_key(), *old]
    out = io.StringIO()
    call_command("rotate_webhook_keys", stdout=out)
    assert "1 webhook" in out.getvalue() and secret not in out.getvalue()
    settings.CAMERA_KEYS = settings.CAMERA_KEYS[:1]
    endpoint.refresh_from_db()
    assert signing.endpoint_secret(endpoint) == secret


def test_an_incident_report_goes_out_as_its_own_event(hooks,
                                                      django_capture_on_commit_callbacks):
    import uuid

    from apps.records.services import incidents

    with receiver() as (url, received):
        _endpoint(hooks.user("admin"), url, send_incidents=True)
        with django_capture_on_commit_callbacks(execute=True):
            incidents.incident_report(
                user=hooks.user("field_polri"),
                facility=hooks.world.a.facilities["kpu_office"],
                entry=incidents.IncidentInput(client_key=uuid.uuid4(), category="fire",
                                              description="Asap dari gudang arsip"))
        events = {json.loads(r["body"])["event"]: json.loads(r["body"])["data"]
                  for r in received}
        assert set(events) == {"alert.raised", "incident.reported"}
        incident = events["incident.reported"]
        assert incident["category"] == "fire" and incident["source"] == "staff"
        assert incident["alert_id"] == events["alert.raised"]["id"]
        assert "tip_contact" not in incident and "reporter" not in incident


@pytest.mark.parametrize(("attempts", "low", "high"),
                         [(1, 15, 30), (2, 30, 60), (3, 60, 120), (20, 1800, 3600)])
def test_backoff_always_pauses_and_never_exceeds_an_hour(attempts, low, high):
    waits = [delivery.backoff(attempts) for _ in range(200)]
    assert all(low <= wait <= high for wait in waits)
    assert len(set(waits)) > 1  # jittered: a burst of failures does not retry in lockstep


def test_every_payload_carries_the_signed_anchor_of_the_records_chain(
        hooks, django_capture_on_commit_callbacks, tmp_path):
    """Receivers are witnesses: what they keep verifies the chain outside Posko's database."""
    from django.core.management import call_command
    from django.utils import timezone

    from apps.records import anchors, chain

    anchor = chain.anchor_publish(day=timezone.localdate(), day_end=timezone.now())
    with receiver() as (url, received):
        _endpoint(hooks.user("admin"), url)
        with django_capture_on_commit_callbacks(execute=True):
            alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                        facility=hooks.world.a.facilities["kpu_office"],
                        dedup_key="t:anchor", title="Pagar rusak")
    kept = json.loads(received[0]["body"])["chain_anchor"]
    assert kept == anchors.witness_copy(anchor) and kept["signature"]
    saved = tmp_path / "receiver.jsonl"
    saved.write_text(json.dumps(kept) + "\n")
    call_command("verify_records", "--no-witness-dir", "--witness", str(saved),
                 stdout=io.StringIO())


def test_a_receiver_redirect_is_never_followed(hooks, django_capture_on_commit_callbacks):
    """A receiver answering 302 (to a place the webhook policy would refuse) is a failed
    attempt: the worker posts only to the checked address."""
    trap = socket.create_server(("127.0.0.1", 0))
    trap.setblocking(False)

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{trap.getsockname()[1]}/steal")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _endpoint(hooks.user("admin"), f"http://127.0.0.1:{server.server_address[1]}/")
        with django_capture_on_commit_callbacks(execute=True):
            alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                        facility=hooks.world.a.facilities["kpu_office"],
                        dedup_key="redirect", title="r")
        row = WebhookDelivery.objects.get()
        assert row.state != "delivered" and row.last_status == 302
        with pytest.raises(BlockingIOError):
            trap.accept()
    finally:
        server.shutdown()
        server.server_close()
        trap.close()
