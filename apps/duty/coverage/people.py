"""One head per person: the roster or presence records of a facility or post, merged per
person, so that a person on two overlapping shifts (or at two posts at once) counts once."""

from __future__ import annotations

from collections.abc import Hashable

from apps.duty.coverage.intervals import from_micros
from apps.duty.coverage.model import Flag
from apps.duty.coverage.timeline import PersonSpan

# A roster or presence record clipped to the period: (person_id, start, end, pillar, post_id,
# shift_id).
PersonRecord = tuple[Hashable, int, int, str, Hashable, Hashable]


def merge_people(
    recs: list[PersonRecord], facility_id: Hashable, flags: list[Flag] | None
) -> list[PersonSpan]:
    """Per person, union of their intervals: a person is one head however many records.

    An overlapping chain keeps the pillar of its earliest record. With ``flags`` given,
    reports people booked at two different posts at the same instant and pillar conflicts.
    """
    by_person: dict[Hashable, list[PersonRecord]] = {}
    for r in recs:
        by_person.setdefault(r[0], []).append(r)
    out: list[PersonSpan] = []
    for person, items in by_person.items():
        if len(items) == 1:
            r = items[0]
            out.append((r[1], r[2], r[3]))
            continue
        items.sort(key=lambda r: (r[1], r[2]))
        out.extend(_chains(items, facility_id, flags))
        if flags is not None and any(r[3] != items[0][3] for r in items):
            flags.append(_pillar_conflict(facility_id, person, items))
    return out


def _chains(
    items: list[PersonRecord], facility_id: Hashable, flags: list[Flag] | None
) -> list[PersonSpan]:
    """The overlapping chains of one person's records, sorted by start; with ``flags`` given,
    flags each record starting while the person is still booked at another post."""
    first = items[0]
    cs, ce, cp = first[1], first[2], first[3]
    post_end = {first[4]: first[2]}  # per post, latest end within the current chain
    out: list[PersonSpan] = []
    for person, s, e, pillar, post, shift_id in items[1:]:
        if s <= ce:
            if flags is not None and any(p != post and pe > s for p, pe in post_end.items()):
                flags.append(
                    Flag(
                        "double-booked",
                        facility_id,
                        post,
                        person,
                        shift_id,
                        from_micros(s),
                        from_micros(min(e, ce)),
                        "rostered at another post at the same time",
                    )
                )
            ce = max(ce, e)
            post_end[post] = max(post_end.get(post, e), e)
        else:
            out.append((cs, ce, cp))
            cs, ce, cp = s, e, pillar
            post_end = {post: e}
    out.append((cs, ce, cp))
    return out


def _pillar_conflict(facility_id: Hashable, person: Hashable, items: list[PersonRecord]) -> Flag:
    pillars = sorted({r[3] for r in items})
    return Flag(
        "pillar-conflict",
        facility_id,
        None,
        person,
        None,
        None,
        None,
        f"records with pillars {pillars}; overlapping records use the earliest",
    )
