"""Who may see what, and who may act on it: the one place that decides.

Every entry point (pages, admin, exports, snapshot and recording URLs, websockets, the API,
alert fan-out) asks this package. Rules are Q objects over each model, so a list is one filtered
query and a single-object check is the same filter applied to one row: the two can never
disagree. Deny by default: a model without a rule raises, and a user without a matching role,
agency or region sees nothing.

Jurisdiction: a person's agency region and the regions below it, plus regions granted to the
agency by a valid RegionGrant. Nobody sees across regions otherwise.

The rules live by domain (jurisdiction, cameras, recordings, duty, records, accounts) and register
themselves with the registry in base; audiences answers who is told. Callers import this
package and ask it: `policy.scope(user, queryset)`, `policy.can(...)`, and the named questions
below.
"""

from __future__ import annotations

from apps.access.policy.accounts import (
    may_check_record_integrity,
    may_configure_webhooks,
    may_see_health_details,
)
from apps.access.policy.audiences import (
    alert_assignees,
    users_who_may_view_alert,
    users_who_may_view_facility,
)
from apps.access.policy.base import (
    EVERYTHING,
    NOTHING,
    Action,
    can,
    get_or_404,
    governed_models,
    jurisdiction_paths,
    rule,
    scope,
)
from apps.access.policy.cameras import (
    CAPTURE_CLOCK_MARGIN,
    alerts_raised_while_inward,
    camera_view_lapses_at,
    frame_taken_while_inward,
    is_camera_owner,
    may_share_camera,
    passthrough_camera_ids,
    privacy_masks_apply,
    share_grantees,
    users_who_may_view_camera,
    viewable_camera_ids,
)
from apps.access.policy.duty import (
    check_in_photos,
    duty_setup_facilities,
    lone_check_shifts,
    may_plan_roster_at,
    may_press_panic,
    may_set_up_posts_at,
    roster_facilities,
    rosterable_people,
)
from apps.access.policy.escalation import escalation_regions, may_configure_escalation
from apps.access.policy.exports import may_download_export, may_release_holds
from apps.access.policy.jurisdiction import owned_facilities
from apps.access.policy.recordings import (
    needs_masked_recording,
    recording_segment_rule,
    reviewable_cameras,
)
from apps.access.policy.records import (
    checkpoint_facilities,
    incident_report_facilities,
    may_amend_incident,
    may_attach_incident_evidence,
    patrol_operations,
    tip_facilities,
    warehouse_check_facilities,
)

__all__ = [
    "CAPTURE_CLOCK_MARGIN",
    "EVERYTHING",
    "NOTHING",
    "Action",
    "alert_assignees",
    "alerts_raised_while_inward",
    "camera_view_lapses_at",
    "can",
    "check_in_photos",
    "checkpoint_facilities",
    "duty_setup_facilities",
    "escalation_regions",
    "frame_taken_while_inward",
    "get_or_404",
    "governed_models",
    "incident_report_facilities",
    "is_camera_owner",
    "jurisdiction_paths",
    "lone_check_shifts",
    "may_amend_incident",
    "may_attach_incident_evidence",
    "may_check_record_integrity",
    "may_configure_escalation",
    "may_configure_webhooks",
    "may_download_export",
    "may_plan_roster_at",
    "may_press_panic",
    "may_release_holds",
    "may_see_health_details",
    "may_set_up_posts_at",
    "may_share_camera",
    "needs_masked_recording",
    "owned_facilities",
    "passthrough_camera_ids",
    "patrol_operations",
    "privacy_masks_apply",
    "recording_segment_rule",
    "reviewable_cameras",
    "roster_facilities",
    "rosterable_people",
    "rule",
    "scope",
    "share_grantees",
    "tip_facilities",
    "users_who_may_view_alert",
    "users_who_may_view_camera",
    "users_who_may_view_facility",
    "viewable_camera_ids",
    "warehouse_check_facilities",
]
