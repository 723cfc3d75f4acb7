"""Encoding a scene to an H.264 .mp4 file with PyAV, for tests and the benchmark, and the
labelled tamper clips (which tamper, from when)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from apps.camsim.scene import SceneRenderer, SceneState


def write_clip(path: Path, frames: Iterable[np.ndarray], fps: float, bitrate: int = 0,
               keyint: int = 0) -> int:
    """Write BGR frames as H.264 (libx264, baseline-like, no B-frames, a keyframe every
    `keyint` frames and only then, by default one a second); returns the count."""
    count = 0
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(round(fps * 1000), 1000))
        stream.pix_fmt = "yuv420p"
        # A fixed group of pictures, as cameras send: no extra keyframe at a scene change.
        options = {"preset": "veryfast", "bf": "0", "g": str(keyint or max(1, round(fps))),
                   "x264-params": "scenecut=0"}
        if bitrate:
            stream.bit_rate = bitrate
        stream.options = options
        for frame in frames:
            if count == 0:
                stream.height, stream.width = frame.shape[:2]
            video = av.VideoFrame.from_ndarray(frame, format="bgr24")
            container.mux(stream.encode(video))
            count += 1
        container.mux(stream.encode(None))
    return count


# What each kind of tamper changes in the scene (apps.camsim.scene.SceneState's flags).
TAMPER_CHANGES: dict[str, dict[str, bool]] = {
    "covered": {"covered": True},
    "defocused": {"blurred": True},
    "moved": {"shifted": True},
    "frozen": {"frozen": True},
}


@dataclass(frozen=True)
class LabelledClip:
    """A clip of the gate in which one kind of tamper starts at `onset` seconds."""

    path: Path
    kind: str
    onset: float
    fps: float
    keyint: int


def write_tamper_clip(path: Path, kind: str, *, size: tuple[int, int] = (320, 180),
                      fps: float = 10.0, keyint: int = 0, seconds: float = 30.0,
                      onset: float | None = None, night: bool = False,
                      bitrate: int = 0) -> LabelledClip:
    """The gate with someone walking by, then `kind` of tamper (TAMPER_CHANGES) from
    `onset`: by default the frame right after a keyframe past 40 % of the clip, the worst
    moment for a reader that decodes keyframes only."""
    keyint = keyint or max(1, round(fps))
    if onset is None:
        first = round(seconds * 0.4 * fps)
        onset = ((first // keyint) * keyint + 1) / fps
    renderer = SceneRenderer(*size, name="tamper-clip")
    before = SceneState(night=night, person=True)
    after = replace(before, **TAMPER_CHANGES[kind])
    start = datetime(2026, 12, 7, 2, 13)
    frames = (
        renderer.render(after if i / fps >= onset else before, i / fps,
                        start + timedelta(seconds=i / fps))
        for i in range(round(seconds * fps))
    )
    write_clip(path, frames, fps, bitrate, keyint)
    return LabelledClip(path, kind, onset, fps, keyint)
