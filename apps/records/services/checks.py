"""Joint warehouse check writes: recording a check and each pillar's signature."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.access import policy
from apps.accounts.models import Role, User
from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.core.photos import NormalisedPhoto
from apps.core.timing import device_time_window
from apps.org.models import Agency
from apps.places.models import Facility, Operation
from apps.records.chain_links import content_of
from apps.records.models import (
    CheckItem,
    CheckSignature,
    Criterion,
    ItemKind,
    SignerPillar,
    WarehouseCheck,
)
from apps.records.services.common import (
    Saved,
    attach_photos,
    existing_by_key,
    insert_once,
    store_photos,
)

MAX_ITEMS = 50


@dataclass(frozen=True)
class ItemInput:
    kind: str
    expected_qty: int
    counted_qty: int
    description: str = ""
    seal_numbers: str = ""
    seal_intact: bool | None = None
    note: str = ""


@dataclass(frozen=True)
class CheckInput:
    client_key: UUID
    items: list[ItemInput]
    criteria: dict[str, dict] = field(default_factory=dict)
    device_time: datetime | None = None
    notes: str = ""
    operation_id: int | None = None
    amends_id: int | None = None
    amendment_reason: str = ""


def _validated_criteria(criteria: dict[str, dict]) -> dict[str, dict]:
    out = {}
    for key in Criterion.values:
        value = criteria.get(key) or {}
        out[key] = {"ok": bool(value.get("ok")), "note": str(value.get("note", ""))[:200]}
    return out


def warehouse_check_record(*, user: User, facility: Facility, entry: CheckInput,
                           photos: list[NormalisedPhoto] = (),
                           now: datetime | None = None) -> Saved[WarehouseCheck]:
    """Record a joint check, once per key. A discrepancy or a broken seal raises a
    high-severity alert for the command center, after commit."""
    existing = existing_by_key(WarehouseCheck, entry.client_key, owner_field="created_by_id",
                               owner_id=user.pk)
    if existing is not None:
        return Saved(existing, False)
    if not policy.warehouse_check_facilities(user).filter(pk=facility.pk).exists():
        raise PermissionDenied(_("You may not record a check of this warehouse."))
    if not entry.items:
        raise ValidationError(_("List at least one item."), code="items")
    if len(entry.items) > MAX_ITEMS:
        raise ValidationError(_("A check lists at most 50 items."), code="items")
    for item in entry.items:
        if item.kind not in ItemKind.values or item.expected_qty < 0 or item.counted_qty < 0:
            raise ValidationError(_("An item is not valid."), code="items")
    amends = None
    if entry.amends_id is not None:
        amends = policy.scope(user, WarehouseCheck.objects.filter(facility=facility)).filter(
            pk=entry.amends_id).first()
        if amends is None:
            raise ValidationError(_("The check to correct was not found."), code="amends")
        if not entry.amendment_reason.strip():
            raise ValidationError(_("Say why the check is corrected."), code="reason")
    operation = None
    if entry.operation_id is not None:
        operation = policy.scope(user, Operation.objects.filter(facilities=facility)).filter(
            pk=entry.operation_id).first()
    timing = device_time_window(entry.device_time, now=now or timezone.now())
    discrepancy = any(i.counted_qty != i.expected_qty or i.seal_intact is False
                      for i in entry.items)
    stored = store_photos(list(photos))

    def write() -> WarehouseCheck:
        check = WarehouseCheck(
            client_key=entry.client_key, facility=facility, operation=operation,
            created_by=user, creator_agency_id=user.agency_id, checked_at=timing.occurred_at,
            device_time=timing.device_time, received_at=timing.received_at,
            delayed=timing.delayed, criteria=_validated_criteria(entry.criteria),
            required_pillars=list(settings.RECORDS_CHECK_PILLARS),
            has_discrepancy=discrepancy, notes=entry.notes.strip()[:4000], amends=amends,
            amendment_reason=entry.amendment_reason.strip()[:300],
        )
        check.save()
        for item in entry.items:
            CheckItem(check_record=check, kind=item.kind,
                      description=item.description.strip()[:160],
                      expected_qty=item.expected_qty, counted_qty=item.counted_qty,
                      seal_numbers=item.seal_numbers.strip()[:255],
                      seal_intact=item.seal_intact, note=item.note.strip()[:300]).save()
        attach_photos(stored, uploaded_by=user, warehouse_check=check)
        if discrepancy:
            _raise_discrepancy_alert(check)
        return check

    return insert_once(model=WarehouseCheck, key=entry.client_key, owner_field="created_by_id",
                       owner_id=user.pk, write=write, files=[name for _p, name in stored])


def _raise_discrepancy_alert(check: WarehouseCheck) -> None:
    """In the check's transaction: the alert exists exactly when the check does."""
    items = list(check.items.all())
    with translation.override(settings.LANGUAGE_CODE):
        lines = []
        for item in items:
            if item.seal_broken:
                lines.append(_("%(item)s: seal broken (%(seals)s)") % {
                    "item": item.get_kind_display(), "seals": item.seal_numbers or "—"})
            if item.discrepancy:
                lines.append(_("%(item)s: counted %(counted)d, expected %(expected)d") % {
                    "item": item.get_kind_display(), "counted": item.counted_qty,
                    "expected": item.expected_qty})
    alert_raise(kind=Alert.Kind.LOGISTICS_DISCREPANCY, severity=Alert.Severity.HIGH,
                facility=check.facility, dedup_key=f"records:check:{check.pk}",
                params={"msg": "records.check", "place": check.facility.name,
                        "broken": any(item.seal_broken for item in items)},
                detail="\n".join(lines))


