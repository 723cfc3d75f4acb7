"""Tamper detection on generated footage (security plan T-FI-16).

Positives must be reported within 10 s of onset; the negatives (noise, people, light changes,
night) must raise nothing.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from apps.camsim.scene import SceneState
from apps.vision.frames import small_grey
from apps.vision.tamper import TamperDetector, TamperKind, signal_lost
from tests.vision.helpers import scene_frames

ONSET = 10.0
FPS = 5.0


def events(frames, detector: TamperDetector | None = None) -> list[tuple[float, TamperKind, bool]]:
    detector = detector or TamperDetector()
    found = []
    for t, frame in frames:
        for event in detector.update(small_grey(frame), t).events:
            found.append((t, event.kind, event.active))
    return found


@pytest.mark.parametrize("night", [False, True], ids=["day", "night"])
@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"covered": True}, TamperKind.COVERED),
        ({"blurred": True}, TamperKind.DEFOCUSED),
        ({"shifted": True}, TamperKind.MOVED),
        ({"frozen": True}, TamperKind.FROZEN),
    ],
    ids=["covered", "defocused", "moved", "frozen"],
)
def test_tamper_is_reported_within_ten_seconds(change: dict, kind: TamperKind, night: bool) -> None:
    before = SceneState(night=night, person=True)
    after = SceneState(night=night, person=True, **change)
    found = events(scene_frames(30, FPS, change_at=10.0, before=before, after=after))
    raised = [(t, k) for t, k, active in found if active]
    assert raised, f"{kind} not reported"
    first_t, first_kind = raised[0]
    assert first_kind == kind
    assert 10.0 < first_t <= 10.0 + ONSET
    # One tamper, one report: it does not flap while the condition lasts.
    assert [k for _, k in raised].count(kind) == 1


def test_covered_lens_under_a_bright_timestamp_overlay_is_found() -> None:
    # A covered lens at 1280x720 with a large, thick overlay still counts as covered.
    before = SceneState(person=True)
    frames = list(scene_frames(20, FPS, size=(1280, 720), change_at=8.0, before=before,
                               after=SceneState(covered=True)))
    big = []
    for t, frame in frames:
        frame = frame.copy()
        cv2.putText(frame, "CAM-01 GUDANG LOGISTIK KPU", (20, 700), cv2.FONT_HERSHEY_SIMPLEX,
                    1.6, (255, 255, 255), 4)
        big.append((t, frame))
    raised = [(t, k) for t, k, active in events(big) if active]
    assert raised and raised[0][1] == TamperKind.COVERED
    assert raised[0][0] <= 8.0 + ONSET


def test_spray_painted_uniform_grey_is_covered() -> None:
    frames = list(scene_frames(20, FPS, before=SceneState(person=True)))
    rng = np.random.default_rng(3)

    def grey_paint(shape: tuple[int, ...]) -> np.ndarray:
        return np.clip(128 + rng.normal(0, 2, shape), 0, 255).astype(np.uint8)

    sprayed = [(t, frame if t < 8 else grey_paint(frame.shape)) for t, frame in frames]
    raised = [(t, k) for t, k, active in events(sprayed) if active]
    assert raised and raised[0][1] == TamperKind.COVERED and raised[0][0] <= 8.0 + ONSET


def test_uncovering_clears_the_report() -> None:
    detector = TamperDetector()
    covered = SceneState(covered=True)
    frames = list(scene_frames(40, FPS, change_at=10.0, before=SceneState(), after=covered))
    frames = [(t, f) for t, f in frames if t < 20] + [
        (t, f) for t, f in scene_frames(40, FPS, before=SceneState()) if t >= 20
    ]
    found = events(frames, detector)
    assert (TamperKind.COVERED, True) in [(k, a) for _, k, a in found]
    assert found[-1][1:] == (TamperKind.COVERED, False)
    assert not detector.active


@pytest.mark.parametrize(
    "state",
    [
        SceneState(),
        SceneState(person=True),
        SceneState(night=True),
        SceneState(night=True, person=True),
    ],
    ids=["static", "person", "night", "night-person"],
)
def test_normal_footage_raises_nothing(state: SceneState) -> None:
    # 120 s at 5 fps: 600 frames of noise, a clock ticking, people walking.
    assert events(scene_frames(120, FPS, before=state)) == []


def test_light_changes_raise_nothing() -> None:
    sudden = scene_frames(40, FPS, change_at=15.0, before=SceneState(person=True),
                          after=SceneState(person=True, lights=True))
    assert events(sudden) == []
    frames = list(scene_frames(90, FPS, before=SceneState(person=True)))
    dusk = [
        (t, np.clip(frame * (1.0 - 0.7 * i / len(frames)), 0, 255).astype(np.uint8))
        for i, (t, frame) in enumerate(frames)
    ]
    assert events(dusk) == []


def test_a_single_odd_frame_raises_nothing() -> None:
    frames = list(scene_frames(30, FPS, before=SceneState(person=True)))
    black = np.zeros_like(frames[0][1])
    odd = [(t, black if 15.0 <= t < 15.5 else frame) for t, frame in frames]
    assert events(odd) == []


def test_reference_can_be_relearnt_after_a_confirmed_move() -> None:
    detector = TamperDetector()
    moved = SceneState(shifted=True)
    events(scene_frames(20, FPS, change_at=5.0, before=SceneState(), after=moved), detector)
    assert TamperKind.MOVED in detector.active
    detector.reset_reference()
    later = [(t + 20.0, f) for t, f in scene_frames(20, FPS, before=moved)]
    found = events(later, detector)
    assert (TamperKind.MOVED, False) in [(k, a) for _, k, a in found]
    assert not detector.active


def test_signal_lost_helper() -> None:
    assert signal_lost(None, 100.0)
    assert not signal_lost(90.0, 100.0, after=20.0)
    assert signal_lost(80.0, 100.0, after=20.0)


@pytest.mark.parametrize("grid", [4, 7])
def test_cell_variances_match_the_variance_of_each_cell(grid: int) -> None:
    from apps.vision.tamper import _cell_variances, _cells

    image = np.random.default_rng(3).uniform(0, 255, (96, 160)).astype(np.float32)
    expected = _cells(image, grid).var(axis=1)
    assert np.allclose(_cell_variances(image, grid), expected, rtol=1e-3, atol=0.05)


def test_the_reference_follows_the_light_as_fast_whatever_the_time_between_looks() -> None:
    # Dusk over 90 s, looked at every 2 s (decoding in full) or every 10 s (an idle camera's
    # keyframes, apps.vision.decoding) after the first 4 s of learning: each measurement
    # weighs for the seconds since the one before, so the reference darkens alike.
    frames = list(scene_frames(91, 1.0, before=SceneState(person=True)))
    dusk = [(t, np.clip(frame * (1.0 - 0.7 * t / 90), 0, 255).astype(np.uint8))
            for t, frame in frames]
    brightness = {}
    for every in (2, 10):
        detector = TamperDetector()
        looked = [(t, frame) for t, frame in dusk if t <= 4 or t % every == 0]
        assert events(looked, detector) == []
        brightness[every] = float(detector._reference.tiny.mean())  # what it learnt
    assert brightness[10] == pytest.approx(brightness[2], rel=0.03)
