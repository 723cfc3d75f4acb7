"""Real recorded footage for the review tests and the playback benchmark: frames drawn here,
encoded into fragmented MP4 segments by the portal's own writer (apps.vision.jpegrecording),
and, with a database, stored and indexed by apps.recordings.services like a watcher does."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from apps.vision.jpegrecording import JpegSegmentWriter
from apps.vision.recording import Segment

SIZE = (320, 180)


def _jpeg(index: int, fps: float) -> bytes:
    """A frame that changes every time: a bar sweeping across and the second written on it."""
    width, height = SIZE
    frame = np.full((height, width, 3), 40, np.uint8)
    x = int(index * 8) % width
    frame[:, x:x + 12] = (0, 200, 255)
    cv2.putText(frame, f"{index / fps:7.1f}", (10, 100), cv2.FONT_HERSHEY_SIMPLEX, 1.2,
                (255, 255, 255), 2)
    return cv2.imencode(".jpg", frame)[1].tobytes()


def write_segments(directory: Path, start: datetime, seconds: float, *, fps: float = 5.0,
                   max_seconds: float = 10.0) -> list[Segment]:
    """`seconds` of footage from `start`, as the writer cuts it (segments of `max_seconds`)."""
    directory.mkdir(parents=True, exist_ok=True)
    writer = JpegSegmentWriter(directory, max_seconds=max_seconds, fps_hint=fps)
    segments: list[Segment] = []
    for index in range(round(seconds * fps)):
        finished = writer.write(_jpeg(index, fps), start + timedelta(seconds=index / fps))
        if finished:
            segments.append(finished)
    last = writer.close()
    if last:
        segments.append(last)
    return segments


def record(camera, directory: Path, start: datetime, seconds: float, **options) -> list:
    """Footage of `camera` stored and indexed (RecordingSegment rows), as a watcher leaves it."""
    from apps.recordings.services import segment_recorded

    return [segment_recorded(camera.pk, segment)
            for segment in write_segments(directory, start, seconds, **options)]
