"""Motion in zones on generated frames: people are found, light changes and noise are not."""

from __future__ import annotations

import numpy as np

from apps.camsim.scene import SceneState
from apps.vision.frames import small_grey
from apps.vision.geometry import polygon
from apps.vision.motion import MotionDetector, Zone
from tests.vision.helpers import scene_frames

GATE = Zone("gate", polygon([(0.3, 0.3), (0.7, 0.3), (0.7, 1.0), (0.3, 1.0)]))
SKY = Zone("sky", polygon([(0.0, 0.0), (1.0, 0.0), (1.0, 0.2), (0.0, 0.2)]))


def run(detector: MotionDetector, frames) -> list:
    return [detector.update(small_grey(frame)) for _, frame in frames]


def test_a_person_entering_the_gate_zone_is_motion_there_only() -> None:
    detector = MotionDetector([GATE, SKY])
    results = run(
        detector,
        scene_frames(8, change_at=2.0, before=SceneState(), after=SceneState(person=True)),
    )
    before, after = results[:10], results[10:]
    assert not any(r.motion for r in before)
    gate_hits = [r.zones[0] for r in after if r.zones[0].moving]
    assert len(gate_hits) >= 5
    assert not any(r.zones[1].moving for r in after)
    for zone in gate_hits:
        assert zone.fraction > 0
        for x, y, w, h in zone.boxes:
            assert 0 <= x <= 1 and 0 <= y <= 1 and 0 < w <= 1 and 0 < h <= 1


def test_motion_inside_an_ignored_area_is_not_reported() -> None:
    whole_lower_half = polygon([(0, 0.25), (1, 0.25), (1, 1), (0, 1)])
    detector = MotionDetector([GATE], ignore=[whole_lower_half])
    results = run(detector, scene_frames(8, before=SceneState(person=True)))
    assert not any(r.motion for r in results)


def test_static_scene_with_noise_raises_nothing_over_hundreds_of_frames() -> None:
    for state in (SceneState(), SceneState(night=True)):
        detector = MotionDetector()
        results = run(detector, scene_frames(80, before=state))
        assert len(results) == 400
        assert not any(r.motion for r in results)


def test_gradual_light_change_is_not_motion() -> None:
    detector = MotionDetector([GATE])
    frames = list(scene_frames(60))
    # Dusk over a minute: brightness falls by 60 %, in small steps.
    dimmed = [
        (t, np.clip(frame * (1.0 - 0.6 * i / len(frames)), 0, 255).astype(np.uint8))
        for i, (t, frame) in enumerate(frames)
    ]
    assert not any(r.motion for r in run(detector, dimmed))


def test_sudden_global_light_change_rebaselines_instead_of_motion() -> None:
    detector = MotionDetector([GATE])
    results = run(
        detector,
        scene_frames(12, change_at=6.0, before=SceneState(), after=SceneState(lights=True)),
    )
    assert not any(r.motion for r in results)
    assert any(r.rebaselined for r in results[30:])


def test_switching_to_night_vision_is_not_motion() -> None:
    detector = MotionDetector([GATE])
    results = run(
        detector,
        scene_frames(12, change_at=6.0, before=SceneState(), after=SceneState(night=True)),
    )
    assert not any(r.motion for r in results)
