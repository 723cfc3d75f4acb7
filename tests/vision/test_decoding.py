"""Keyframe-only and full decoding (apps.vision.decoding) on real H.264 streams: what gets
decoded in each mode, which keyframes keyframe mode looks at (every 10 s, the bitstream's
signs of change, the analysis's attention), the switch up landing on a keyframe, live snapshots
at the keyframe rate, and recordings that do not depend on the mode (the recorder gets every
packet before the decoding gate)."""

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
    CHANGE_HOLD,
    KEYFRAME_LOOK,
    BitstreamWatch,
    DecodeMode,
    DecodeSwitch,
    keyframes_too_far_apart,
    look_interval,
    needed_mode,
)
from apps.vision.frames import BgrPixels, Frame
from apps.vision.pipeline import CameraPipeline, PipelineConfig
from apps.vision.recorder import Recorder
from apps.vision.recordgate import RecordMode
from apps.vision.source import SourceConfig, SourceKind
from apps.vision.stream import StreamReader
from apps.vision.videocapture import VideoPixels
from tests.vision.helpers import scene_frames
from tests.vision.sinks import NullSink
from tests.vision.test_recorder import Finished, opened, recording
from tests.vision.test_stream import FAST_BACKOFF
from tests.waiting import wait_until

K, P = True, False
FULL, KEYFRAMES, EVERY_KEYFRAME = DecodeMode.FULL, DecodeMode.KEYFRAMES, DecodeMode.EVERY_KEYFRAME
NIGHT_STARTS = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)


def armed_band(start: datetime, minutes: float):
    """Armed hours as the watcher asks about them: armed in [start, start + minutes)."""
    end = start + timedelta(minutes=minutes)
    return lambda moment: start <= moment < end


def mode_at(seconds_to_start: float, minutes: float = 480.0, *, live: bool = False,
            event_open: bool = False, keyframe_interval: float | None = None,
            live_interval: float = 1.0) -> DecodeMode:
    now = NIGHT_STARTS - timedelta(seconds=seconds_to_start)
    return needed_mode(now, armed_band(NIGHT_STARTS, minutes), live=live, event_open=event_open,
                       keyframe_interval=keyframe_interval, live_interval=live_interval)


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


def test_an_open_event_decodes_in_full() -> None:
    assert mode_at(3600, event_open=True) == FULL
    assert mode_at(3600, event_open=True, keyframe_interval=1.0) == FULL
    assert mode_at(3600, live=False, event_open=False) == KEYFRAMES  # the need ended


def test_a_live_viewer_decodes_in_full_only_when_snapshots_outrun_the_keyframes() -> None:
    # A snapshot a second from a keyframe a second: the keyframes are the live pictures.
    assert mode_at(3600, live=True, keyframe_interval=1.0) == EVERY_KEYFRAME
    # ... also with a little arrival jitter in the measured interval.
    assert mode_at(3600, live=True, keyframe_interval=1.05) == EVERY_KEYFRAME
    assert mode_at(3600, live=True, keyframe_interval=2.0, live_interval=2.0) == EVERY_KEYFRAME
    # Keyframes 2 s apart for snapshots every second: full rate needs every frame.
    assert mode_at(3600, live=True, keyframe_interval=2.0) == FULL
    assert mode_at(3600, live=True, keyframe_interval=1.0, live_interval=0.5) == FULL
    assert mode_at(3600, live=True) == FULL  # the interval is not measured yet
    # Armed cameras decode in full whoever watches.
    assert mode_at(-60, live=True, keyframe_interval=1.0) == FULL


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


