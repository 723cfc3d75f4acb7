"""Incident writes: reports (staff and public tips), workflow steps, camera evidence, alert
links and corrections."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.access import policy
from apps.accounts.models import User
from apps.alerts.models import Alert, AlertEvidence
from apps.alerts.services import alert_raise
from apps.cameras.models import Camera, TimelineFrame
from apps.core.photos import NormalisedPhoto
from apps.core.timing import device_time_window
from apps.places.models import Facility
from apps.records.models import (
    WORKFLOW,
    Amendment,
    Category,
    EvidenceSource,
    Incident,
    IncidentAlertLink,
    IncidentEvidence,
    IncidentStep,
    Source,
    Step,
)
from apps.records.services.common import (
    Saved,
    attach_photos,
    discard_files,
    existing_by_key,
    insert_once,
    store_photos,
)

# Frames this close to the incident's time are offered as evidence.
EVIDENCE_WINDOW = timedelta(minutes=15)
MAX_EVIDENCE_PER_REQUEST = 20
URGENT = frozenset({Category.SUSPICIOUS_OBJECT, Category.INTRUSION, Category.FIRE})


@dataclass(frozen=True)
class IncidentInput:
    client_key: UUID
    category: str
    description: str
    occurred_at: datetime | None = None  # typed on the form (facility-local, made aware)
    device_time: datetime | None = None
    location_detail: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def _validate(entry: IncidentInput, now: datetime) -> None:
    if entry.category not in Category.values:
        raise ValidationError(_("Choose what happened."), code="category")
    if not entry.description.strip():
        raise ValidationError(_("Describe what happened."), code="description")
    if entry.occurred_at is not None and entry.occurred_at > now + timedelta(minutes=5):
        raise ValidationError(_("The incident cannot be in the future."), code="future")


def incident_report(*, user: User, facility: Facility, entry: IncidentInput,
                    photos: list[NormalisedPhoto] = (),
                    now: datetime | None = None) -> Saved[Incident]:
    """A staff report, once per key. It raises an alert for the command center and is
    linked to it."""
    existing = existing_by_key(Incident, entry.client_key, owner_field="reporter_id",
                               owner_id=user.pk)
    if existing is not None:
        return Saved(existing, False)
    if not policy.incident_report_facilities(user).filter(pk=facility.pk).exists():
        raise PermissionDenied(_("You may not report incidents at this facility."))
    now = now or timezone.now()
    _validate(entry, now)
    timing = device_time_window(entry.device_time, now=now)
    occurred_at = min(entry.occurred_at, timing.occurred_at) if entry.occurred_at else (
        timing.occurred_at)
    stored = store_photos(list(photos))

    def write() -> Incident:
        incident = Incident(
            client_key=entry.client_key, facility=facility, category=entry.category,
            source=Source.STAFF, occurred_at=occurred_at, device_time=timing.device_time,
            received_at=timing.received_at, delayed=timing.delayed,
            description=entry.description.strip()[:4000],
            location_detail=entry.location_detail.strip()[:200],
            latitude=entry.latitude, longitude=entry.longitude, reporter=user,
            reporter_agency_id=user.agency_id,
        )
        incident.save()
        IncidentStep(incident=incident, step=Step.REPORTED, actor=user,
                     actor_agency_id=user.agency_id, at=timing.received_at).save()
        attach_photos(stored, uploaded_by=user, incident=incident)
        _raise_incident_alert(incident)
        return incident

    return insert_once(model=Incident, key=entry.client_key, owner_field="reporter_id",
                       owner_id=user.pk, write=write, files=[name for _p, name in stored])


def _raise_incident_alert(incident: Incident) -> None:
    """In the report's transaction: the alert exists exactly when the report does."""
    tip = incident.source == Source.PUBLIC_TIP
    severity = (Alert.Severity.MEDIUM if tip or incident.category not in URGENT
                else Alert.Severity.HIGH)
    alert, _created = alert_raise(
        kind=Alert.Kind.INCIDENT, severity=severity, facility=incident.facility,
        dedup_key=f"records:incident:{incident.pk}",
        params={"msg": "records.incident", "category": incident.category, "tip": tip,
                "place": incident.facility.name},
        detail=incident.description[:1000],
    )
    IncidentAlertLink(incident=incident, alert=alert, linked_at=timezone.now()).save()


# --- public tips -----------------------------------------------------------------------------