# --- signatures ------------------------------------------------------------------------------


def signed_content_hash(check: WarehouseCheck) -> str:
    """What a signer signs: the check and its items as stored."""
    payload = {"check": content_of(check),
               # .all() and a sort here, so pages that prefetch the items run no query.
               "items": [content_of(item) for item in sorted(check.items.all(),
                                                             key=lambda i: i.pk)]}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def signer_pillar(*, user: User, check: WarehouseCheck) -> str | None:
    """The pillar `user` may sign `check` for, or None.

    Polri, TNI and Pemda: security staff of that pillar who may view the warehouse. KPU: an
    official of the warehouse's owner agency (or an agency above it). Administrators sign
    only if they are one of these."""
    if not policy.can(user, policy.Action.OPERATE, check) or user.agency_id is None:
        return None
    pillar = user.agency.pillar
    if pillar == Agency.Pillar.KPU and user.has_role(Role.FACILITY_OFFICIAL):
        return SignerPillar.KPU
    if pillar in Agency.SECURITY_PILLARS and pillar in SignerPillar.values:
        return pillar
    return None


def check_sign(*, check: WarehouseCheck, user: User, statement: str = "",
               now: datetime | None = None) -> CheckSignature:
    pillar = signer_pillar(user=user, check=check)
    if pillar is None or pillar not in check.required_pillars:
        raise PermissionDenied(_("You cannot sign this check for your pillar."))
    signature = CheckSignature(
        check_record=check, pillar=pillar, signer=user, signer_agency_id=user.agency_id,
        signed_at=now or timezone.now(), content_hash=signed_content_hash(check),
        statement=statement.strip()[:300],
    )
    try:
        with transaction.atomic():
            signature.save()
    except IntegrityError:
        raise ValidationError(_("%(pillar)s has already signed this check.") % {
            "pillar": SignerPillar(pillar).label}, code="signed") from None
    return signature


@dataclass(frozen=True)
class SignatureState:
    pillar: str
    label: str
    signature: CheckSignature | None


def signature_states(check: WarehouseCheck,
                     signatures: list[CheckSignature]) -> list[SignatureState]:
    by_pillar = {s.pillar: s for s in signatures}
    return [SignatureState(p, SignerPillar(p).label, by_pillar.get(p))
            for p in check.required_pillars if p in SignerPillar.values]


def check_is_complete(check: WarehouseCheck, signatures: list[CheckSignature]) -> bool:
    """Complete only with every required pillar's signature, each over the content as it is
    stored now (a signature over other content does not count)."""
    current = signed_content_hash(check)
    signed = {s.pillar for s in signatures if s.content_hash == current}
    return set(check.required_pillars) <= signed
