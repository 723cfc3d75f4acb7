"""Half-open time intervals and their set arithmetic.

Internally instants are integer microseconds since the Unix epoch, because datetime arithmetic
is several times slower and the Django report runs the coverage for hundreds of facilities at
once. ``Interval`` and the public functions speak timezone-aware datetimes; results are in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
US_PER_MINUTE = 60_000_000
US_PER_HOUR = 3_600_000_000

# A span in microseconds: (start, end), half-open.
Span = tuple[int, int]


def to_micros(dt: datetime, what: str = "datetime") -> int:
    """Microseconds since the epoch of a timezone-aware datetime."""
    try:
        return (dt - EPOCH) // MICROSECOND
    except TypeError:
        # Subtracting a naive datetime from an aware one is the cheapest awareness check.
        raise ValueError(f"{what} must be timezone-aware, got {dt!r}") from None


def from_micros(us: int) -> datetime:
    """The UTC datetime ``us`` microseconds after the epoch."""
    return EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """Half-open time interval ``[start, end)`` between timezone-aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if to_micros(self.end, "Interval.end") < to_micros(self.start, "Interval.start"):
            raise ValueError(f"Interval end {self.end} is before start {self.start}")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def is_empty(self) -> bool:
        return self.end == self.start

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def intersection(self, other: Interval) -> Interval | None:
        """The common part, or None when the intervals share no instant."""
        start = max(self.start, other.start)
        end = min(self.end, other.end)
        return Interval(start, end) if start < end else None

    def clip(self, bounds: Interval) -> Interval | None:
        return self.intersection(bounds)


def merge_spans(pairs: Iterable[Span]) -> list[Span]:
    """Union of spans: sorted, disjoint, touching ones joined; empty ones dropped."""
    out: list[Span] = []
    for s, e in sorted(p for p in pairs if p[0] < p[1]):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def subtract_spans(base: list[Span], remove: list[Span]) -> list[Span]:
    """``base`` minus ``remove``; both must be merged (sorted, disjoint)."""
    out: list[Span] = []
    j = 0
    for s, e in base:
        while j < len(remove) and remove[j][1] <= s:
            j += 1
        k = j
        cur = s
        while k < len(remove) and remove[k][0] < e:
            rs, re_ = remove[k]
            if rs > cur:
                out.append((cur, rs))
            cur = max(cur, re_)
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def spans_to_intervals(pairs: Iterable[Span]) -> list[Interval]:
    return [Interval(from_micros(s), from_micros(e)) for s, e in pairs]


def _merged_spans(intervals: Iterable[Interval]) -> list[Span]:
    return merge_spans((to_micros(i.start), to_micros(i.end)) for i in intervals)


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Union: sorted, disjoint, non-touching intervals (touching ones are joined), in UTC."""
    return spans_to_intervals(_merged_spans(intervals))


def subtract_intervals(base: Iterable[Interval], remove: Iterable[Interval]) -> list[Interval]:
    """Instants in ``base`` and not in ``remove``, merged, in UTC."""
    return spans_to_intervals(subtract_spans(_merged_spans(base), _merged_spans(remove)))


def intersect_intervals(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Instants in both ``a`` and ``b``, merged, in UTC."""
    ma, mb = _merged_spans(a), _merged_spans(b)
    # A ∩ B = A − (A − B): reuses the one tested primitive.
    return spans_to_intervals(subtract_spans(ma, subtract_spans(ma, mb)))


def total_duration(intervals: Iterable[Interval]) -> timedelta:
    """Length of the union (overlaps counted once)."""
    return timedelta(microseconds=sum(e - s for s, e in _merged_spans(intervals)))
