"""Recording from the reader's own connection (apps.vision.recorder): RTSP by stream copy and
MJPEG encoded, continuous and events-only, and a recording that fails and resumes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av

from apps.camsim import Simulator
from apps.camsim.clip import write_clip
from apps.core.netguard import UrlPolicy
from apps.vision.decoding import DecodeSwitch
from apps.vision.frames import Frame
from apps.vision.recorder import Recorder, SegmentFlags
from apps.vision.recordgate import RecordMode
from apps.vision.recording import Segment
from apps.vision.source import Backoff, SourceConfig, SourceKind
from apps.vision.stream import StreamReader
from tests.vision.helpers import scene_frames
from tests.waiting import wait_until

T0 = datetime(2026, 12, 7, 2, 13, tzinfo=UTC)


class Finished:
    def __init__(self) -> None:
        self.segments: list[tuple[Segment, SegmentFlags]] = []

    def __call__(self, segment: Segment, flags: SegmentFlags) -> None:
        self.segments.append((segment, flags))


@contextmanager
def recording(url: str, kind: SourceKind, recorder: Recorder, policy: UrlPolicy,
              decoding: DecodeSwitch | None = None) -> Iterator[list[Frame]]:
    frames: list[Frame] = []
    source = SourceConfig(url, kind, open_timeout=3, read_timeout=3)
    reader = StreamReader(source, frames.append, policy=policy, recorder=recorder,
                          backoff=Backoff(first=0.2, maximum=1.0), decoding=decoding)
    thread = threading.Thread(target=reader.run, daemon=True)
    thread.start()
    try:
        yield frames
    finally:
        reader.stop()
        thread.join(timeout=10)
        assert not thread.is_alive()


def opened(segment: Segment) -> tuple[str, bool, int, float]:
    """(codec, starts with a keyframe, frames decoded, duration in s) of a segment file."""
    with av.open(str(segment.path)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        assert stream.time_base is not None
        duration = float((packets[-1].pts + packets[-1].duration) * stream.time_base)
        codec, first_key = stream.codec_context.name, packets[0].is_keyframe
    with av.open(str(segment.path)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    return codec, first_key, decoded, duration


def test_rtsp_is_recorded_by_stream_copy_while_frames_are_still_analysed(
        tmp_path: Path, simulator: Simulator, loopback_policy: UrlPolicy) -> None:
    done = Finished()
    recorder = Recorder(tmp_path, RecordMode.CONTINUOUS, done, max_seconds=2.0)
    with recording(simulator.urls("cam-b")["rtsp"], SourceKind.RTSP, recorder,
                   loopback_policy) as frames:
        wait_until(lambda: len(done.segments) >= 2, timeout=15, what="two segments")
        assert len(frames) >= 10  # the decoder still gets every packet after the copy
    wait_until(lambda: len(done.segments) >= 3, timeout=5, what="the last one, at the end")
    for segment, flags in done.segments[:2]:
        codec, first_key, decoded, duration = opened(segment)
        assert (codec, first_key) == ("h264", True)
        assert decoded == segment.packets
        assert 1.5 <= duration <= 2.05
        assert flags == SegmentFlags()


def test_mjpeg_is_recorded_as_h264(tmp_path: Path, simulator: Simulator,
                                   loopback_policy: UrlPolicy) -> None:
    done = Finished()
    recorder = Recorder(tmp_path, RecordMode.CONTINUOUS, done, max_seconds=1.0)
    with recording(simulator.urls("cam-a")["mjpeg"], SourceKind.MJPEG, recorder,
                   loopback_policy):
        wait_until(lambda: done.segments, timeout=15, what="a segment")
    segment = done.segments[0][0]
    codec, first_key, decoded, duration = opened(segment)
    assert (codec, first_key) == ("h264", True)
    assert decoded == segment.packets >= 10
    assert duration <= 1.05


def test_events_only_records_around_the_event(tmp_path: Path, simulator: Simulator,
                                              loopback_policy: UrlPolicy) -> None:
    done = Finished()
    recorder = Recorder(tmp_path, RecordMode.EVENTS, done, before=1.0, after=1.0)
    with recording(simulator.urls("cam-b")["rtsp"], SourceKind.RTSP, recorder,
                   loopback_policy) as frames:
        wait_until(lambda: len(frames) >= 45, timeout=15, what="three seconds of video")
        assert done.segments == []  # nothing yet: no event
        recorder.event(motion=True)
        wait_until(lambda: done.segments, timeout=10, what="the event's segment")
    segment, flags = done.segments[0]
    assert flags == SegmentFlags(motion=True)
    _codec, first_key, decoded, duration = opened(segment)
    assert first_key and decoded == segment.packets
    assert 2.0 <= duration <= 3.5  # from a keyframe ≥ 1 s before to the first one ≥ 1 s after


def test_a_coarse_motion_mark_starts_no_recording(tmp_path: Path, simulator: Simulator,
                                                 loopback_policy: UrlPolicy) -> None:
    # The mark of a camera raising no motion alert (apps.vision.pipeline) marks what is being
    # recorded; in events mode with no event, nothing is, and the mark is not kept for later.
    done = Finished()
    recorder = Recorder(tmp_path, RecordMode.EVENTS, done, before=1.0, after=1.0)
    with recording(simulator.urls("cam-b")["rtsp"], SourceKind.RTSP, recorder,
                   loopback_policy) as frames:
        wait_until(lambda: len(frames) >= 45, timeout=15, what="three seconds of video")
        recorder.mark_motion()
        wait_until(lambda: len(frames) >= 90, timeout=15, what="three more seconds")
        assert done.segments == []
        recorder.event(tamper=True)
        wait_until(lambda: done.segments, timeout=10, what="the event's segment")
    assert done.segments[0][1] == SegmentFlags(tamper=True)


def test_a_failing_recording_never_stops_the_reader_and_resumes(
        tmp_path: Path, simulator: Simulator, loopback_policy: UrlPolicy) -> None:
    done = Finished()
    blocked = tmp_path / "segments"
    recorder = Recorder(blocked, RecordMode.CONTINUOUS, done, max_seconds=1.0)
    blocked.write_bytes(b"")  # not a folder: no segment can be written (like a full disk)
    with recording(simulator.urls("cam-b")["rtsp"], SourceKind.RTSP, recorder,
                   loopback_policy) as frames:
        wait_until(lambda: len(frames) >= 30, timeout=15, what="frames")
        assert done.segments == [] and recorder.failures > 0
        blocked.unlink()
        blocked.mkdir()  # space again
        wait_until(lambda: done.segments, timeout=10, what="recording resumed")
    assert opened(done.segments[0][0])[1]


@contextmanager
def clip_packets(tmp_path: Path, seconds: float) -> Iterator[
        tuple[av.video.stream.VideoStream, list[tuple[av.Packet, datetime]]]]:
    """The stream and packets of a 15 fps clip with a keyframe every second, each packet with
    its arrival time, as a reader hands them to a recorder."""
    clip = tmp_path / "clip.mp4"
    write_clip(clip, (frame for _, frame in scene_frames(seconds, 15.0)), 15.0)
    with av.open(str(clip)) as source:
        video = source.streams.video[0]
        packets = [p for p in source.demux(video) if p.size]
        yield video, [(p, T0 + timedelta(seconds=i / 15)) for i, p in enumerate(packets)]


def test_a_fragment_is_on_disk_as_soon_as_the_next_keyframe_is_handed_over(
        tmp_path: Path) -> None:
    """The recorder records packets a keyframe's group at a time: a killed worker still
    loses no more than the fragment being collected."""
    out = tmp_path / "segments"
    recorder = Recorder(out, RecordMode.CONTINUOUS, Finished(), max_seconds=60.0)

    def fragments() -> int:
        (path,) = out.glob("*.mp4")
        return path.read_bytes().count(b"moof")

    with clip_packets(tmp_path, 3.0) as (video, packets):
        recorder.video_opened(video)
        for index, (packet, received) in enumerate(packets):
            recorder.video_packet(packet, received)
            if index == 29:  # the second group of pictures collected, its keyframe not yet
                assert fragments() == 1
            if index == 30:
                assert packet.is_keyframe and fragments() == 2
        recorder.closed()
    assert fragments() == 3


def test_an_event_is_timed_from_the_last_packet_handed_over(tmp_path: Path) -> None:
    """Events mode: packets waiting for their keyframe's group are offered before the event,
    so the event's time, and the recording after it, count from the newest packet."""
    done = Finished()
    recorder = Recorder(tmp_path / "segments", RecordMode.EVENTS, done, before=1.0,
                        after=1.8)
    with clip_packets(tmp_path, 6.0) as (video, packets):
        recorder.video_opened(video)
        for index, (packet, received) in enumerate(packets):
            recorder.video_packet(packet, received)
            if index == 37:  # at 2.47 s: recorded up to 4.27 s, to the keyframe at 5 s
                recorder.event(motion=True)
        recorder.closed()
    ((segment, flags),) = done.segments
    assert flags == SegmentFlags(motion=True)
    _codec, first_key, decoded, duration = opened(segment)
    assert first_key and decoded == segment.packets == 60  # from 1 s (1 s before) to 5 s
    assert abs(duration - 4.0) < 0.01
