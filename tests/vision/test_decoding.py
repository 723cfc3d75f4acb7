"""Keyframe-only and full decoding (apps.vision.decoding) on real H.264 streams: what gets
decoded in each mode, the switch up landing on a keyframe, and recordings that do not depend
on the mode (the recorder gets every packet before the decoding gate)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest

from apps.camsim import CameraSpec, Simulator
from apps.camsim.clip import write_clip
from apps.core.netguard import UrlPolicy
from apps.vision.decoding import (
    ARMING_LEAD,
    DecodeMode,
    DecodeSwitch,
    keyframes_too_far_apart,
    needed_mode,
)
from apps.vision.frames import Frame
from apps.vision.recorder import Recorder
from apps.vision.recordgate import RecordMode
from apps.vision.source import SourceConfig, SourceKind
from apps.vision.stream import StreamReader
from apps.vision.videocapture import VideoPixels
from tests.vision.helpers import scene_frames
from tests.vision.test_recorder import Finished, opened, recording
from tests.vision.test_stream import FAST_BACKOFF
from tests.waiting import wait_until

K, P = True, False
FULL, KEYFRAMES = DecodeMode.FULL, DecodeMode.KEYFRAMES
NIGHT_STARTS = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)


def armed_band(start: datetime, minutes: float):
    """Armed hours as the watcher asks about them: armed in [start, start + minutes)."""
    end = start + timedelta(minutes=minutes)
    return lambda moment: start <= moment < end


def mode_at(seconds_to_start: float, minutes: float = 480.0, *, live: bool = False,
            event_open: bool = False) -> DecodeMode:
    now = NIGHT_STARTS - timedelta(seconds=seconds_to_start)
    return needed_mode(now, armed_band(NIGHT_STARTS, minutes), live=live, event_open=event_open)


def test_an_idle_camera_decodes_keyframes() -> None:
    assert mode_at(3600) == KEYFRAMES
    assert mode_at(-9 * 3600) == KEYFRAMES  # after its armed hours ended


def test_armed_hours_and_their_lead_decode_in_full() -> None:
    assert mode_at(-60) == FULL  # armed
    assert mode_at(ARMING_LEAD.total_seconds()) == FULL
    assert mode_at(ARMING_LEAD.total_seconds() - 1) == FULL
    assert mode_at(ARMING_LEAD.total_seconds() + 1) == KEYFRAMES
    # Armed hours as short as a minute, starting inside the lead, are not jumped over.
    assert mode_at(ARMING_LEAD.total_seconds() - 5, minutes=1) == FULL


def test_a_live_viewer_or_an_open_event_decodes_in_full() -> None:
    assert mode_at(3600, live=True) == FULL
    assert mode_at(3600, event_open=True) == FULL
    assert mode_at(3600, live=False, event_open=False) == KEYFRAMES  # the need ended


def admitted(switch: DecodeSwitch, packets: list[bool]) -> list[bool]:
    return [switch.admit(keyframe) for keyframe in packets]


def test_keyframe_mode_decodes_keyframes_only_and_switches_down_at_once() -> None:
    switch = DecodeSwitch()
    assert admitted(switch, [K, P, P]) == [True, True, True]
    switch.set(DecodeMode.KEYFRAMES)
    assert switch.effective == DecodeMode.KEYFRAMES
    assert admitted(switch, [P, P, K, P, P, K]) == [False, False, True, False, False, True]
    assert (switch.decoded, switch.skipped) == (5, 4)


def test_switching_up_takes_effect_at_the_next_keyframe() -> None:
    switch = DecodeSwitch(DecodeMode.KEYFRAMES)
    switch.set(DecodeMode.FULL)
    assert switch.effective == DecodeMode.KEYFRAMES  # in the middle of a group of pictures
    assert admitted(switch, [P, P]) == [False, False]
    assert admitted(switch, [K, P, P]) == [True, True, True]
    assert switch.effective == DecodeMode.FULL


def test_keyframes_closer_than_the_look_interval_are_thinned() -> None:
    switch = DecodeSwitch(DecodeMode.KEYFRAMES, keyframe_look=2.0)
    # A keyframe a second: every other one is decoded.
    assert [switch.admit(K, float(t)) for t in range(6)] == [True, False] * 3
    sparse = DecodeSwitch(DecodeMode.KEYFRAMES, keyframe_look=2.0)
    assert [sparse.admit(K, 2.0 * t) for t in range(3)] == [True] * 3
    assert sparse.admit(K, 0.5)  # stream time went back (a camera restarted): look again
    # Going up to full decoding does not wait for the look interval.
    switch.set(DecodeMode.FULL)
    assert switch.admit(K, 6.0) and switch.admit(P, 6.1)


def test_a_wake_up_call_switches_up_at_the_keyframe_itself() -> None:
    viewer = False
    switch = DecodeSwitch(DecodeMode.KEYFRAMES, wake=lambda: viewer)
    assert admitted(switch, [K, P]) == [True, False]
    viewer = True
    assert admitted(switch, [P]) == [False]  # asked at keyframes only
    assert admitted(switch, [K, P]) == [True, True]
    assert switch.wanted == DecodeMode.FULL


def test_the_keyframe_interval_is_measured_from_the_keyframes_received() -> None:
    switch = DecodeSwitch(DecodeMode.KEYFRAMES)
    assert switch.keyframe_interval is None
    for t in range(9):
        switch.admit(t % 3 == 0, t * 0.5)  # a keyframe every 1.5 s, whether decoded or not
    assert switch.keyframe_interval == 1.5
    assert not keyframes_too_far_apart(1.5)
    assert not keyframes_too_far_apart(2.0)
    assert keyframes_too_far_apart(3.0)
    assert not keyframes_too_far_apart(None)  # not known yet (or not a video stream)


@pytest.fixture(scope="module")
def long_gop() -> Iterator[Simulator]:
    # A camera set to a keyframe every 3 s: too far apart for tamper on keyframes.
    with Simulator([CameraSpec("long-gop", 320, 180, 10.0, 300_000, keyint=30)]) as sim:
        yield sim


def test_a_camera_with_keyframes_too_far_apart_is_told_apart(
        simulator: Simulator, long_gop: Simulator, loopback_policy: UrlPolicy) -> None:
    sources = {
        "long": SourceConfig(long_gop.urls("long-gop")["rtsp"], SourceKind.RTSP),
        "normal": SourceConfig(simulator.urls("cam-a")["rtsp"], SourceKind.RTSP),
    }
    readers = {name: StreamReader(source, lambda frame: None, policy=loopback_policy,
                                  backoff=FAST_BACKOFF, decoding=DecodeSwitch(KEYFRAMES))
               for name, source in sources.items()}
    threads = [threading.Thread(target=r.run, daemon=True) for r in readers.values()]
    for thread in threads:
        thread.start()
    try:
        intervals = wait_until(
            lambda: (found := {n: r.health().keyframe_interval for n, r in readers.items()})
            and None not in found.values() and found, timeout=15, what="keyframe intervals")
    finally:
        for reader in readers.values():
            reader.stop()
        for thread in threads:
            thread.join(timeout=10)
    assert abs(intervals["long"] - 3.0) < 0.1 and keyframes_too_far_apart(intervals["long"])
    assert abs(intervals["normal"] - 1.0) < 0.1
    assert not keyframes_too_far_apart(intervals["normal"])


@dataclass(frozen=True)
class Seen:
    keyframe: bool
    effective: DecodeMode


def test_the_reader_switches_on_a_live_rtsp_stream(simulator: Simulator,
                                                   loopback_policy: UrlPolicy) -> None:
    switch = DecodeSwitch(DecodeMode.KEYFRAMES)
    seen: list[Seen] = []

    def analyse(frame: Frame) -> None:
        assert isinstance(frame.pixels, VideoPixels)
        seen.append(Seen(frame.pixels.keyframe, switch.effective))

    source = SourceConfig(simulator.urls("cam-a")["rtsp"], SourceKind.RTSP,
                          open_timeout=3, read_timeout=3)
    reader = StreamReader(source, analyse, policy=loopback_policy, backoff=FAST_BACKOFF,
                          decoding=switch)
    thread = threading.Thread(target=reader.run, daemon=True)
    thread.start()
    try:
        # Keyframes only (one a second at 15 fps, every other one decoded): the rest of the
        # packets are read, not decoded.
        wait_until(lambda: len(seen) >= 3 and switch.skipped >= 28, timeout=15)
        assert all(s.keyframe for s in seen)
        assert switch.skipped >= 10 * (switch.decoded - 1)
        assert reader.health().frames >= switch.skipped  # received frames still count

        switch.set(DecodeMode.FULL)
        before = len(seen)
        wait_until(lambda: sum(not s.keyframe for s in seen[before:]) >= 5, timeout=10)
        upgraded = seen[before:]
        first_full = next(s for s in upgraded if s.effective == DecodeMode.FULL)
        assert first_full.keyframe  # full decoding begins at a keyframe
        assert reader.health().corrupt_frames == 0  # no predicted frame without its reference

        skipped = switch.skipped
        switch.set(DecodeMode.KEYFRAMES)
        wait_until(lambda: switch.skipped > skipped, timeout=5)  # at once: the next packet
        after = len(seen)
        wait_until(lambda: len(seen) >= after + 2, timeout=10)
        assert all(s.keyframe for s in seen[after:])
    finally:
        reader.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()


class PacketLog:
    """A recording tap that keeps every packet it is given, and may flip the decoding mode
    as packets pass (so a file run switches at known packets)."""

    def __init__(self, switch: DecodeSwitch, flip_every: int = 0) -> None:
        self.packets: list[tuple[bytes, int | None, bool]] = []
        self._switch = switch
        self._flip_every = flip_every

    def video_opened(self, stream: av.video.stream.VideoStream) -> None:
        pass

    def video_packet(self, packet: av.Packet, received: datetime) -> None:
        self.packets.append((bytes(packet), packet.pts, packet.is_keyframe))
        if self._flip_every and len(self.packets) % self._flip_every == 0:
            full = self._switch.wanted == DecodeMode.FULL
            self._switch.set(DecodeMode.KEYFRAMES if full else DecodeMode.FULL)

    def jpeg(self, data: bytes, received: datetime) -> None:
        pass

    def closed(self) -> None:
        pass


def test_recorded_packets_are_identical_whatever_the_mode(
        tmp_path: Path, loopback_policy: UrlPolicy) -> None:
    clip = tmp_path / "gate.mp4"
    write_clip(clip, (frame for _, frame in scene_frames(6.0, 10.0)), 10.0)
    source = SourceConfig(f"file://{clip}", SourceKind.FILE, realtime=False)
    logs, analysed = [], []
    for mode, flip_every in ((DecodeMode.FULL, 0), (DecodeMode.KEYFRAMES, 0),
                             (DecodeMode.FULL, 7)):
        switch = DecodeSwitch(mode)
        log = PacketLog(switch, flip_every)
        frames: list[Frame] = []
        StreamReader(source, frames.append, policy=loopback_policy, recorder=log,
                     decoding=switch).run()
        logs.append(log.packets)
        analysed.append(len(frames))
    assert len(logs[0]) == 60
    assert logs[0] == logs[1] == logs[2]
    full, keyframes, switching = analysed
    # A keyframe a second, every other one decoded (apps.vision.decoding.KEYFRAME_LOOK).
    assert keyframes == 3 < switching < full


def test_recorded_segment_files_are_byte_identical_whatever_the_mode(
        tmp_path: Path, loopback_policy: UrlPolicy) -> None:
    clip = tmp_path / "gate.mp4"
    write_clip(clip, (frame for _, frame in scene_frames(6.0, 10.0)), 10.0)
    source = SourceConfig(f"file://{clip}", SourceKind.FILE, realtime=False)
    hashes = {}
    for mode in DecodeMode:
        done = Finished()
        recorder = Recorder(tmp_path / mode.value, RecordMode.CONTINUOUS, done, max_seconds=2.0)
        StreamReader(source, lambda frame: None, policy=loopback_policy, recorder=recorder,
                     decoding=DecodeSwitch(mode)).run()
        hashes[mode] = [(segment.packets, segment.sha256) for segment, _flags in done.segments]
    assert len(hashes[FULL]) == 3
    assert hashes[FULL] == hashes[KEYFRAMES]


def test_an_rtsp_recording_in_keyframe_mode_is_complete(
        tmp_path: Path, simulator: Simulator, loopback_policy: UrlPolicy) -> None:
    done = Finished()
    recorder = Recorder(tmp_path, RecordMode.CONTINUOUS, done, max_seconds=2.0)
    switch = DecodeSwitch(DecodeMode.KEYFRAMES)
    with recording(simulator.urls("cam-b")["rtsp"], SourceKind.RTSP, recorder,
                   loopback_policy, decoding=switch):
        wait_until(lambda: len(done.segments) >= 2, timeout=15, what="two segments")
    assert switch.skipped > 10 * switch.decoded
    for segment, _flags in done.segments[:2]:
        codec, first_key, decoded, duration = opened(segment)
        assert (codec, first_key) == ("h264", True)
        assert decoded == segment.packets  # every frame was recorded, not just keyframes
        assert 1.5 <= duration <= 2.05
