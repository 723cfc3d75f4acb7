"""Recording segments: stream copy of H.264 (from a file and from the simulator's RTSP camera)
and H.264 encoding of JPEG frames, checked by opening the files with PyAV."""

from __future__ import annotations

import hashlib
import itertools
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import cv2
import pytest

from apps.camsim import Simulator
from apps.camsim.clip import write_clip
from apps.vision.jpegrecording import JpegSegmentWriter
from apps.vision.recording import Segment, SegmentWriter, probe_segment
from apps.vision.source import SourceKind
from apps.vision.videocapture import ffmpeg_options
from tests.vision.helpers import scene_frames
from tests.waiting import wait_until

T0 = datetime(2026, 12, 7, 2, 13, tzinfo=UTC)
FRAME = 1 / 15


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def clip(tmp_path: Path, seconds: float, fps: float = 15.0) -> Path:
    """An H.264 file with a keyframe every second (the simulator's cameras' interval)."""
    path = tmp_path / "clip.mp4"
    write_clip(path, (frame for _, frame in scene_frames(seconds, fps)), fps)
    return path


def inspect(segment: Segment) -> tuple[float, bool, int]:
    """(duration in s, first packet is a keyframe, frames decoded) of a segment file."""
    with av.open(str(segment.path)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        first_is_key = packets[0].is_keyframe
        last = packets[-1]
        assert stream.time_base is not None
        duration = float((max(p.pts for p in packets) + (last.duration or 0)) * stream.time_base)
    with av.open(str(segment.path)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    return duration, first_is_key, decoded


def check_file(segment: Segment) -> None:
    data = segment.path.read_bytes()
    assert len(data) == segment.bytes
    assert hashlib.sha256(data).hexdigest() == segment.sha256
    assert b"moof" in data  # fragmented


def test_file_is_cut_at_keyframes_into_segments_within_the_limit(
        tmp_path: Path, loopback_policy: object) -> None:
    clock = FakeClock()
    out = tmp_path / "segments"
    out.mkdir()
    segments: list[Segment] = []
    with av.open(str(clip(tmp_path, 5.0)), options=ffmpeg_options(SourceKind.FILE)) as source:
        video = source.streams.video[0]
        writer = SegmentWriter(video, out, max_seconds=2.0, clock=clock)
        for packet in source.demux(video):
            if packet.dts is None:
                continue
            clock.now = T0 + timedelta(seconds=float(packet.dts * video.time_base))
            finished = writer.write(packet)
            if finished:
                segments.append(finished)
        last = writer.close()
        assert last is not None
        segments.append(last)
    assert [round(s.seconds, 3) for s in segments] == [2.0, 2.0, 1.0]
    assert [s.packets for s in segments] == [30, 30, 15]
    assert segments[0].start == T0
    for before, after in itertools.pairwise(segments):
        assert abs((after.start - before.end).total_seconds()) < FRAME / 2  # contiguous
    for segment in segments:
        check_file(segment)
        duration, first_is_key, decoded = inspect(segment)
        assert first_is_key
        assert duration <= 2.0 + 1e-6
        assert decoded == segment.packets  # every frame decodes (no missing reference)
    assert writer.dropped == 0


def test_a_segment_begins_when_its_footage_did_not_when_the_probe_handed_it_over(
        tmp_path: Path, loopback_policy: object) -> None:
    """A new connection's first 1.6 s come at once after FFmpeg's probe: the segment is
    indexed from the packets that arrived on time, not from its late first keyframe."""
    clock = FakeClock()
    out = tmp_path / "segments"
    out.mkdir()
    burst = 1.6
    with av.open(str(clip(tmp_path, 5.0)), options=ffmpeg_options(SourceKind.FILE)) as source:
        video = source.streams.video[0]
        writer = SegmentWriter(video, out, max_seconds=60.0, clock=clock)
        for packet in source.demux(video):
            if packet.dts is None:
                continue
            media = float(packet.dts * video.time_base)
            # Received 0.1 s after it was filmed, except the probe's burst, all at `burst`.
            clock.now = T0 + timedelta(seconds=max(media, burst) + 0.1)
            assert writer.write(packet) is None
        segment = writer.close()
    assert segment is not None
    assert abs((segment.start - (T0 + timedelta(seconds=0.1))).total_seconds()) < FRAME / 2
    assert abs(segment.seconds - 5.0) < FRAME


def test_packets_before_the_first_keyframe_are_not_written(tmp_path: Path,
                                                            loopback_policy: object) -> None:
    with av.open(str(clip(tmp_path, 2.0)), options=ffmpeg_options(SourceKind.FILE)) as source:
        video = source.streams.video[0]
        writer = SegmentWriter(video, tmp_path, max_seconds=60.0)
        packets = [p for p in source.demux(video) if p.dts is not None]
        for packet in packets[3:]:  # joined mid-group: the first keyframe is a second in
            assert writer.write(packet) is None
        segment = writer.close()
    assert segment is not None
    assert writer.dropped == 12
    assert segment.packets == 15
    assert inspect(segment)[1:] == (True, 15)


def test_rtsp_camera_is_recorded_by_stream_copy(tmp_path: Path, simulator: Simulator) -> None:
    url = simulator.urls("cam-a")["rtsp"]
    segments: list[Segment] = []
    with av.open(url, options=ffmpeg_options(SourceKind.RTSP), timeout=(5, 5)) as source:
        video = source.streams.video[0]
        writer = SegmentWriter(video, tmp_path, max_seconds=2.0)
        for packet in source.demux(video):
            finished = writer.write(packet)
            if finished:
                segments.append(finished)
            if len(segments) == 2:
                break
        writer.close()
    for segment in segments:
        check_file(segment)
        duration, first_is_key, decoded = inspect(segment)
        assert first_is_key
        # The simulator's timestamps, like a camera's, jitter by a few milliseconds.
        assert 1.5 <= duration <= 2.0 + 0.05
        assert decoded == segment.packets
        with av.open(str(segment.path)) as container:
            assert container.streams.video[0].codec_context.name == "h264"
            assert container.streams.video[0].width == 320
    assert abs((segments[1].start - segments[0].end).total_seconds()) < 0.5


CHILD = """
import sys, time, av
sys.path.insert(0, {root!r})
from pathlib import Path
from apps.vision.recording import SegmentWriter
with av.open({clip!r}) as source:
    video = source.streams.video[0]
    writer = SegmentWriter(video, Path({out!r}), max_seconds=60.0)
    for packet in source.demux(video):
        if packet.dts is not None:
            writer.write(packet)
            time.sleep(1 / 15)  # as fast as a camera sends
    time.sleep(60)
"""


def test_a_segment_whose_writer_is_killed_plays_up_to_its_last_fragment(
        tmp_path: Path) -> None:
    out = tmp_path / "segments"
    out.mkdir()
    source = clip(tmp_path, 10.0)
    code = CHILD.format(root=str(Path.cwd()), clip=str(source), out=str(out))
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        def fragments() -> int:
            files = list(out.glob("*.mp4"))
            return files[0].read_bytes().count(b"moof") if files else 0
        # Three fragments written (three seconds), the fourth being collected.
        wait_until(lambda: fragments() >= 3, timeout=20, what="three fragments")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    (path,) = out.glob("*.mp4")
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    with av.open(str(path)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert packets[0].is_keyframe
    assert decoded >= 45  # every complete fragment, each one second of 15 frames
    assert decoded == len(packets)


def jpegs(seconds: float, fps: float, size: tuple[int, int] = (320, 180)) -> list[bytes]:
    return [cv2.imencode(".jpg", frame)[1].tobytes()
            for _, frame in scene_frames(seconds, fps, size=size)]


def test_jpeg_frames_are_encoded_to_h264_at_their_own_rate(tmp_path: Path) -> None:
    writer = JpegSegmentWriter(tmp_path, max_seconds=2.0, fps_hint=5.0)
    segments: list[Segment] = []
    for index, data in enumerate(jpegs(5.0, 5.0)):
        at = T0 + timedelta(seconds=index * 0.2)
        if index == 7:
            assert writer.write(b"\xff\xd8 not a jpeg", at) is None
        finished = writer.write(data, at)
        if finished:
            segments.append(finished)
    last = writer.close()
    assert last is not None
    segments.append(last)
    assert writer.dropped == 1
    assert [s.packets for s in segments] == [10, 10, 5]
    assert [round(s.seconds, 3) for s in segments] == [2.0, 2.0, 1.0]
    for segment in segments:
        check_file(segment)
        duration, first_is_key, decoded = inspect(segment)
        assert first_is_key
        assert duration <= 2.0 + 1e-6
        assert decoded == segment.packets
        with av.open(str(segment.path)) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 320, 180)


def test_a_snapshot_camera_changing_size_starts_a_new_segment(tmp_path: Path) -> None:
    writer = JpegSegmentWriter(tmp_path, max_seconds=60.0, fps_hint=0.5)
    small, large = jpegs(1.0, 2.0), jpegs(1.0, 2.0, size=(641, 361))
    times = (T0 + timedelta(seconds=2 * i) for i in range(4))
    finished = [writer.write(data, at) for data, at in zip(small + large, times, strict=True)]
    assert finished[:2] == [None, None] and finished[3] is None
    first, second = finished[2], writer.close()
    assert first is not None and second is not None
    assert (first.start, first.end, second.start) == (T0, T0 + timedelta(seconds=4),
                                                      T0 + timedelta(seconds=4))
    with av.open(str(second.path)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (640, 360)  # even, for 4:2:0


@pytest.mark.parametrize("step", [-10.0, 30.0])
def test_a_timestamp_jump_ends_the_segment(tmp_path: Path, loopback_policy: object,
                                          step: float) -> None:
    with av.open(str(clip(tmp_path, 3.0)), options=ffmpeg_options(SourceKind.FILE)) as source:
        video = source.streams.video[0]
        writer = SegmentWriter(video, tmp_path, max_seconds=60.0)
        packets = [p for p in source.demux(video) if p.dts is not None]
        shift = round(step / video.time_base)
        finished = [writer.write(p) for p in packets[:20]]
        for packet in packets[20:]:  # the camera's clock jumped at the group of second 1
            packet.pts += shift
            packet.dts += shift
            finished.append(writer.write(packet))
        last = writer.close()
    done = [s for s in finished if s] + [last]
    assert [s.packets for s in done if s] == [20, 15]  # the rest of the group is dropped
    assert writer.dropped == 10


def test_a_file_left_behind_is_probed_up_to_its_last_complete_fragment(
        tmp_path: Path, loopback_policy: object) -> None:
    out = tmp_path / "segments"
    out.mkdir()
    with av.open(str(clip(tmp_path, 4.0)), options=ffmpeg_options(SourceKind.FILE)) as source:
        video = source.streams.video[0]
        writer = SegmentWriter(video, out, max_seconds=60.0, clock=FakeClock())
        for packet in source.demux(video):
            if packet.dts is not None:
                writer.write(packet)
        whole = writer.close()
    assert whole is not None
    data = whole.path.read_bytes()
    # Cut inside the third fragment, as a killed writer would leave it.
    cut = data.index(b"moof", data.index(b"moof", data.index(b"moof") + 4) + 4) + 4
    left = out / whole.path.name
    left.write_bytes(data[:cut + (len(data) - cut) // 3])
    probed = probe_segment(left)
    assert probed is not None
    assert probed.start == T0
    # The two complete one-second fragments; the third's first packet was cut short.
    assert probed.packets == 30
    assert round(probed.seconds, 3) == 2.0
    with av.open(str(left)) as container:
        whole_packets = [p for p in container.demux(video=0) if p.size and not p.is_corrupt]
        assert sum(len(p.decode()) for p in whole_packets) == 30
    assert probed.sha256 == hashlib.sha256(left.read_bytes()).hexdigest()
    (out / "notes.mp4").write_bytes(b"not ours")
    assert probe_segment(out / "notes.mp4") is None
