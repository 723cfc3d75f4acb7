"""Tamper detection on keyframes only (security plan T-FI-16 in keyframe mode): each kind on
the labelled tamper clips (apps.camsim.clip.write_tamper_clip) within 10 s for keyframe
intervals up to 2 s, with a look every 10 s (apps.vision.decoding.KEYFRAME_LOOK) and the
tamper starting right after a keyframe or a look, and busy scenes (apps.camsim.busy) never
taken for a moved or covered camera in either decoding mode. Every clip is encoded to H.264
and read by the stream reader, as a camera's stream is."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from apps.camsim.busy import Busy
from apps.camsim.clip import TAMPER_CHANGES, write_clip, write_tamper_clip
from apps.camsim.scene import SceneState
from apps.core.netguard import UrlPolicy
from apps.vision.decoding import KEYFRAME_LOOK, DecodeMode
from apps.vision.tamper import TamperKind
from tests.vision.helpers import scene_frames
from tests.vision.keyframes import report_delay, tamper_reports

FPS = 10.0
BUDGET = 10.0


# The tamper starts on the frame after a keyframe (the longest wait for the next one), or
# after the keyframe of a look (the longest wait for the next look: at 0 s and every
# KEYFRAME_LOOK, 10 s, after).
AFTER = {"after_a_keyframe": None, "after_a_look": KEYFRAME_LOOK + 1 / FPS}


@pytest.mark.parametrize("after", AFTER)
@pytest.mark.parametrize("keyframe_seconds", [1, 2])
@pytest.mark.parametrize("night", [False, True], ids=["day", "night"])
@pytest.mark.parametrize("kind", sorted(TAMPER_CHANGES))
def test_tamper_on_keyframes_is_reported_within_ten_seconds(
        tmp_path: Path, loopback_policy: UrlPolicy, kind: str, night: bool,
        keyframe_seconds: int, after: str) -> None:
    clip = write_tamper_clip(tmp_path / "tamper.mp4", kind, fps=FPS,
                             keyint=round(keyframe_seconds * FPS), night=night,
                             onset=AFTER[after])
    delay = report_delay(clip, DecodeMode.KEYFRAMES, loopback_policy)
    assert delay is not None, f"{kind} not reported"
    assert delay <= BUDGET


@pytest.mark.parametrize("kind", sorted(TAMPER_CHANGES))
def test_tamper_on_keyframes_is_found_through_the_bitstream_whatever_the_look(
        tmp_path: Path, loopback_policy: UrlPolicy, kind: str) -> None:
    # No look after the first keyframe: the bitstream's signs and the detector's attention
    # find every kind alone, so the time between looks can follow the idle snapshots.
    clip = write_tamper_clip(tmp_path / "tamper.mp4", kind, fps=FPS, keyint=round(2 * FPS))
    delay = report_delay(clip, DecodeMode.KEYFRAMES, loopback_policy, look=math.inf)
    assert delay is not None, f"{kind} not reported"
    assert delay <= BUDGET


# Keyframe mode with keyframes 1 and 2 s apart: its looks follow the bitstream, which a busy
# scene keeps changing.
@pytest.mark.parametrize(("mode", "keyframe_seconds"), [
    (DecodeMode.FULL, 2), (DecodeMode.EVERY_KEYFRAME, 1), (DecodeMode.KEYFRAMES, 1),
    (DecodeMode.KEYFRAMES, 2)])
@pytest.mark.parametrize("night", [False, True], ids=["day", "night"])
@pytest.mark.parametrize("busy", list(Busy))
def test_a_busy_scene_is_never_a_moved_or_covered_camera(
        tmp_path: Path, loopback_policy: UrlPolicy, busy: Busy, night: bool,
        mode: DecodeMode, keyframe_seconds: int) -> None:
    path = tmp_path / "busy.mp4"
    state = SceneState(night=night, busy=busy)
    write_clip(path, (frame for _, frame in scene_frames(60, FPS, before=state)), FPS,
               keyint=round(keyframe_seconds * FPS))
    reports = tamper_reports(path, mode, loopback_policy)
    assert not [r for r in reports if r[1] in (TamperKind.MOVED, TamperKind.COVERED)]


@pytest.mark.parametrize("busy", [Busy.CROWD, Busy.MARKET])
def test_a_camera_turned_away_in_front_of_a_crowd_is_still_reported(
        tmp_path: Path, loopback_policy: UrlPolicy, busy: Busy) -> None:
    path = tmp_path / "moved.mp4"
    before = SceneState(busy=busy)
    frames = scene_frames(30, FPS, change_at=12.05, before=before,
                          after=replace(before, shifted=True))
    write_clip(path, (frame for _, frame in frames), FPS, keyint=round(2 * FPS))
    for mode in DecodeMode:
        raised = [t for t, kind, active in tamper_reports(path, mode, loopback_policy)
                  if active and kind == TamperKind.MOVED]
        assert raised and 12.05 < raised[0] <= 12.05 + BUDGET, mode
