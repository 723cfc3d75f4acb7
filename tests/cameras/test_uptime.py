from datetime import UTC, datetime, timedelta

from apps.cameras.uptime import Segment, segments, uptime_fraction

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_segments_cover_the_window_in_order():
    parts = segments([(h(2), "offline"), (h(3), "online"), (h(30), "offline")], h(0), h(24),
                     state_before="online")
    assert parts == [Segment("online", h(0), h(2)), Segment("offline", h(2), h(3)),
                     Segment("online", h(3), h(24))]
    assert uptime_fraction(parts) == 23 / 24


def test_changes_before_the_window_set_the_starting_state():
    parts = segments([(h(-5), "offline"), (h(1), "online")], h(0), h(4))
    assert [p.state for p in parts] == ["offline", "online"]


def test_nothing_recorded_is_unknown_not_down():
    parts = segments([], h(0), h(24))
    assert parts == [Segment("unknown", h(0), h(24))]
    assert uptime_fraction(parts) is None


def test_degraded_counts_as_up_and_repeats_merge():
    parts = segments([(h(1), "degraded"), (h(2), "degraded"), (h(3), "online")], h(0), h(4),
                     state_before="online")
    assert [p.state for p in parts] == ["online", "degraded", "online"]
    assert uptime_fraction(parts) == 1.0
