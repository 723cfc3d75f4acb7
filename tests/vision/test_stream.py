"""The stream reader against the simulator (MJPEG, JPEG snapshots, RTSP) and against a file.

Failure cases follow the security plan: silent peer (T-FI-10), stall (T-FI-11), dropped
connection (T-FI-12), garbage (T-FI-13), refused port (T-FI-14), flood (T-FI-15), credentials
kept out of logs (T-SEC-1) and the worker-side URL check (T-IN-6).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from apps.camsim import Simulator
from apps.camsim.clip import write_clip
from apps.camsim.scene import SceneState
from apps.core.netguard import UrlPolicy
from apps.vision.frames import Frame
from apps.vision.geometry import polygon
from apps.vision.motion import MotionDetector, Zone
from apps.vision.source import Backoff, SourceConfig, SourceKind, StreamHealth, StreamState
from apps.vision.stream import StreamReader
from tests.vision.helpers import PASSWORD, scene_frames
from tests.waiting import wait_until

FAST_BACKOFF = Backoff(first=0.2, maximum=1.0)


@contextmanager
def reading(
    source: SourceConfig, policy: UrlPolicy, backoff: Backoff = FAST_BACKOFF
) -> Iterator[tuple[StreamReader, list[Frame]]]:
    frames: list[Frame] = []
    reader = StreamReader(source, frames.append, policy=policy, backoff=backoff)
    thread = threading.Thread(target=reader.run, daemon=True)
    thread.start()
    try:
        yield reader, frames
    finally:
        reader.stop()
        thread.join(timeout=10)
        assert not thread.is_alive(), "reader did not stop"


def online(reader: StreamReader) -> StreamHealth | None:
    health = reader.health()
    return health if health.state == StreamState.ONLINE else None


def analysed_rate(frames: list[Frame], seconds: float) -> float:
    """Analysed frames per second over the last `seconds` of frames received."""
    end = frames[-1].stream_time
    recent = [f for f in frames if f.stream_time > end - seconds]
    return (len(recent) - 1) / (recent[-1].stream_time - recent[0].stream_time)


@pytest.mark.parametrize("kind", [SourceKind.MJPEG, SourceKind.RTSP])
def test_reader_is_online_at_the_stream_rate(
    simulator: Simulator, loopback_policy: UrlPolicy, kind: SourceKind
) -> None:
    url = simulator.urls("cam-a")["mjpeg" if kind == SourceKind.MJPEG else "rtsp"]
    source = SourceConfig(url, kind, open_timeout=3, read_timeout=3)
    with reading(source, loopback_policy) as (reader, frames):
        wait_until(lambda: online(reader) and len(frames) >= 15, timeout=10)
        # Measure once the window holds live frames only (RTSP delivers a burst after opening).
        first = reader.health().frames
        wait_until(lambda: reader.health().frames >= first + 45, timeout=10)
        health = reader.health()
        assert health.state == StreamState.ONLINE
        assert 15 * 0.75 <= health.fps <= 15 * 1.25
        assert health.last_frame_age is not None and health.last_frame_age < 1.0
        assert health.reconnects == 0
        assert health.error is None
        if kind == SourceKind.MJPEG:
            assert health.bitrate is not None and health.bitrate > 100_000
        # Every frame is read, but only 5 per second are converted and handed over.
        assert 4.0 <= analysed_rate(frames, 2.0) <= 6.0
        assert frames[-1].image.shape == (180, 320, 3)


def test_jpeg_snapshot_source_polls_at_its_interval(
    simulator: Simulator, loopback_policy: UrlPolicy
) -> None:
    source = SourceConfig(simulator.urls("cam-a")["snapshot"], SourceKind.JPEG, poll_interval=0.25)
    with reading(source, loopback_policy) as (reader, frames):
        wait_until(lambda: online(reader) and len(frames) >= 9, timeout=10)
        health = reader.health()
        assert 3.0 <= health.fps <= 4.5
        assert health.bitrate is not None and health.bitrate > 0
        assert frames[-1].image.shape == (180, 320, 3)


@pytest.mark.parametrize("kind", [SourceKind.RTSP, SourceKind.MJPEG])
def test_silent_peer_fails_within_the_open_timeout(
    loopback_policy: UrlPolicy, kind: SourceKind
) -> None:
    # Accepts TCP connections (the kernel does, from the backlog) and never says a word.
    with socket.create_server(("127.0.0.1", 0), backlog=16) as silent:
        port = silent.getsockname()[1]
        scheme = "rtsp" if kind == SourceKind.RTSP else "http"
        source = SourceConfig(f"{scheme}://127.0.0.1:{port}/cam", kind, open_timeout=1.0)
        started = time.monotonic()
        with reading(source, loopback_policy, backoff=Backoff(first=30.0)) as (reader, _):
            health = wait_until(lambda: reader.health().error and reader.health(), timeout=5)
            assert time.monotonic() - started <= 1.0 + 1.0
            assert health.state == StreamState.OFFLINE


def test_refused_port_fails_fast_without_busy_looping(
    loopback_policy: UrlPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="apps.vision.stream")
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    source = SourceConfig(f"http://127.0.0.1:{port}/mjpeg/x", SourceKind.MJPEG)
    with reading(source, loopback_policy, backoff=Backoff()) as (reader, _):
        # Refused at once, not after the open timeout (5 s) that a silent peer costs; the
        # bound is the behaviour, not a figure a loaded machine can break.
        wait_until(lambda: reader.health().error, timeout=source.open_timeout / 2)
        cpu_before = time.process_time()
        wait_until(lambda: reader.health().reconnects >= 1, timeout=3)
        # The next attempt waits 1 s, the one after 2 s: no spinning.
        assert reader.health().reconnects == 1
        assert time.process_time() - cpu_before < 0.3
        assert "refused" in (reader.health().error or "").lower()
        wait_until(lambda: reader.health().reconnects >= 2, timeout=3)
    # Three failed attempts, one warning: a dead camera does not flood the log.
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


@pytest.mark.parametrize(
    ("kind", "action"),
    [(SourceKind.RTSP, "drop"), (SourceKind.MJPEG, "drop-mid-frame")],
)
def test_reader_reconnects_after_a_dropped_connection(
    simulator: Simulator, loopback_policy: UrlPolicy, kind: SourceKind, action: str
) -> None:
    url = simulator.urls("cam-b")["rtsp" if kind == SourceKind.RTSP else "mjpeg"]
    source = SourceConfig(url, kind, open_timeout=3, read_timeout=3)
    with reading(source, loopback_policy) as (reader, frames):
        wait_until(lambda: online(reader), timeout=10)
        simulator.control("cam-b", action)
        wait_until(lambda: reader.health().reconnects >= 1, timeout=10)
        count = len(frames)
        wait_until(lambda: online(reader) and len(frames) > count + 5, timeout=10)


@pytest.mark.parametrize("kind", [SourceKind.MJPEG, SourceKind.RTSP])
def test_stalled_stream_goes_offline_and_recovers(
    simulator: Simulator, loopback_policy: UrlPolicy, kind: SourceKind
) -> None:
    url = simulator.urls("cam-b")["rtsp" if kind == SourceKind.RTSP else "mjpeg"]
    source = SourceConfig(url, kind, open_timeout=1.5, read_timeout=1.5)
    with reading(source, loopback_policy) as (reader, _):
        wait_until(lambda: online(reader), timeout=10)
        try:
            simulator.control("cam-b", "stall")
            stalled = time.monotonic()
            wait_until(lambda: reader.health().state == StreamState.OFFLINE, timeout=5)
            assert time.monotonic() - stalled <= 1.5 + 1.0
        finally:
            simulator.control("cam-b", "restore")
        wait_until(lambda: online(reader), timeout=15)


def test_garbage_is_rejected_and_triggers_a_reconnect(
    simulator: Simulator, loopback_policy: UrlPolicy
) -> None:
    source = SourceConfig(simulator.urls("cam-b")["mjpeg"], SourceKind.MJPEG)
    with reading(source, loopback_policy) as (reader, frames):
        wait_until(lambda: online(reader), timeout=10)
        try:
            simulator.control("cam-b", "garbage")
            count = len(frames)
            wait_until(lambda: reader.health().reconnects >= 1, timeout=10)
            health = reader.health()
            assert health.corrupt_frames >= 10
            assert len(frames) <= count + 1  # nothing undecodable was handed over
        finally:
            simulator.control("cam-b", "restore")
        count = len(frames)
        wait_until(lambda: len(frames) >= count + 5, timeout=10)


def test_flood_keeps_the_analysis_rate(simulator: Simulator, loopback_policy: UrlPolicy) -> None:
    source = SourceConfig(simulator.urls("cam-b")["mjpeg"], SourceKind.MJPEG, expected_fps=15)
    with reading(source, loopback_policy) as (reader, frames):
        wait_until(lambda: online(reader), timeout=10)
        try:
            simulator.control("cam-b", "flood")
            wait_until(lambda: reader.health().fps > 60, timeout=10)
            count = len(frames)
            wait_until(lambda: len(frames) >= count + 10, timeout=10)
            assert analysed_rate(frames, 1.5) <= 6.0
            wait_until(lambda: reader.health().state == StreamState.DEGRADED, timeout=10)
        finally:
            simulator.control("cam-b", "restore")


@pytest.mark.parametrize("kind", [SourceKind.RTSP, SourceKind.MJPEG, SourceKind.JPEG])
def test_credentials_work_and_never_leak(
    simulator: Simulator,
    loopback_policy: UrlPolicy,
    kind: SourceKind,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    key = {SourceKind.RTSP: "rtsp", SourceKind.MJPEG: "mjpeg", SourceKind.JPEG: "snapshot"}[kind]
    url = simulator.urls("cam-auth")[key]
    good = SourceConfig(url, kind, username="operator", password=PASSWORD, poll_interval=0.2)
    with reading(good, loopback_policy) as (reader, _):
        wait_until(lambda: online(reader), timeout=10)
        assert PASSWORD not in repr(reader) and PASSWORD not in repr(good)
    leaky = SourceConfig(f"rtsp://operator:{PASSWORD}@127.0.0.1/x", kind, password=PASSWORD)
    assert "P@ss" not in repr(leaky) and "w0rd" not in repr(leaky)

    wrong_password = "Wr0ng-S3cret!"
    bad = SourceConfig(url, kind, username="operator", password=wrong_password)
    with reading(bad, loopback_policy) as (reader, _):
        health = wait_until(lambda: reader.health().error and reader.health(), timeout=10)
        assert health.state == StreamState.OFFLINE
    output = capfd.readouterr()
    for secret in (PASSWORD, wrong_password, "s3cr3t%3AP%40ss"):
        for text in (caplog.text, output.out, output.err, repr(bad), str(health)):
            assert secret not in text


def test_worker_refuses_urls_outside_its_policy(simulator: Simulator) -> None:
    cameras_only = UrlPolicy.from_strings(["10.20.0.0/16"])
    sources = [
        SourceConfig("file:///etc/passwd", SourceKind.FILE),
        SourceConfig(simulator.urls("cam-a")["rtsp"], SourceKind.RTSP),
    ]
    for source in sources:
        with reading(source, cameras_only) as (reader, frames):
            health = wait_until(lambda: reader.health().error and reader.health(), timeout=5)
            assert health.error is not None and health.error.startswith("URL rejected")
            assert frames == []


def test_url_scheme_must_match_the_source_kind(
    simulator: Simulator, loopback_policy: UrlPolicy
) -> None:
    source = SourceConfig(simulator.urls("cam-a")["mjpeg"], SourceKind.RTSP)
    with reading(source, loopback_policy) as (reader, _):
        health = wait_until(lambda: reader.health().error and reader.health(), timeout=5)
        assert "does not match" in (health.error or "")


def test_stop_interrupts_a_blocked_http_read(
    simulator: Simulator, loopback_policy: UrlPolicy
) -> None:
    source = SourceConfig(simulator.urls("cam-b")["mjpeg"], SourceKind.MJPEG, read_timeout=30)
    frames: list[Frame] = []
    reader = StreamReader(source, frames.append, policy=loopback_policy)
    thread = threading.Thread(target=reader.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: online(reader), timeout=10)
        simulator.control("cam-b", "stall")
        count = len(frames)
        wait_until(lambda: reader.health().last_frame_age > 0.5, timeout=5)
        assert len(frames) <= count + 1
        stopping = time.monotonic()
        reader.stop()
        thread.join(timeout=5)
        assert not thread.is_alive()
        assert time.monotonic() - stopping < 1.0
    finally:
        simulator.control("cam-b", "restore")
        reader.stop()


def clip(path: Path, seconds: float) -> Path:
    frames = scene_frames(
        seconds, 15, change_at=2.0, before=SceneState(), after=SceneState(person=True)
    )
    write_clip(path, (frame for _, frame in frames), 15)
    return path


def test_file_source_reads_an_encoded_clip(tmp_path: Path, loopback_policy: UrlPolicy) -> None:
    person_clip = clip(tmp_path / "gate.mp4", 6.0)
    source = SourceConfig(f"file://{person_clip}", SourceKind.FILE, realtime=False)
    detector = MotionDetector([Zone("gate", polygon([(0.3, 0.3), (0.7, 0.3), (0.7, 1), (0.3, 1)]))])
    seen: list[tuple[float, bool]] = []

    def analyse(frame: Frame) -> None:
        seen.append((frame.stream_time, detector.update(frame.small_grey()).motion))

    reader = StreamReader(source, analyse, policy=loopback_policy)
    reader.run()  # returns at the end of the file
    health = reader.health()
    assert health.frames == 90
    assert health.state == StreamState.OFFLINE
    # 6 s of media at 5 analysed frames per second of media time, however fast it was read.
    assert 28 <= len(seen) <= 31
    times = [t for t, _ in seen]
    assert times == sorted(times)
    assert not any(moving for t, moving in seen if t < 2.0)
    assert any(moving for t, moving in seen if t >= 2.0)


def test_file_source_paces_like_a_camera(tmp_path: Path, loopback_policy: UrlPolicy) -> None:
    short_clip = clip(tmp_path / "short.mp4", 2.0)
    source = SourceConfig(f"file://{short_clip}", SourceKind.FILE)
    frames: list[Frame] = []
    started = time.monotonic()
    StreamReader(source, frames.append, policy=loopback_policy).run()
    assert time.monotonic() - started >= 1.8
    assert 9 <= len(frames) <= 11
