"""Incident reports: the workflow, linked alerts, camera evidence (and the inward-camera rule),
corrections, and the public tip form."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.cameras.models import ViewRecord
from apps.records import antiabuse
from apps.records.models import Incident, IncidentAlertLink, IncidentEvidence, Source, Step
from apps.records.services import incidents as services
from tests.records.conftest import report, tip_data


def steps(incident) -> list[str]:
    return list(incident.steps.order_by("at", "id").values_list("step", flat=True))


# --- workflow --------------------------------------------------------------------------------


def test_a_report_raises_an_alert_and_is_linked_to_it(world):
    incident = report(world)
    link = IncidentAlertLink.objects.get(incident=incident)
    assert link.alert.kind == Alert.Kind.INCIDENT
    assert link.alert.severity == Alert.Severity.HIGH  # a suspicious package is urgent
    assert steps(incident) == [Step.REPORTED]


def test_the_workflow_runs_in_order_with_who_when_and_comments(world):
    incident = report(world)
    operator = world.a.users["operator"]
    with pytest.raises(ValidationError):  # handled before acknowledged
        services.incident_step(incident=incident, user=operator, step=Step.HANDLED,
                               comment="x")
    services.incident_step(incident=incident, user=operator, step=Step.ACKNOWLEDGED)
    with pytest.raises(ValidationError):  # a comment is required
        services.incident_step(incident=incident, user=operator, step=Step.HANDLED)
    services.incident_step(incident=incident, user=world.a.users["padal"], step=Step.HANDLED,
                           comment="Tim Jibom memeriksa: berisi bunga dan sesajen")
    services.incident_step(incident=incident, user=world.a.users["commander"],
                           step=Step.CLOSED, comment="Aman")
    assert steps(incident) == ["reported", "acknowledged", "handled", "closed"]
    assert services.incident_state(list(incident.steps.all())) == Step.CLOSED
    with pytest.raises(ValidationError):
        services.incident_step(incident=incident, user=operator, step=Step.CLOSED,
                               comment="again")
    closed = incident.steps.get(step=Step.CLOSED)
    assert closed.actor == world.a.users["commander"] and closed.comment == "Aman"


def test_only_operators_padal_and_commanders_run_the_workflow(world):
    incident = report(world)
    for who in ("field_polri", "kpu", "admin", "norole"):
        with pytest.raises(PermissionDenied):
            services.incident_step(incident=incident, user=world.a.users[who],
                                   step=Step.ACKNOWLEDGED)
    with pytest.raises(PermissionDenied):
        services.incident_step(incident=incident, user=world.b.users["operator"],
                               step=Step.ACKNOWLEDGED)


def test_linking_alerts_of_the_same_facility(world):
    incident = report(world)
    operator = world.a.users["operator"]
    alert, _ = alert_raise(kind=Alert.Kind.MOTION, severity=3,
                           facility=world.a.facilities["kpu_office"], dedup_key="m:1",
                           title="Gerakan di pagar")
    services.incident_link_alert(incident=incident, user=operator, alert=alert)
    with pytest.raises(ValidationError):
        services.incident_link_alert(incident=incident, user=operator, alert=alert)
    other, _ = alert_raise(kind=Alert.Kind.MOTION, severity=3,
                           facility=world.a.facilities["warehouse"], dedup_key="m:2",
                           title="Gerakan di gudang")
    with pytest.raises(ValidationError):
        services.incident_link_alert(incident=incident, user=operator, alert=other)
    assert incident.alert_links.count() == 2


def test_the_incident_pages_walk_the_workflow(client, world):
    client.force_login(world.a.users["field_polri"])
    typed = timezone.localtime(timezone.now() - timedelta(hours=1),
                               world.a.facilities["kpu_office"].zoneinfo).replace(
        second=0, microsecond=0)
    response = client.post(reverse("records:incident_create"), {
        "client_key": str(uuid.uuid4()), "facility": world.a.facilities["kpu_office"].pk,
        "category": "intrusion", "occurred_at": typed.strftime("%Y-%m-%dT%H:%M"),
        "description": "Orang memanjat pagar <script>x</script>"})
    assert response.status_code == 302
    incident = Incident.objects.get()
    # Typed as wall-clock time in the facility's zone (WIB, UTC+7).
    assert incident.occurred_at == typed.astimezone(UTC)
    client.force_login(world.a.users["operator"])
    url = incident.get_absolute_url()
    page = client.get(url).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    step_url = reverse("records:incident_step", args=[incident.pk])
    assert client.post(step_url, {"step": "acknowledged"}).status_code == 302
    assert client.post(step_url, {"step": "handled", "comment": "Diamankan"}).status_code == 302
    assert client.post(step_url, {"step": "closed", "comment": "Selesai"}).status_code == 302
    assert steps(incident) == ["reported", "acknowledged", "handled", "closed"]


def test_a_correction_of_a_report_keeps_the_original(world):
    incident = report(world)
    services.incident_amend(incident=incident, user=world.a.users["field_polri"],
                            reason="Salah kategori", category="vandalism")
    incident.refresh_from_db()
    assert incident.category == "suspicious_object"
    assert incident.amendments.get().changes == {"category": "vandalism"}
    with pytest.raises(PermissionDenied):
        services.incident_amend(incident=incident, user=world.a.users["kpu"], reason="x",
                                description="y")


# --- camera evidence and the inward-camera rule ----------------------------------------------


def test_security_staff_are_offered_outward_frames_only(world, incident_with_frames):
    incident, frames = incident_with_frames
    offered = services.evidence_candidates(incident=incident, user=world.a.users["operator"])
    assert {(f.kind, f.id) for f in offered} == {("timeline", frames["out"].pk),
                                                 ("alert", frames["kept"].pk)}
    owner = services.evidence_candidates(incident=incident, user=world.a.users["kpu"])
    assert ("timeline", frames["in"].pk) in {(f.kind, f.id) for f in owner}


def test_evidence_is_copied_with_its_hash_and_who_attached_it(world, incident_with_frames):
    incident, frames = incident_with_frames
    operator = world.a.users["operator"]
    attached = services.incident_attach_evidence(
        incident=incident, user=operator,
        frames=[("timeline", frames["out"].pk), ("alert", frames["kept"].pk)], note="gerbang")
    assert [e.attached_by for e in attached] == [operator, operator]
    evidence = IncidentEvidence.objects.get(source_kind="timeline")
    assert evidence.image.name != frames["out"].image.name  # a copy: it outlives pruning
    frames["out"].image.delete(save=False)
    with evidence.image.open("rb") as handle:
        import hashlib

        assert hashlib.sha256(handle.read()).hexdigest() == evidence.sha256
    with pytest.raises(PermissionDenied):  # an inward frame is not the operator's to attach
        services.incident_attach_evidence(incident=incident, user=operator,
                                          frames=[("timeline", frames["in"].pk)])
    with pytest.raises(PermissionDenied):  # nor one far from the incident's time
        services.incident_attach_evidence(incident=incident, user=operator,
                                          frames=[("timeline", frames["old"].pk)])


def test_security_staff_never_get_inward_frames_even_when_the_owner_attached_them(
        client, world, incident_with_frames):
    incident, frames = incident_with_frames
    services.incident_attach_evidence(incident=incident, user=world.a.users["kpu"],
                                      frames=[("timeline", frames["in"].pk),
                                              ("timeline", frames["out"].pk)])
    inward = IncidentEvidence.objects.get(camera=frames["in"].camera)
    outward = IncidentEvidence.objects.get(camera=frames["out"].camera)
    for who in ("operator", "commander", "padal", "admin"):
        client.force_login(world.a.users[who])
        page = client.get(incident.get_absolute_url()).content.decode()
        assert reverse("records:evidence_image", args=[inward.pk]) not in page, who
        assert client.get(reverse("records:evidence_image", args=[inward.pk])
                          ).status_code == 404, who
    client.force_login(world.a.users["operator"])
    response = client.get(reverse("records:evidence_image", args=[outward.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    client.force_login(world.a.users["kpu"])
    assert client.get(reverse("records:evidence_image", args=[inward.pk])).status_code == 200
    views = ViewRecord.objects.filter(kind=ViewRecord.Kind.EVIDENCE)
    assert {(v.viewer.username, v.camera_id) for v in views} == {
        ("operator_a", outward.camera_id), ("kpu_a", inward.camera_id)}


def test_attaching_and_viewing_candidates_over_http(client, world, incident_with_frames):
    incident, frames = incident_with_frames
    client.force_login(world.a.users["operator"])
    page = client.get(incident.get_absolute_url()).content.decode()
    inward_url = reverse("records:candidate_frame",
                         args=[incident.pk, "timeline", frames["in"].pk])
    assert inward_url not in page
    assert client.get(inward_url).status_code == 404
    outward_url = reverse("records:candidate_frame",
                          args=[incident.pk, "timeline", frames["out"].pk])
    assert outward_url in page
    assert client.get(outward_url).status_code == 200
    assert ViewRecord.objects.filter(kind=ViewRecord.Kind.TIMELINE).count() == 1
    response = client.post(reverse("records:incident_attach", args=[incident.pk]),
                           {"frames": [f"timeline:{frames['out'].pk}"]})
    assert response.status_code == 302
    assert incident.evidence.count() == 1


# --- the public tip form ---------------------------------------------------------------------


def test_a_tip_lands_as_an_unverified_incident_for_the_command_center(client, world,
                                                                     issued_long_ago):
    response = client.post(reverse("records:tip"), tip_data(world, client))
    assert response.status_code == 200 and response.context["thanks"]
    incident = Incident.objects.get()
    assert incident.source == Source.PUBLIC_TIP and incident.reporter is None
    assert incident.tip_source and "127.0.0.1" not in incident.tip_source
    assert Step.VERIFIED in services.next_steps(incident=incident,
                                                steps=list(incident.steps.all()))
    alert = IncidentAlertLink.objects.get(incident=incident).alert
    assert alert.severity == Alert.Severity.MEDIUM
    services.incident_step(incident=incident, user=world.a.users["operator"],
                           step=Step.VERIFIED, comment="Dicek patroli: benar ada mobil")
    assert Step.VERIFIED not in services.next_steps(incident=incident,
                                                    steps=list(incident.steps.all()))


def test_the_tip_form_shows_no_camera_and_no_record(client, world, cameras):
    page = client.get(reverse("records:tip")).content.decode()
    assert "kamera/" not in page and "snapshot" not in page
    assert world.a.facilities["warehouse"].name in page
    assert world.a.facilities["uncovered"].name not in page  # not under an operation


def test_the_honeypot_keeps_nothing(client, world, issued_long_ago):
    response = client.post(reverse("records:tip"), tip_data(world, client,
                                                            website="http://spam"))
    assert response.status_code == 200 and response.context["thanks"]
    assert not Incident.objects.exists()


def test_a_form_sent_too_fast_stale_forged_or_twice_is_refused(client, world, settings):
    settings.RECORDS_TIPS_PER_HOUR = 100
    data = tip_data(world, client, form_token=antiabuse.tip_form_token())
    assert client.post(reverse("records:tip"), data).status_code == 400  # < 3 s
    for token in ("", "forged:token", antiabuse.tip_form_token(now=0)):  # last one: expired
        data = tip_data(world, client, form_token=token)
        assert client.post(reverse("records:tip"), data).status_code == 400
    assert not Incident.objects.exists()
    token = antiabuse.tip_form_token(now=timezone.now().timestamp() - 60)
    assert client.post(reverse("records:tip"),
                       tip_data(world, client, form_token=token)).status_code == 200
    assert client.post(reverse("records:tip"),
                       tip_data(world, client, form_token=token)).status_code == 400
    assert Incident.objects.count() == 1


def test_tips_are_rate_limited_per_address(client, world, settings, issued_long_ago):
    settings.RECORDS_TIPS_PER_HOUR = 3
    statuses = [client.post(reverse("records:tip"), tip_data(world, client)).status_code
                for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert Incident.objects.count() == 3
    other = client.post(reverse("records:tip"), tip_data(world, client),
                        REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200