def tip_source_hash(address: str | None) -> str:
    """A keyed hash of the tipster's address: repeats are recognisable, the address is not
    kept."""
    if not address:
        return ""
    key = hashlib.sha256(f"posko.records.tip-source:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def tip_submit(*, facility: Facility, category: str, description: str,
               location_detail: str = "", contact: str = "", address: str | None = None,
               now: datetime | None = None) -> Incident:
    """A citizen's report: an unverified incident for the command center. Creates only;
    nothing of the portal is read back to the tipster."""
    if not policy.tip_facilities().filter(pk=facility.pk).exists():
        raise ValidationError(_("Choose a place from the list."), code="facility")
    now = now or timezone.now()
    entry = IncidentInput(client_key=uuid.uuid4(), category=category, description=description)
    _validate(entry, now)
    with transaction.atomic():
        incident = Incident(
            client_key=entry.client_key, facility=facility, category=category,
            source=Source.PUBLIC_TIP, occurred_at=now, received_at=now,
            description=description.strip()[:2000],
            location_detail=location_detail.strip()[:200], tip_contact=contact.strip()[:60],
            tip_source=tip_source_hash(address),
        )
        incident.save()
        IncidentStep(incident=incident, step=Step.REPORTED, at=now,
                     comment=_("Public tip: not verified yet.")).save()
        _raise_incident_alert(incident)
    return incident


# --- workflow --------------------------------------------------------------------------------


def incident_state(steps: list[IncidentStep]) -> str:
    done = {s.step for s in steps}
    for step in reversed(WORKFLOW):
        if step in done:
            return step
    return Step.REPORTED


def next_steps(*, incident: Incident, steps: list[IncidentStep]) -> list[str]:
    """Steps that may be added now: the next one of the workflow, and verification of an
    unverified public tip."""
    done = {s.step for s in steps}
    options = []
    if incident.source == Source.PUBLIC_TIP and Step.VERIFIED not in done and (
            Step.CLOSED not in done):
        options.append(Step.VERIFIED)
    state = incident_state(steps)
    position = WORKFLOW.index(state)
    if position + 1 < len(WORKFLOW):
        options.append(WORKFLOW[position + 1])
    return options


def incident_step(*, incident: Incident, user: User, step: str, comment: str = "",
                  now: datetime | None = None) -> IncidentStep:
    """Add a workflow step. Handling and closing need a comment (what was done)."""
    if not policy.can(user, policy.Action.OPERATE, incident):
        raise PermissionDenied(_("You may not act on this incident."))
    steps = list(incident.steps.all())
    if step not in next_steps(incident=incident, steps=steps):
        raise ValidationError(_("This step is not possible now."), code="order")
    if step in (Step.HANDLED, Step.CLOSED) and not comment.strip():
        raise ValidationError(_("Say what was done."), code="comment")
    row = IncidentStep(incident=incident, step=step, actor=user, actor_agency_id=user.agency_id,
                       at=now or timezone.now(), comment=comment.strip()[:2000])
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ValidationError(_("Someone else took this step just now."),
                              code="order") from None
    return row


def incident_link_alert(*, incident: Incident, user: User, alert: Alert) -> IncidentAlertLink:
    if not policy.can(user, policy.Action.OPERATE, incident) or not policy.can(
            user, policy.Action.VIEW, alert):
        raise PermissionDenied(_("You may not link this alert."))
    if alert.facility_id != incident.facility_id:
        raise ValidationError(_("The alert is about another facility."), code="facility")
    link = IncidentAlertLink(incident=incident, alert=alert, linked_by=user,
                             linked_at=timezone.now())
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:
        raise ValidationError(_("This alert is already linked."), code="linked") from None
    return link


AMENDABLE_INCIDENT_FIELDS = ("category", "description", "location_detail")


def incident_amend(*, incident: Incident, user: User, reason: str, **values: str) -> Amendment:
    """Correct a report: the reporter, or those who run the workflow. The report stays."""
    if not policy.may_amend_incident(user, incident):
        raise PermissionDenied(_("You may not correct this report."))
    if not reason.strip():
        raise ValidationError(_("Say why the entry is corrected."), code="reason")
    changes = {}
    for name in AMENDABLE_INCIDENT_FIELDS:
        value = values.get(name)
        if value is not None and value.strip() != getattr(incident, name):
            changes[name] = value.strip()
    if "category" in changes and changes["category"] not in Category.values:
        raise ValidationError(_("Choose what happened."), code="category")
    if not changes:
        raise ValidationError(_("Nothing was changed."), code="unchanged")
    amendment = Amendment(incident=incident, changes=changes, reason=reason.strip()[:300],
                          amended_by=user, amended_at=timezone.now())
    amendment.save()
    return amendment


