"""Periodic checks: overdue patrols raise alerts; the chain head is anchored once a day."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apps.alerts.models import Alert
from apps.alerts.services import alert_clear, alert_raise, unresolved_keys
from apps.places.models import Facility, Operation
from apps.records.chain import anchor_publish
from apps.records.models import ChainAnchor, PatrolVisit

logger = logging.getLogger(__name__)

PATROL_OVERDUE = "records:patrol-overdue:"


@dataclass(frozen=True)
class FacilityDue:
    facility: Facility
    interval: timedelta
    since: datetime  # the last visit, or the start of the covering operation
    last_visit_at: datetime | None

    @property
    def due_at(self) -> datetime:
        return self.since + self.interval


def patrol_intervals(*, facilities, now: datetime) -> dict[int, tuple[timedelta, datetime]]:
    """For each facility covered today (its own local date) by an operation: the shortest
    patrol interval of those operations and when the earliest of them started (local
    midnight). Two queries whatever the number of facilities."""
    through = Operation.facilities.through
    pairs = (through.objects.filter(facility__in=facilities)
             .select_related("operation", "facility__region"))
    result: dict[int, tuple[timedelta, datetime]] = {}
    for pair in pairs:
        zone = ZoneInfo(pair.facility.region.timezone)
        today = timezone.localtime(now, zone).date()
        operation = pair.operation
        if not operation.is_active_on(today):
            continue
        interval = timedelta(hours=operation.patrol_interval_hours)
        started = datetime.combine(operation.starts_on, time(0), tzinfo=zone)
        known = result.get(pair.facility_id)
        if known is not None:
            interval, started = min(interval, known[0]), min(started, known[1])
        result[pair.facility_id] = (interval, started)
    return result


def facilities_due(*, now: datetime | None = None) -> list[FacilityDue]:
    now = now or timezone.now()
    facilities = {f.pk: f for f in Facility.objects.filter(status=Facility.Status.ACTIVE)
                  .select_related("region")}
    intervals = patrol_intervals(facilities=list(facilities), now=now)
    last = dict(PatrolVisit.objects.filter(facility_id__in=list(intervals))
                .values_list("facility_id").annotate(last=Max("occurred_at")))
    due = []
    for facility_id, (interval, started) in intervals.items():
        last_at = last.get(facility_id)
        due.append(FacilityDue(facilities[facility_id], interval,
                               max(last_at, started) if last_at else started, last_at))
    return due


def patrol_overdue_check(*, now: datetime | None = None) -> int:
    """Raise a "patrol overdue" alert for every facility not visited within its interval
    plus the grace period. One alert per overdue stretch: the key names the last visit, so a
    new visit followed by a new lapse opens a new alert, and repeats of this check count as
    repeats of the open one. An open alert whose facility was visited since (or is no longer
    due) resolves itself."""
    now = now or timezone.now()
    grace = timedelta(minutes=settings.RECORDS_PATROL_GRACE_MINUTES)
    raised = set()
    with translation.override(settings.LANGUAGE_CODE):
        for item in facilities_due(now=now):
            if now <= item.due_at + grace:
                continue
            facility = item.facility
            if item.last_visit_at is None:
                detail = _("No patrol visit has been recorded since the operation began.")
                marker = "none"
            else:
                local = timezone.localtime(item.last_visit_at, facility.zoneinfo)
                detail = _("Last patrol visit: %(time)s %(zone)s.") % {
                    "time": date_format(local, "DATETIME_FORMAT"),
                    "zone": facility.region.zone_abbreviation}
                marker = str(int(item.last_visit_at.timestamp()))
            key = f"{PATROL_OVERDUE}{facility.pk}:{marker}"
            alert_raise(
                kind=Alert.Kind.PATROL_OVERDUE, severity=Alert.Severity.MEDIUM,
                facility=facility, dedup_key=key,
                params={"msg": "records.patrol_overdue", "place": facility.name,
                        "hours": int(item.interval.total_seconds() // 3600)},
                detail=detail,
            )
            raised.add(key)
    alert_clear(dedup_keys=unresolved_keys(PATROL_OVERDUE) - raised)
    return len(raised)


def anchor_yesterday(*, now: datetime | None = None) -> ChainAnchor:
    """Anchor the chain head at the end of yesterday (in the portal's reference zone) and
    write it to the log too: a copy outside the database."""
    now = now or timezone.now()
    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localtime(now, zone).date()
    day = today - timedelta(days=1)
    anchor = anchor_publish(day=day, day_end=datetime.combine(today, time(0), tzinfo=zone))
    logger.info("records chain head at the end of %s: #%s %s", day, anchor.seq,
                anchor.entry_hash)
    return anchor
