"""Joint warehouse checks: each pillar signs with its own login; complete only with every
required signature; a discrepancy or a broken seal raises a high alert for the operators."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from apps.alerts.models import Alert
from apps.records.models import CheckSignature, Criterion, WarehouseCheck
from apps.records.services.checks import (
    CheckInput,
    ItemInput,
    check_is_complete,
    check_sign,
    warehouse_check_record,
)
from tests.records.tampering import tamper

ALL_OK = {key: {"ok": True, "note": ""} for key in Criterion.values}


def items(*, broken_seal=False, missing=0):
    return [
        ItemInput(kind="ballot_papers", expected_qty=250_000, counted_qty=250_000 - missing),
        ItemInput(kind="ballot_boxes", expected_qty=1200, counted_qty=1200,
                  seal_numbers="KPU-0001..KPU-1200", seal_intact=not broken_seal),
        ItemInput(kind="ink", expected_qty=2400, counted_qty=2400),
    ]


def record(world, **kwargs):
    entry = CheckInput(client_key=uuid.uuid4(), items=kwargs.pop("items", items()),
                       criteria=ALL_OK)
    return warehouse_check_record(user=world.a.users[kwargs.pop("by", "field_tni")],
                                  facility=world.a.facilities["warehouse"], entry=entry).record


def sign(check, user):
    return check_sign(check=WarehouseCheck.objects.get(pk=check.pk), user=user)


def test_complete_only_with_every_pillars_signature(world):
    check = record(world)
    a = world.a.users
    signers = [("commander", "polri"), ("field_tni", "tni"), ("field_pemda", "pemda"),
               ("kpu", "kpu")]
    for i, (who, pillar) in enumerate(signers):
        assert sign(check, a[who]).pillar == pillar
        signatures = list(check.signatures.all())
        assert check_is_complete(check, signatures) == (i == len(signers) - 1)


def test_one_signature_per_pillar_each_with_their_own_login(world):
    check = record(world)
    sign(check, world.a.users["commander"])
    with pytest.raises(ValidationError):
        sign(check, world.a.users["padal"])  # Polri has signed already
    for who in ("bawaslu", "norole", "kpu_as_operator", "admin", "field_polri"):
        # Bawaslu is not a pillar of the check; the Polsek officer cannot see the warehouse.
        with pytest.raises(PermissionDenied):
            sign(check, world.a.users[who])
    with pytest.raises(PermissionDenied):
        sign(check, world.b.users["field_tni"])  # another city
    assert CheckSignature.objects.count() == 1


def test_a_signature_over_other_content_does_not_complete(world):
    check = record(world)
    for who in ("commander", "field_tni", "field_pemda", "kpu"):
        sign(check, world.a.users[who])
    assert check_is_complete(check, list(check.signatures.all()))
    item = check.items.first()
    tamper("UPDATE records_checkitem SET counted_qty = 1 WHERE id = %s", [item.pk])
    check = WarehouseCheck.objects.get(pk=check.pk)
    assert not check_is_complete(check, list(check.signatures.all()))


def test_a_broken_seal_raises_a_high_alert_in_the_operators_feed(client, world):
    check = record(world, items=items(broken_seal=True))
    alert = Alert.objects.get(dedup_key=f"records:check:{check.pk}")
    assert alert.kind == Alert.Kind.LOGISTICS_DISCREPANCY
    assert alert.severity == Alert.Severity.HIGH
    assert check.has_discrepancy
    client.force_login(world.a.users["operator"])
    feed = client.get(reverse("alerts:feed")).content.decode()
    assert alert.title in feed
    client.force_login(world.b.users["operator"])
    assert alert.title not in client.get(reverse("alerts:feed")).content.decode()


def test_a_count_discrepancy_raises_an_alert_and_a_clean_check_none(world):
    missing = record(world, items=items(missing=50))
    assert Alert.objects.filter(dedup_key=f"records:check:{missing.pk}",
                                severity=Alert.Severity.HIGH).exists()
    clean = record(world)
    assert not clean.has_discrepancy
    assert not Alert.objects.filter(dedup_key=f"records:check:{clean.pk}").exists()


def test_who_may_record_a_check(world):
    for who in ("bawaslu", "operator", "field_polri"):
        with pytest.raises(PermissionDenied):
            record(world, by=who)
    assert record(world, by="kpu").created_by == world.a.users["kpu"]
    with pytest.raises(PermissionDenied):  # only warehouses
        warehouse_check_record(user=world.a.users["commander"],
                               facility=world.a.facilities["kpu_office"],
                               entry=CheckInput(client_key=uuid.uuid4(), items=items()))


def test_the_check_pages(client, world):
    client.force_login(world.a.users["field_tni"])
    url = reverse("records:check_create", args=[world.a.facilities["warehouse"].pk])
    assert client.get(url).status_code == 200
    data = {"client_key": str(uuid.uuid4()), "ballot_boxes_expected": "10",
            "ballot_boxes_counted": "10", "ballot_boxes_seals": "S-1..S-10",
            "ballot_boxes_seal": "broken", "notes": "<b>segel</b>"}
    data.update({f"crit_{key}": "ok" for key in Criterion.values})
    data["crit_cctv"] = "not_ok"
    response = client.post(url, data)
    assert response.status_code == 302
    check = WarehouseCheck.objects.get()
    assert check.criteria["cctv"]["ok"] is False
    page = client.get(check.get_absolute_url()).content.decode()
    assert "&lt;b&gt;segel&lt;/b&gt;" in page
    assert reverse("records:check_sign", args=[check.pk]) in page  # TNI may sign
    response = client.post(reverse("records:check_sign", args=[check.pk]), {"confirm": "on"})
    assert response.status_code == 302
    assert check.signatures.get().pillar == "tni"
    # A resend of the same form (same key) makes no second check.
    assert client.post(url, data).status_code == 302
    assert WarehouseCheck.objects.count() == 1
