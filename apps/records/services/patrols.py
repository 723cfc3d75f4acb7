"""Patrol writes: checkpoints, starting and ending a patrol, recording and correcting visits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.access import policy
from apps.accounts.models import User
from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.core.photos import NormalisedPhoto
from apps.core.timing import device_time_window
from apps.org.models import Agency
from apps.places.models import Facility, Operation
from apps.records import tokens
from apps.records.models import (
    Amendment,
    Checkpoint,
    Patrol,
    PatrolEnd,
    PatrolMember,
    PatrolMode,
    PatrolVisit,
    Situation,
)
from apps.records.services.common import (
    Saved,
    attach_photos,
    existing_by_key,
    insert_once,
    store_photos,
)

MAX_MEMBERS = 30
# A patrol not ended after this long is no longer offered on the field page.
PATROL_MAX_LENGTH = timedelta(hours=24)


# --- checkpoints (configuration) -------------------------------------------------------------


def checkpoint_create(*, facility: Facility, by: User, name: str, description: str = "",
                      latitude: Decimal | None = None, longitude: Decimal | None = None
                      ) -> Checkpoint:
    if not policy.checkpoint_facilities(by).filter(pk=facility.pk).exists():
        raise PermissionDenied(_("You may not set up checkpoints here."))
    name = name.strip()
    if Checkpoint.objects.filter(facility=facility, name__iexact=name).exists():
        raise ValidationError(_("This facility already has a checkpoint with that name."),
                              code="duplicate")
    return Checkpoint.objects.create(
        facility=facility, name=name, description=description.strip(), code=tokens.new_code(),
        latitude=latitude, longitude=longitude, created_by=by,
    )


def checkpoint_relabel(*, checkpoint: Checkpoint, by: User) -> Checkpoint:
    """New labels: the version goes up and every label printed before stops working."""
    if not policy.can(by, policy.Action.MANAGE, checkpoint):
        raise PermissionDenied(_("You may not change this checkpoint."))
    with transaction.atomic():
        locked = Checkpoint.objects.select_for_update().get(pk=checkpoint.pk)
        locked.token_version += 1
        locked.code = tokens.new_code()
        locked.save(update_fields=["token_version", "code"])
    return locked


# --- patrols ---------------------------------------------------------------------------------


def patrol_start(*, user: User, client_key: UUID, team_name: str, mode: str,
                 member_names: list[str], pillars: list[str],
                 planned: list[Checkpoint], operation: Operation | None = None,
                 device_time: datetime | None = None, note: str = "",
                 now: datetime | None = None) -> Saved[Patrol]:
    existing = existing_by_key(Patrol, client_key, owner_field="leader_id", owner_id=user.pk)
    if existing is not None:
        return Saved(existing, False)
    if not user.agency_id or not policy.scope(
            user, Checkpoint.objects.all(), policy.Action.OPERATE).exists():
        raise PermissionDenied(_("You may not lead a patrol."))
    if mode not in PatrolMode.values:
        raise ValidationError(_("Choose how the patrol moves."), code="mode")
    allowed = policy.scope(user, Checkpoint.objects.filter(pk__in=[c.pk for c in planned]),
                           policy.Action.OPERATE)
    if allowed.count() != len({c.pk for c in planned}):
        raise ValidationError(_("Some planned checkpoints are not yours to patrol."),
                              code="checkpoints")
    if operation is not None and not policy.patrol_operations(user).filter(
            pk=operation.pk).exists():
        raise ValidationError(_("Unknown operation."), code="operation")
    names = [n.strip()[:120] for n in member_names if n.strip()]
    if len(names) > MAX_MEMBERS:
        raise ValidationError(_("A patrol team has at most 30 members."), code="members")
    timing = device_time_window(device_time, now=now or timezone.now())
    team_pillars = sorted(p for p in {*pillars, user.agency.pillar}
                          if p in Agency.SECURITY_PILLARS)

    def write() -> Patrol:
        patrol = Patrol(
            client_key=client_key, team_name=team_name.strip()[:120], leader=user,
            agency_id=user.agency_id, operation=operation, mode=mode, pillars=team_pillars,
            planned_checkpoints=sorted({c.pk for c in planned}), started_at=timing.occurred_at,
            device_time=timing.device_time, received_at=timing.received_at,
            note=note.strip()[:500],
        )
        patrol.save()
        PatrolMember(patrol=patrol, person=user, name=str(user), is_leader=True).save()
        for name in names:
            PatrolMember(patrol=patrol, name=name).save()
        return patrol

    return insert_once(model=Patrol, key=client_key, owner_field="leader_id",
                       owner_id=user.pk, write=write, files=[])


def patrol_end(*, patrol: Patrol, user: User, device_time: datetime | None = None,
               note: str = "", now: datetime | None = None) -> PatrolEnd:
    if not policy.can(user, policy.Action.OPERATE, patrol):
        raise PermissionDenied(_("This is not your patrol."))
    timing = device_time_window(device_time, now=now or timezone.now())
    if PatrolEnd.objects.filter(patrol=patrol).exists():
        raise ValidationError(_("This patrol has already ended."), code="ended")
    ending = PatrolEnd(patrol=patrol, ended_by=user, ended_at=max(timing.occurred_at,
                                                                  patrol.started_at),
                       device_time=timing.device_time, received_at=timing.received_at,
                       note=note.strip()[:500])
    try:
        with transaction.atomic():
            ending.save()
    except IntegrityError:  # the one-to-one: a double tap ends it once
        raise ValidationError(_("This patrol has already ended."), code="ended") from None
    return ending


def active_patrols_for(*, user: User) -> list[Patrol]:
    """The person's patrols that have not ended (started in the last day)."""
    since = timezone.now() - PATROL_MAX_LENGTH
    return list(
        policy.scope(user, Patrol.objects.all(), policy.Action.OPERATE)
        .filter(started_at__gte=since, ending__isnull=True)
        .order_by("-started_at")
    )