def looked_at(switch: DecodeSwitch, keyframe_interval: float, seconds: float,
              key_size: int = 20_000, predicted_size: int = 1_000,
              jitter: tuple[float, ...] = (0.0,)) -> list[float]:
    """Stream times of the keyframes decoded from a stream of 10 frames per keyframe, the
    keyframes arriving early or late by `jitter` seconds in turn."""
    looks = []
    for index in range(round(seconds / keyframe_interval * 10)):
        keyframe = index % 10 == 0
        at = index * keyframe_interval / 10 + (jitter[index // 10 % len(jitter)] if keyframe
                                               else 0.0)
        if switch.admit(keyframe, at, key_size if keyframe else predicted_size) and keyframe:
            looks.append(round(at, 3))
    return looks


def test_keyframe_mode_looks_every_ten_seconds() -> None:
    # As often as the idle snapshot and the timeline still are taken (every 10 s by default),
    # with a keyframe a second or every 2 s.
    assert KEYFRAME_LOOK == 10.0
    assert looked_at(DecodeSwitch(KEYFRAMES), 1.0, 41) == [0, 10, 20, 30, 40]
    assert looked_at(DecodeSwitch(KEYFRAMES), 2.0, 41) == [0, 10, 20, 30, 40]
    # Keyframes further apart than a look are all decoded.
    assert looked_at(DecodeSwitch(KEYFRAMES), 12.0, 49) == [0, 12, 24, 36, 48]
    restarted = DecodeSwitch(KEYFRAMES)
    assert restarted.admit(K, 3.0) and not restarted.admit(K, 4.0)
    assert restarted.admit(K, 0.5)  # stream time went back (a camera restarted): look again
    # Going up to full decoding does not wait for the look.
    restarted.set(DecodeMode.FULL)
    assert restarted.admit(K, 1.5) and restarted.admit(P, 1.6)


def test_looks_keep_their_pace_despite_arrival_jitter() -> None:
    # Keyframes timed by their arrival, a little early or late: still one look every 10 s,
    # never pushed to the keyframe after.
    jitter = (0.0, 0.03, -0.04, 0.02, -0.03)
    looks = looked_at(DecodeSwitch(KEYFRAMES), 1.0, 51, jitter=jitter)
    assert [round(t) for t in looks] == [0, 10, 20, 30, 40, 50]
    looks = looked_at(DecodeSwitch(KEYFRAMES), 2.0, 51, jitter=jitter)
    assert [round(t) for t in looks] == [0, 10, 20, 30, 40, 50]


def test_the_look_follows_the_idle_snapshot_and_timeline_intervals() -> None:
    assert look_interval(10.0, 10) == KEYFRAME_LOOK
    assert look_interval(5.0, 10) == 5.0
    assert look_interval(10.0, 4) == 4.0
    assert look_interval(30.0, 60) == KEYFRAME_LOOK  # never longer than KEYFRAME_LOOK
    # Idle snapshots every 5 s from a keyframe every 2 s: the first keyframe where the
    # snapshot is due (apps.vision.pipeline takes it up to a tenth early), never one before.
    looks = looked_at(DecodeSwitch(KEYFRAMES, look=5.0), 2.0, 25)
    assert looks == [0, 6, 12, 18, 24]
    taken = analysed(looks, live=False, idle_interval=5.0)
    assert taken.snapshots == looks


def test_every_keyframe_mode_decodes_each_keyframe_and_nothing_else() -> None:
    switch = DecodeSwitch(EVERY_KEYFRAME)
    assert looked_at(switch, 1.0, 6) == [0, 1, 2, 3, 4, 5]
    assert (switch.decoded, switch.skipped) == (6, 54)
    switch.set(KEYFRAMES)  # down at once: no look is due at the next keyframe
    assert not switch.admit(K, 6.0, 20_000)


def test_the_bitstream_tells_of_a_changed_picture() -> None:
    def changes(keyframes: list[int], predicted: list[int]) -> list[bool]:
        watch = BitstreamWatch()
        found = []
        for key, group in zip(keyframes, predicted, strict=True):
            for _ in range(9):  # the predicted frames before the keyframe
                watch.packet(P, group // 9)
            found.append(watch.packet(K, key))
        return found

    steady = [20_000, 21_000, 19_500, 20_500, 20_000, 19_800]
    assert not any(changes(steady, [9_000] * 6))
    # Keyframes a tenth smaller or larger (a covered, defocused or turned camera), predicted
    # frames near empty (a frozen picture) or the whole picture moving (a camera turned).
    assert changes([*steady[:4], 17_000], [9_000] * 5)[-1]
    assert changes([*steady[:4], 23_000], [9_000] * 5)[-1]
    assert changes(steady, [9_000] * 5 + [900])[-1]
    assert changes(steady, [9_000] * 5 + [20_000])[-1]
    # People walking by: busy and quiet moments as busy and as quiet as recent ones.
    walk_by = [9_000, 30_000, 9_000, 2_000, 9_000, 30_000, 2_000, 40_000]
    assert not any(changes([20_000] * 8, walk_by))
    # Too little history to tell yet: nothing is a change.
    assert not any(changes([20_000, 10_000, 30_000], [9_000, 900, 30_000]))


def test_a_change_in_the_bitstream_is_looked_at_for_a_while() -> None:
    switch = DecodeSwitch(KEYFRAMES)
    looks = looked_at(switch, 1.0, 11)
    assert looks == [0, 10]
    for t in range(11, 30):  # a covered lens: keyframes a sixth of their size from t = 17
        if switch.admit(K, float(t), 3_000 if t >= 17 else 20_000):
            looks.append(t)
        for step in range(1, 10):
            switch.admit(P, t + step / 10, 1_000)
    # Every keyframe from the change for CHANGE_HOLD seconds after the last sign of it (the
    # median of the last eight keyframes follows after four), then a look every 10 s again.
    assert CHANGE_HOLD == 4.0
    assert looks == [0, 10, 17, 18, 19, 20, 21, 22, 23, 24]


def test_the_analysis_asks_for_every_keyframe_while_it_looks_into_something() -> None:
    for wanted, looks in ((False, [0, 10]), (True, list(range(11)))):
        asked = []

        def attention(wanted: bool = wanted, asked: list[bool] = asked) -> bool:
            asked.append(True)
            return wanted

        switch = DecodeSwitch(KEYFRAMES, attention=attention)
        assert looked_at(switch, 1.0, 11) == looks
        assert len(asked) == 9  # at keyframes only, not where a look is due already


class Taken(NullSink):
    """A pipeline sink that notes when snapshots and timeline stills were taken."""

    def __init__(self) -> None:
        self.snapshots: list[float] = []
        self.stills: list[float] = []

    def snapshot(self, jpeg: bytes, frame: Frame) -> None:
        self.snapshots.append(frame.stream_time)

    def timeline(self, jpeg: bytes, frame: Frame) -> None:
        self.stills.append(frame.stream_time)


def analysed(times: list[float], *, live: bool, idle_interval: float = 10.0) -> Taken:
    """What the pipeline takes from frames arriving at `times` (stream time, seconds)."""
    taken = Taken()
    config = PipelineConfig(live_interval=1.0, idle_interval=idle_interval)
    pipeline = CameraPipeline(config, taken, is_live=lambda: live)
    pictures = (picture for _, picture in scene_frames(len(times), 1.0))
    for seq, (at, picture) in enumerate(zip(times, pictures, strict=True)):
        pipeline.process(Frame(BgrPixels(picture), seq, at, at))
    return taken


def test_snapshots_come_at_the_keyframe_rate_despite_arrival_jitter() -> None:
    # Keyframes a second apart, timed by their arrival: a few come a little early. Each one
    # is a live snapshot.
    arrivals = [0.0, 0.98, 2.01, 2.97, 4.0, 4.95, 6.02]
    assert analysed(arrivals, live=True).snapshots == arrivals
    # Keyframe mode's looks every 10 s: each one is the idle snapshot and the timeline still.
    looks = [0.0, 9.96, 20.03, 29.95, 40.02]
    idle = analysed(looks, live=False)
    assert idle.snapshots == idle.stills == looks


def test_a_wake_up_call_switches_at_the_keyframe_itself() -> None:
    need = KEYFRAMES
    switch = DecodeSwitch(DecodeMode.KEYFRAMES, wake=lambda: need)
    assert [switch.admit(K, 0.0), switch.admit(P, 0.1), switch.admit(K, 1.0)] == [K, P, P]
    need = EVERY_KEYFRAME  # a viewer whom the keyframes serve
    assert not switch.admit(P, 1.1)  # asked at keyframes only
    assert [switch.admit(K, 2.0), switch.admit(P, 2.1)] == [True, False]
    need = FULL  # a viewer who needs more
    assert [switch.admit(K, 3.0), switch.admit(P, 3.1)] == [True, True]
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
    switch = DecodeSwitch(DecodeMode.KEYFRAMES, look=2.0)  # a look every 2 s, for speed
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
        # Keyframe mode (one a second at 15 fps, one every 2 s decoded): the rest of the
        # packets are read, not decoded.
        wait_until(lambda: len(seen) >= 2 and switch.skipped >= 28, timeout=15)
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
    # A keyframe a second, one looked at every 10 s (apps.vision.decoding): the first.
    assert keyframes == 1 < switching < full


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
