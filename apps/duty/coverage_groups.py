"""The coverage page's summary of a city: its facilities by district, or by kind when they all
lie in one district, each line a drill-down to the page narrowed to that group.

Counted in the database in two queries, whatever the number of facilities: the page computes
guard coverage for its own page of facilities only (apps.duty.coverage_page), and every
facility's arithmetic is left to the exports. So a line says what can be counted without it:
the facilities, those without a guard post, those with a post where nobody is checked in now,
and the people checked in now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from apps.duty import coverage as cov
from apps.duty.models import MAX_SHIFT, Attendance, GuardPost
from apps.places.models import Facility


@dataclass
class GroupLine:
    """One district's or kind's facilities counted: the row a commander scans before
    opening it."""

    label: str
    param: str  # the coverage filter that narrows the page to this group: region or kind
    value: int | str
    facilities: int = 0
    without_posts: int = 0
    unguarded: int = 0  # with a guard post, and nobody checked in there now
    on_duty: int = 0  # check-ins open now
    href: str = ""  # the page's query narrowed to this group (set by the view)


def on_duty_now(now: datetime) -> QuerySet[Attendance]:
    """Check-ins open now. One older than the longest shift and its grace is a forgotten
    check-out, not a guard on duty: the coverage arithmetic ends it by then too."""
    reach = now - MAX_SHIFT - cov.DEFAULT_MISSING_CHECKOUT_GRACE
    return Attendance.objects.filter(checked_out_at__isnull=True, checked_in_at__gt=reach,
                                     checked_in_at__lte=now)


def coverage_groups(*, facilities: QuerySet[Facility], now: datetime) -> list[GroupLine]:
    """`facilities` (the page's filtered ones, in the order shown) counted by district, or by
    kind when they lie in one district. Counted per (district, kind) and folded here: the
    choice of grouping then costs no query of its own."""
    ids = facilities.order_by().values("pk")
    posts = GuardPost.objects.filter(facility=OuterRef("pk"))
    present = on_duty_now(now)
    rows = list(
        Facility.objects.filter(pk__in=ids)
        .values_list("region_id", "region__name", "region__path", "kind")
        .annotate(
            n=Count("pk"),
            without_posts=Count("pk", filter=~Q(Exists(posts))),
            unguarded=Count("pk", filter=Q(Exists(posts)) & ~Q(
                Exists(present.filter(post__facility=OuterRef("pk"))))),
        )
        .order_by("region__path", "kind")
    )
    by_region = len({row[0] for row in rows}) > 1
    kinds = dict(Facility.Kind.choices)
    lines: dict[int | str, GroupLine] = {}
    for region_id, region_name, _path, kind, n, without_posts, unguarded in rows:
        key = region_id if by_region else kind
        line = lines.get(key)
        if line is None:
            line = lines[key] = GroupLine(
                label=region_name if by_region else str(kinds.get(kind, kind)),
                param="region" if by_region else "kind", value=key)
        line.facilities += n
        line.without_posts += without_posts
        line.unguarded += unguarded
    checked_in = (present.filter(post__facility__in=ids)
                  .values_list("post__facility__region_id", "post__facility__kind")
                  .annotate(n=Count("pk")).order_by())
    for region_id, kind, n in checked_in:
        line = lines.get(region_id if by_region else kind)
        if line is not None:
            line.on_duty += n
    return list(lines.values())
