"""Recording faults (issue 19, item 7) on real simulator streams and real files, each segment
opened and decoded with PyAV: a camera that reconnects, a stream that changes resolution or
codec, a wall clock that jumps. (A writer killed mid-segment: tests/vision/test_recording.py;
a full disk: tests/vision/test_recorder.py and tests/streams/test_recording_faults.py.)"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import cv2
import numpy as np

from apps.camsim import CameraSpec, Simulator
from apps.camsim.clip import write_clip
from apps.core.netguard import UrlPolicy
from apps.vision.jpegrecording import JpegSegmentWriter
from apps.vision.recorder import Recorder, SegmentFlags
from apps.vision.recordgate import RecordMode
from apps.vision.recording import Segment
from apps.vision.source import Backoff, SourceConfig, SourceKind
from apps.vision.stream import StreamReader
from tests.vision.helpers import scene_frames
from tests.waiting import wait_until

T0 = datetime(2026, 12, 7, 2, 13, tzinfo=UTC)


class Finished(list):
    def __call__(self, segment: Segment, flags: SegmentFlags) -> None:
        self.append(segment)


@contextmanager
def reading(url: str, recorder: Recorder, policy: UrlPolicy) -> Iterator[StreamReader]:
    source = SourceConfig(url, SourceKind.RTSP, open_timeout=3, read_timeout=3)
    reader = StreamReader(source, lambda frame: None, policy=policy, recorder=recorder,
                          backoff=Backoff(first=0.2, maximum=0.5))
    thread = threading.Thread(target=reader.run, daemon=True)
    thread.start()
    try:
        yield reader
    finally:
        reader.stop()
        thread.join(timeout=10)
        assert not thread.is_alive()


def played(segment: Segment) -> tuple[str, tuple[int, int], bool, float]:
    """(codec, size, first packet a keyframe, seconds of video) of a segment, every frame of
    which decodes."""
    with av.open(str(segment.path)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        assert stream.time_base is not None
        end = max(p.pts + (p.duration or 0) for p in packets)
        seconds = float((end - min(p.pts for p in packets)) * stream.time_base)
        info = (stream.codec_context.name, (stream.width, stream.height),
                packets[0].is_keyframe, seconds)
    with av.open(str(segment.path)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == len(packets) == segment.packets
    assert abs(seconds - segment.seconds) < 0.2  # the index says what the file holds
    return info


def test_a_camera_that_reconnects_starts_a_new_segment_at_its_first_keyframe(
        tmp_path: Path, loopback_policy: UrlPolicy) -> None:
    with Simulator([CameraSpec("gate", 320, 180, 15.0, bitrate=300_000)]) as simulator:
        done = Finished()
        recorder = Recorder(tmp_path, RecordMode.CONTINUOUS, done, max_seconds=60.0)
        with reading(simulator.urls("gate")["rtsp"], recorder, loopback_policy) as reader:
            wait_until(lambda: reader.health().fps > 0 and any(tmp_path.glob("*.mp4")),
                       timeout=15, what="recording")
            wait_until(lambda: any(p.stat().st_size > 20_000 for p in tmp_path.glob("*.mp4")),
                       timeout=15, what="a second or more")
            simulator.control("gate", "drop-mid-frame")
            wait_until(lambda: len(done) >= 1, timeout=10, what="the segment ended at the drop")
            wait_until(lambda: any(p.stat().st_size > 20_000 for p in tmp_path.glob("*.mp4")
                                   if p != done[0].path), timeout=15,
                       what="a second or more of a new segment after the reconnect")
            wait_until(lambda: reader.health().reconnects >= 1, timeout=5, what="reconnect")
        wait_until(lambda: len(done) >= 2, timeout=5, what="both segments")
    before, after = done[0], done[1]
    for segment in (before, after):
        codec, size, keyframe_first, seconds = played(segment)
        assert (codec, size, keyframe_first) == ("h264", (320, 180), True)
        assert seconds > 0.5
    # No gap beyond the reconnect itself (a drop, a 0.2 s wait, a new session, a keyframe).
    assert timedelta(0) <= after.start - before.end < timedelta(seconds=4)


def test_a_stream_that_changes_resolution_still_plays(tmp_path: Path,
                                                     loopback_policy: UrlPolicy) -> None:
    """A camera reconfigured to another resolution: the connection ends (its parameter sets
    change), the reconnect starts a segment of the new size; both play."""
    first = Simulator([CameraSpec("gate", 320, 180, 15.0, bitrate=300_000)]).start()
    ports = {"http_port": first.http_port, "rtsp_port": first.rtsp_port}
    done = Finished()
    recorder = Recorder(tmp_path, RecordMode.CONTINUOUS, done, max_seconds=60.0)
    second = None
    try:
        with reading(first.urls("gate")["rtsp"], recorder, loopback_policy):
            wait_until(lambda: any(p.stat().st_size > 20_000 for p in tmp_path.glob("*.mp4")),
                       timeout=20, what="recording at 320x180")
            first.stop()
            second = Simulator([CameraSpec("gate", 480, 270, 15.0, bitrate=300_000)],
                               **ports).start()
            wait_until(lambda: len(done) >= 1 and any(
                p.stat().st_size > 20_000 for p in tmp_path.glob("*.mp4")
                if p != done[0].path), timeout=30, what="recording at 480x270")
        wait_until(lambda: len(done) >= 2, timeout=5, what="both segments")
    finally:
        first.stop()
        if second is not None:
            second.stop()
    sizes = [played(segment)[1:3] for segment in done]
    assert sizes[0] == ((320, 180), True) and sizes[-1] == ((480, 270), True)


def mpeg4_clip(path: Path, seconds: float, fps: int = 15) -> Path:
    """A file in another codec (MPEG-4 Part 2) than the simulator's H.264."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.options = {"g": str(fps)}
        for _, frame in scene_frames(seconds, fps):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")))
        container.mux(stream.encode(None))
    return path