# --- visits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitInput:
    client_key: UUID
    token: str = ""
    code: str = ""
    checkpoint_id: int | None = None  # what the client believes it scanned
    patrol_id: int | None = None
    device_time: datetime | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    accuracy_m: int | None = None
    situation: str = Situation.SAFE
    notes: str = ""


def patrol_visit_record(*, user: User, entry: VisitInput, photos: list[NormalisedPhoto] = (),
                        now: datetime | None = None) -> Saved[PatrolVisit]:
    """Record a checkpoint visit, once: a resend with the same key returns the first record.

    Refused: a forged, altered, retired or other checkpoint's token; a checkpoint the person
    may not patrol; a device time outside the window (apps.core.timing); a patrol that is
    not the person's or has ended."""
    existing = existing_by_key(PatrolVisit, entry.client_key, owner_field="recorded_by_id",
                               owner_id=user.pk)
    if existing is not None:
        return Saved(existing, False)
    resolved = tokens.resolve_checkpoint(user_id=user.pk, token=entry.token, code=entry.code,
                                         claimed_checkpoint_id=entry.checkpoint_id)
    checkpoint = resolved.checkpoint
    if not policy.can(user, policy.Action.OPERATE, checkpoint):
        raise PermissionDenied(_("You may not record visits at this checkpoint."))
    if entry.situation not in Situation.values:
        raise ValidationError(_("Say whether the situation is safe."), code="situation")
    timing = device_time_window(entry.device_time, now=now or timezone.now())
    patrol = None
    if entry.patrol_id is not None:
        patrol = policy.scope(user, Patrol.objects.select_related("ending"),
                              policy.Action.OPERATE).filter(pk=entry.patrol_id).first()
        if patrol is None:
            raise ValidationError(_("This is not your patrol."), code="patrol")
        ending = getattr(patrol, "ending", None)
        if ending is not None and timing.occurred_at > ending.ended_at:
            raise ValidationError(_("This patrol had already ended."), code="patrol_ended")
    stored = store_photos(list(photos))

    def write() -> PatrolVisit:
        visit = PatrolVisit(
            client_key=entry.client_key, checkpoint=checkpoint, facility_id=checkpoint.facility_id,
            patrol=patrol, recorded_by=user, recorder_agency_id=user.agency_id,
            method=resolved.method, occurred_at=timing.occurred_at,
            device_time=timing.device_time, received_at=timing.received_at,
            delayed=timing.delayed, latitude=entry.latitude, longitude=entry.longitude,
            accuracy_m=entry.accuracy_m, situation=entry.situation,
            notes=entry.notes.strip()[:2000],
        )
        visit.save()
        attach_photos(stored, uploaded_by=user, visit=visit)
        if visit.situation == Situation.ISSUE:
            _raise_issue_alert(visit, checkpoint)
        return visit

    return insert_once(model=PatrolVisit, key=entry.client_key, owner_field="recorded_by_id",
                       owner_id=user.pk, write=write, files=[name for _p, name in stored])


def _raise_issue_alert(visit: PatrolVisit, checkpoint: Checkpoint) -> None:
    alert_raise(
        kind=Alert.Kind.OTHER, severity=Alert.Severity.MEDIUM, facility=checkpoint.facility,
        dedup_key=f"records:visit-issue:{visit.pk}",
        params={"msg": "records.visit_issue", "place": str(checkpoint)}, detail=visit.notes,
    )


AMENDABLE_VISIT_FIELDS = ("situation", "notes")


def visit_amend(*, visit: PatrolVisit, user: User, reason: str, situation: str | None = None,
                notes: str | None = None) -> Amendment:
    """Correct one's own visit. The visit is not touched: the correction sits beside it."""
    if not policy.can(user, policy.Action.OPERATE, visit):
        raise PermissionDenied(_("Only the person who recorded a visit may correct it."))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the entry is corrected."), code="reason")
    changes = {}
    if situation is not None and situation != visit.situation:
        if situation not in Situation.values:
            raise ValidationError(_("Say whether the situation is safe."), code="situation")
        changes["situation"] = situation
    if notes is not None and notes.strip() != visit.notes:
        changes["notes"] = notes.strip()[:2000]
    if not changes:
        raise ValidationError(_("Nothing was changed."), code="unchanged")
    amendment = Amendment(visit=visit, changes=changes, reason=reason[:300], amended_by=user,
                          amended_at=timezone.now())
    amendment.save()
    return amendment
