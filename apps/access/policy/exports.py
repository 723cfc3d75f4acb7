"""Evidence exports (apps.recordings.evidence_models). Making one is reviewing recordings:
a bundle holds only segments the exporter may review (the RecordingSegment rule), masked
where they would be served masked. Afterwards a bundle is seen and downloaded by

- the person who exported it;
- operators and commanders of the agency it was exported for (investigations are handed
  over within an agency; every download is in the camera owner's access record);
- officials of the agency owning one of its cameras (they see what left with their footage).

Administrators see no bundle (no break-glass). Holds on an export's segments are released
(OPERATE) only by a commander who sees the export. Nobody edits a bundle, its files or its
holds: the services append them."""

from __future__ import annotations

from django.db.models import Q

from apps.access.policy.base import NOTHING, Action, can, is_active, rule
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
    if action == Action.OPERATE:
        return q if user.has_role(Role.COMMANDER) else NOTHING
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
