"""Recorded video. Reviewing recordings is a right of its own, apart from watching live;
until shares can grant it (issue 19), only the owner agency sees its cameras' recordings,
inward or outward, and nobody edits the index by hand: the watchers write it, retention
deletes from it."""

from __future__ import annotations

from django.db.models import Q

from apps.access.policy.base import NOTHING, Action, rule
from apps.accounts.models import Role, User
from apps.recordings.models import RecordingSegment


@rule(RecordingSegment)
def recording_segment_rule(user: User, action: Action) -> Q:
    if action == Action.VIEW and user.has_role(Role.FACILITY_OFFICIAL) and user.agency_id:
        return Q(camera__facility__owner_agency__path__startswith=user.agency.path)
    return NOTHING
