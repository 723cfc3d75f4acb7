"""Evidence exports (apps.recordings.evidence_models). Making one is reviewing recordings:
a bundle holds only segments the exporter may review (the RecordingSegment rule), masked
where they would be served masked. Afterwards an export (its page, files and holds) is seen
by

- the person who exported it;
- operators and commanders of the agency it was exported for (investigations are handed
  over within an agency; every download is in the camera owner's access record);
- officials of the agency owning one of its cameras (they see what left with their footage);
- commanders whose jurisdiction holds one of its cameras' facilities: they keep the custody
  of footage there, and only a commander releases a hold (OPERATE).

Seeing an export is not downloading it: the bundle goes to its exporter, and to others only
while they may review every one of its cameras and would be served each video as it is in
the bundle (masked where they would be served masked): a bundle never widens anyone's view
of the footage. Administrators see no bundle (no break-glass). Nobody edits a bundle, its
files or its holds: the services append them."""

from __future__ import annotations

from django.db.models import Q

from apps.access.policy.base import NOTHING, Action, can, is_active, rule
from apps.access.policy.jurisdiction import visible_facilities
from apps.access.policy.recordings import needs_masked_recording, reviewable_cameras
from apps.accounts.models import Role, User
from apps.recordings.models import EvidenceExport, EvidenceFile, HoldRelease, SegmentHold

_HANDED_OVER_TO = (Role.OPERATOR, Role.COMMANDER)


@rule(EvidenceExport)
def evidence_export_rule(user: User, action: Action) -> Q:
    if action not in (Action.VIEW, Action.OPERATE):
        return NOTHING
    q = Q(requested_by_id=user.pk)
    if user.agency_id and any(user.has_role(role) for role in _HANDED_OVER_TO):
        q |= Q(agency_id=user.agency_id)
    if user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
        owned = EvidenceExport.cameras.through.objects.filter(
            camera__facility__owner_agency__path__startswith=user.agency.path)
        q |= Q(pk__in=owned.values("evidenceexport_id"))
    if user.has_role(Role.COMMANDER):
        supervised = EvidenceExport.cameras.through.objects.filter(
            camera__facility__in=visible_facilities(user))
        q |= Q(pk__in=supervised.values("evidenceexport_id"))
    elif action == Action.OPERATE:
        return NOTHING
    return q


def _follows_export(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING  # appended by apps.recordings.exports only
    return Q(export__in=EvidenceExport.objects.filter(evidence_export_rule(user, action)))


rule(EvidenceFile)(_follows_export)
rule(SegmentHold)(_follows_export)


@rule(HoldRelease)
def hold_release_rule(user: User, action: Action) -> Q:
    if action != Action.VIEW:
        return NOTHING
    return Q(hold__export__in=EvidenceExport.objects.filter(
        evidence_export_rule(user, action)))


def may_release_holds(user, export: EvidenceExport) -> bool:
    """Only a commander releases a hold on recorded footage (OPERATE on the export)."""
    return is_active(user) and can(user, Action.OPERATE, export)


def may_download_export(user, export: EvidenceExport) -> bool:
    """The bundle itself (see the module docstring): its exporter, or someone who sees the
    export, may review all its cameras and would be served each video as it is."""
    if not (is_active(user) and can(user, Action.VIEW, export)):
        return False
    if export.requested_by_id == user.pk:
        return True
    cameras = {camera.pk: camera for camera in export.cameras.select_related(
        "facility__owner_agency")}
    if reviewable_cameras(user).filter(pk__in=cameras).count() != len(cameras):
        return False
    return all(masked or not needs_masked_recording(user, cameras[camera_id])
               for camera_id, masked in export.files.filter(
                   kind=EvidenceFile.Kind.VIDEO).values_list("camera_id", "masked"))
