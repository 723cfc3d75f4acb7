"""Real recorded segments for the rendition tests: the simulator's gate scene encoded to
H.264 (apps.camsim.clip) and cut by the portal's own stream-copy writer
(apps.vision.recording), as a watcher records a camera."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from apps.camsim.clip import write_clip
from apps.vision.recording import Segment, SegmentWriter
from tests.vision.helpers import scene_frames

START = datetime(2026, 12, 7, 2, 13, tzinfo=UTC)


def recorded_segment(directory: Path, seconds: float = 3.0, *, fps: float = 10.0,
                     size: tuple[int, int] = (320, 180), start: datetime = START) -> Segment:
    """One fragmented MP4 segment of `seconds` of the gate scene, as the recorder writes it."""
    directory.mkdir(parents=True, exist_ok=True)
    clip = directory / f"clip-{start:%H%M%S%f}.mp4"
    write_clip(clip, (frame for _, frame in scene_frames(seconds, fps, size=size)), fps)
    with av.open(str(clip)) as source:
        video = source.streams.video[0]
        writer = SegmentWriter(video, directory, max_seconds=3600.0, clock=lambda: start)
        for packet in source.demux(video):
            if packet.dts is not None:
                assert writer.write(packet, start) is None
    clip.unlink()
    segment = writer.close()
    assert segment is not None
    return segment


def clip_with_audio(path: Path, seconds: float = 1.0, fps: float = 10.0) -> Path:
    """An MP4 with a video and an AAC audio stream (silence)."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=Fraction(round(fps)))
        video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
        audio = container.add_stream("aac", rate=48000)
        for index, (_, frame) in enumerate(scene_frames(seconds, fps)):
            picture = av.VideoFrame.from_ndarray(frame, format="bgr24")
            picture.pts = index
            container.mux(video.encode(picture))
        samples = np.zeros((1, 1024), np.float32)
        for index in range(round(seconds * 48000 / 1024)):
            sound = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            sound.sample_rate, sound.pts = 48000, index * 1024
            container.mux(audio.encode(sound))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
    return path
