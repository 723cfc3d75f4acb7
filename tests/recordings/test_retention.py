"""Retention rules as a pure function with a frozen clock (apps.recordings.retention)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apps.recordings.retention import CameraPolicy, SegmentInfo, plan_retention

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
POLICY = CameraPolicy(days=14, alert_days=60)
MB = 1_000_000


def segment(pk: int, age_days: float, *, camera: int = 1, size: int = MB, held: bool = False,
            alert: bool = False) -> SegmentInfo:
    end = NOW - timedelta(days=age_days)
    return SegmentInfo(pk, camera, end - timedelta(minutes=1), end, size, held, alert)


def plan(segments: list[SegmentInfo], quota: int = 0, policies: dict | None = None):
    ordered = sorted(segments, key=lambda s: s.start)
    return plan_retention(lambda: iter(ordered), policies or {}, POLICY, NOW, quota)


def test_continuous_footage_is_kept_for_the_cameras_days() -> None:
    result = plan([segment(1, 13.9), segment(2, 14.1), segment(3, 0)])
    assert result.delete == [2]
    assert (result.used_before, result.used_after) == (3 * MB, 2 * MB)


def test_footage_overlapping_an_alert_is_kept_longer_and_held_footage_always() -> None:
    result = plan([segment(1, 30, alert=True), segment(2, 61, alert=True),
                   segment(3, 400, held=True), segment(4, 30)])
    assert sorted(result.delete) == [2, 4]


def test_each_camera_has_its_own_days() -> None:
    result = plan([segment(1, 3, camera=1), segment(2, 3, camera=2)],
                  policies={2: CameraPolicy(days=2, alert_days=2)})
    assert result.delete == [2]


def test_the_quota_prunes_the_oldest_unheld_footage_down_to_85_percent() -> None:
    segments = [segment(pk, age_days=10 - pk, held=pk == 1) for pk in range(1, 11)]
    result = plan(segments, quota=10 * MB)  # full: 10 MB of 10
    # Segment 1 (the oldest) is held: 2 and 3 go, leaving 8 MB (80 %, under 85 %).
    assert result.expired == []
    assert result.pruned == [2, 3]
    assert result.used_after == 8 * MB
    assert not result.near_full


def test_expired_footage_counts_before_pruning() -> None:
    segments = [segment(1, 20), segment(2, 5), segment(3, 1)]
    # 3 MB of a 3 MB quota, but the expired segment frees enough: nothing else goes.
    result = plan(segments, quota=3 * MB)
    assert (result.expired, result.pruned, result.used_after) == ([1], [], 2 * MB)
    # With 2 MB, what remains after expiry is still at the quota: the oldest other one goes.
    result = plan(segments, quota=2 * MB)
    assert (result.expired, result.pruned, result.used_after) == ([1], [2], MB)


def test_usage_at_90_percent_is_reported_before_the_quota_is_reached() -> None:
    assert plan([segment(pk, 1) for pk in range(9)], quota=10 * MB).near_full
    assert not plan([segment(pk, 1) for pk in range(8)], quota=10 * MB).near_full
    assert not plan([segment(pk, 1) for pk in range(8)]).near_full  # no quota, no alert


def test_held_footage_filling_the_quota_stays_and_is_reported() -> None:
    segments = [segment(pk, 1, held=True) for pk in range(10)] + [segment(10, 0)]
    result = plan(segments, quota=10 * MB)
    assert result.pruned == [10]
    assert result.used_after == 10 * MB
    assert result.near_full
