"""The coarse motion marker of cameras raising no motion alert (apps.vision.pipeline): movement
marks their recording, on the pictures they decode in any mode, and a still or frozen picture
never does."""

from __future__ import annotations

import pytest

from apps.camsim.busy import Busy
from apps.camsim.scene import SceneState
from apps.vision.frames import BgrPixels, Frame
from apps.vision.pipeline import CameraPipeline, PipelineConfig
from tests.vision.helpers import scene_frames
from tests.vision.sinks import NullSink

WALKING = SceneState(person=True)
# Pictures this far apart: keyframe mode's looks, a live viewer's keyframes, the analysis rate
# of full decoding.
EVERY = [5.0, 1.0, 0.2]
EVERY_IDS = ["keyframe looks", "every keyframe", "analysis rate"]


class Marks(NullSink):
    """A pipeline sink noting the coarse marks and the motion alerts."""

    def __init__(self) -> None:
        self.marks: list[float] = []
        self.alerts: list[float] = []

    def motion(self, result, frame: Frame, clip_key: str | None) -> None:
        self.alerts.append(frame.stream_time)

    def moved(self, frame: Frame) -> None:
        self.marks.append(frame.stream_time)


def marked(every: float, *, armed: bool = False, seconds: float = 40.0,
           config: PipelineConfig | None = None, **scene) -> Marks:
    """The marks of pictures `every` seconds apart (EVERY) of the gate, its scene as
    scene_frames takes it."""
    marks = Marks()
    pipeline = CameraPipeline(config or PipelineConfig(), marks, is_armed=lambda frame: armed)
    frames = scene_frames(seconds, 1 / every, **scene)
    for seq, (t, picture) in enumerate(frames):
        pipeline.process(Frame(BgrPixels(picture), seq, t, t))
    return marks


@pytest.mark.parametrize("every", EVERY, ids=EVERY_IDS)
@pytest.mark.parametrize("night", [False, True], ids=["day", "night"])
def test_a_still_scene_is_never_marked(every: float, night: bool) -> None:
    assert marked(every, before=SceneState(night=night)).marks == []


@pytest.mark.parametrize("every", EVERY, ids=EVERY_IDS)
def test_someone_walking_by_is_marked_from_the_first_pictures_showing_them(every) -> None:
    marks = marked(every, change_at=20.0, after=WALKING)
    assert marks.marks and min(marks.marks) >= 20.0
    # At the first look after they appear (keyframe mode), or within a second.
    assert min(marks.marks) <= 20.0 + max(every, 1.0)
    assert marks.alerts == []  # a mark, never an alert


@pytest.mark.parametrize("every", EVERY, ids=EVERY_IDS)
def test_a_frozen_picture_is_not_marked(every: float) -> None:
    marks = marked(every, before=WALKING, change_at=20.0,
                   after=SceneState(person=True, frozen=True))
    assert marks.marks and max(marks.marks) <= 20.0 + every


@pytest.mark.parametrize("busy", list(Busy))
def test_a_busy_scene_is_marked_on_keyframe_looks(busy: Busy) -> None:
    assert len(marked(5.0, before=SceneState(busy=busy)).marks) >= 6


def test_an_armed_camera_raises_its_alerts_and_gets_no_coarse_mark() -> None:
    marks = marked(0.2, armed=True, seconds=20.0, change_at=10.0, after=WALKING)
    assert marks.alerts and marks.marks == []


@pytest.mark.parametrize("every", EVERY, ids=EVERY_IDS)
def test_movement_behind_a_privacy_mask_is_not_marked(every: float) -> None:
    # The walker's path (the lower half of the picture), clock overlay excluded.
    lower_half = ((0.0, 0.45), (1.0, 0.45), (1.0, 1.0), (0.0, 1.0))
    marks = marked(every, config=PipelineConfig(privacy_masks=(lower_half,)), before=WALKING)
    assert marks.marks == []