def feed(recorder: Recorder, path: Path, received: Iterator[datetime]) -> None:
    """What a reader hands a recorder for one connection to a camera sending `path`."""
    with av.open(str(path)) as source:
        video = source.streams.video[0]
        recorder.video_opened(video)
        for packet in source.demux(video):
            if packet.dts is not None:
                recorder.video_packet(packet, next(received))
    recorder.closed()


def test_a_stream_that_changes_codec_still_plays(tmp_path: Path) -> None:
    h264 = tmp_path / "h264.mp4"
    write_clip(h264, (frame for _, frame in scene_frames(2.0, 15.0)), 15.0)
    mpeg4 = mpeg4_clip(tmp_path / "mpeg4.mp4", 2.0)
    out = tmp_path / "segments"
    done = Finished()
    recorder = Recorder(out, RecordMode.CONTINUOUS, done, max_seconds=60.0)
    clock = (T0 + timedelta(seconds=i / 15) for i in itertools.count())
    feed(recorder, h264, clock)
    feed(recorder, mpeg4, clock)
    assert [played(s)[0] for s in done] == ["h264", "mpeg4"]
    assert all(played(s)[2] for s in done)


def test_a_wall_clock_set_back_keeps_segments_in_recording_order(tmp_path: Path) -> None:
    """Segments start at the wall clock; the clock set back an hour between two segments of
    one session: the later segment is placed right after the earlier one, not an hour
    before it (the index also refuses overlaps: tests/recordings/test_links.py)."""
    clip = tmp_path / "clip.mp4"
    write_clip(clip, (frame for _, frame in scene_frames(4.0, 15.0)), 15.0)
    done = Finished()
    recorder = Recorder(tmp_path / "segments", RecordMode.CONTINUOUS, done, max_seconds=1.0)

    def clock() -> Iterator[datetime]:
        for index in itertools.count():
            jump = timedelta(hours=-1) if index >= 30 else timedelta(0)  # at second 2
            yield T0 + jump + timedelta(seconds=index / 15)

    feed(recorder, clip, clock())
    assert len(done) == 4
    for earlier, later in itertools.pairwise(done):
        assert later.start >= earlier.end
        assert later.end >= later.start
    assert done[2].start == done[1].end  # the first segment after the jump
    assert all(played(s)[2] for s in done)


def test_jpeg_recording_ends_a_segment_at_a_forward_clock_jump(tmp_path: Path) -> None:
    writer = JpegSegmentWriter(tmp_path, max_seconds=60.0, fps_hint=5.0)
    frames = [cv2.imencode(".jpg", f)[1].tobytes() for _, f in scene_frames(2.0, 5.0)]
    times = [T0 + timedelta(seconds=i * 0.2) for i in range(5)]
    times += [T0 + timedelta(hours=1, seconds=i * 0.2) for i in range(5)]
    finished = [writer.write(data, at) for data, at in zip(frames, times, strict=True)]
    first = next(s for s in finished if s is not None)
    last = writer.close()
    assert last is not None
    assert first.seconds == 1.0  # five frames of 0.2 s, not an hour
    assert last.start == T0 + timedelta(hours=1)
    assert np.isclose(last.seconds, 1.0)
    assert played(first)[2] and played(last)[2]