# --- camera evidence -------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """A frame that may be attached: a timeline snapshot or a frame kept with an alert."""

    kind: str
    id: int
    camera: Camera
    taken_at: datetime
    image: object  # FieldFile


def _candidate_sources(incident: Incident, user: User, camera_id: int | None = None):
    """The timeline and alert frames of the facility's cameras near the incident's time that
    `user` may view. Inward cameras are simply not in the user's camera scope unless they own
    them."""
    cameras = policy.scope(user, Camera.objects.filter(facility_id=incident.facility_id))
    if camera_id is not None:
        cameras = cameras.filter(pk=camera_id)
    lo, hi = incident.occurred_at - EVIDENCE_WINDOW, incident.occurred_at + EVIDENCE_WINDOW
    timeline = (policy.scope(user, TimelineFrame.objects.filter(
                    camera__in=cameras, taken_at__range=(lo, hi)))
                .select_related("camera").order_by("taken_at"))
    kept = (policy.scope(user, AlertEvidence.objects.filter(
                camera__in=cameras, taken_at__range=(lo, hi)))
            .select_related("camera").order_by("taken_at"))
    return timeline, kept


def evidence_candidates(*, incident: Incident, user: User, limit: int = 60,
                        camera_id: int | None = None) -> list[Frame]:
    """Frames that may be attached, in time order (of one camera when `camera_id` is given)."""
    timeline, kept = _candidate_sources(incident, user, camera_id)
    frames = [Frame(EvidenceSource.TIMELINE, f.pk, f.camera, f.taken_at, f.image)
              for f in timeline[:limit]]
    frames += [Frame(EvidenceSource.ALERT, f.pk, f.camera, f.taken_at, f.image)
               for f in kept[:limit]]
    return sorted(frames, key=lambda f: f.taken_at)[:limit]


def evidence_candidate(*, incident: Incident, user: User, kind: str, frame_id: int
                       ) -> Frame | None:
    """One offered frame by its id (what a thumbnail or a full view asks for): one query."""
    timeline, kept = _candidate_sources(incident, user)
    source = timeline if kind == EvidenceSource.TIMELINE else kept
    found = source.filter(pk=frame_id).first()
    if found is None:
        return None
    return Frame(kind, found.pk, found.camera, found.taken_at, found.image)


def incident_attach_evidence(*, incident: Incident, user: User, frames: list[tuple[str, int]],
                             note: str = "") -> list[IncidentEvidence]:
    """Copy the chosen frames into the incident, with their SHA-256 and who attached them.
    Only frames of cameras the person may view can be chosen (the candidates above)."""
    if not policy.may_attach_incident_evidence(user, incident):
        raise PermissionDenied(_("You may not add evidence to this incident."))
    if len(frames) > MAX_EVIDENCE_PER_REQUEST:
        raise ValidationError(_("Attach at most 20 frames at a time."), code="too_many")
    candidates = {(f.kind, f.id): f for f in evidence_candidates(
        incident=incident, user=user, limit=500)}
    chosen = []
    for key in frames:
        frame = candidates.get(key)
        if frame is None:
            raise PermissionDenied(_("That frame is not available to you."))
        chosen.append(frame)
    already = set(incident.evidence.values_list("source_kind", "source_id"))
    attached, names = [], []
    try:
        with transaction.atomic():
            now = timezone.now()
            for frame in chosen:
                if (frame.kind, frame.id) in already:
                    continue
                with frame.image.open("rb") as handle:
                    data = handle.read()
                name = default_storage.save(f"records/evidence/{uuid.uuid4().hex}.jpg",
                                            ContentFile(data))
                names.append(name)
                row = IncidentEvidence(
                    incident=incident, camera=frame.camera, source_kind=frame.kind,
                    source_id=frame.id, taken_at=frame.taken_at, image=name,
                    sha256=hashlib.sha256(data).hexdigest(), attached_by=user,
                    attached_at=now, note=note.strip()[:200],
                )
                row.save()
                attached.append(row)
    except BaseException:
        discard_files(names)
        raise
    return attached
