"""A camera that changes resolution within one connection (new parameter sets in the stream,
no reconnect): the segment recorded by stream copy still plays to its end, in PyAV and in
Chromium's own video element, at both sizes (issue 19, item 7)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import pytest

from apps.vision.recorder import Recorder
from apps.vision.recordgate import RecordMode
from tests.browser import CHROMIUM
from tests.vision.helpers import scene_frames
from tests.vision.test_recording_faults import Finished, feed
from tests.vision.test_rendition_browser import ranged_server

FPS = 15
T0 = datetime(2026, 12, 7, 2, 13, tzinfo=UTC)
SIZES = ((320, 180), (480, 272))


def camera_stream(path: Path, seconds: float) -> Path:
    """An MPEG-TS recording of what such a camera sends: H.264 at the first size, then at the
    second from a reconfigured encoder, in one stream (its parameter sets in-band at each
    keyframe, as cameras repeat them)."""
    with av.open(str(path), "w", format="mpegts") as container:
        stream = container.add_stream("h264", rate=FPS)
        stream.width, stream.height = SIZES[0]
        pts = 0
        for size in SIZES:
            encoder = av.CodecContext.create("libx264", "w")
            encoder.width, encoder.height = size
            encoder.pix_fmt = "yuv420p"
            encoder.time_base = Fraction(1, FPS)
            encoder.framerate = Fraction(FPS, 1)
            encoder.options = {"preset": "ultrafast", "tune": "zerolatency", "x264-params":
                               f"keyint={FPS}:scenecut=0:bframes=0:repeat-headers=1"}
            frames = [av.VideoFrame.from_ndarray(frame, format="bgr24").reformat(*size,
                                                                                format="yuv420p")
                      for _, frame in scene_frames(seconds, FPS)]
            for index, picture in enumerate([*frames, None]):
                if picture is not None:
                    picture.pts = index
                for packet in encoder.encode(picture):
                    packet.pts, packet.dts = packet.pts + pts, packet.dts + pts
                    packet.time_base = Fraction(1, FPS)
                    packet.stream = stream
                    container.mux(packet)
            pts += len(frames)
    return path


@pytest.fixture
def recorded(tmp_path: Path):
    stream = camera_stream(tmp_path / "camera.ts", 2.0)
    out = tmp_path / "segments"
    out.mkdir()
    done = Finished()
    recorder = Recorder(out, RecordMode.CONTINUOUS, done, max_seconds=60.0)
    received: Iterator[datetime] = (T0 + timedelta(seconds=i / FPS) for i in range(10_000))
    feed(recorder, stream, received)
    assert len(done) == 1  # one connection, no cut at the change: the segment must cope
    return done[0]


def test_the_segment_decodes_at_both_sizes(recorded) -> None:
    with av.open(str(recorded.path)) as container:
        sizes = [(frame.width, frame.height) for frame in container.decode(video=0)]
    assert len(sizes) == 2 * 2 * FPS
    assert sizes[0] == SIZES[0] and sizes[-1] == SIZES[1]


def test_chromium_plays_the_segment_through_the_change(recorded) -> None:
    from playwright.sync_api import sync_playwright

    server = ranged_server(recorded.path.read_bytes())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page()
            page.goto(f"{base}/")
            page.evaluate("""(src) => new Promise((resolve) => {
                const video = document.createElement('video');
                video.muted = true;
                video.src = src;
                window.widths = [];
                video.addEventListener('resize', () => window.widths.push(video.videoWidth));
                video.addEventListener('error', () => { window.failed = true; resolve(); });
                video.addEventListener('ended', () => { window.ended = true; resolve(); });
                document.body.append(video);
                video.play();
            })""", f"{base}/video.mp4")
            result = page.evaluate("() => ({ended: window.ended === true,"
                                   " failed: window.failed === true, widths: window.widths})")
            browser.close()
    finally:
        server.shutdown()
    assert result["ended"] and not result["failed"]
    assert result["widths"][0] == SIZES[0][0] and SIZES[1][0] in result["widths"]
