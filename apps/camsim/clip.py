"""Encoding a scene to an H.264 .mp4 file with PyAV, for tests and the benchmark."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_clip(path: Path, frames: Iterable[np.ndarray], fps: float, bitrate: int = 0,
               keyint: int = 0) -> int:
    """Write BGR frames as H.264 (libx264, baseline-like, no B-frames, a keyframe every
    `keyint` frames, by default one a second); returns the count."""
    count = 0
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(round(fps * 1000), 1000))
        stream.pix_fmt = "yuv420p"
        options = {"preset": "veryfast", "bf": "0", "g": str(keyint or max(1, round(fps)))}
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
