"""A masked rendition plays and seeks in Chromium's own video element, the mask black on
the frame it shows (served with byte ranges, as the portal serves recordings)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from apps.vision.rendition import mask_video
from tests.browser import CHROMIUM
from tests.vision.recorded import recorded_segment

MASK = ((0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 0.5))


def ranged_server(body: bytes) -> ThreadingHTTPServer:
    """Serves `body` as /video.mp4 with byte ranges (a browser seeks with them), and an
    empty page at any other path."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/video.mp4":
                self._send(200, b"<!doctype html><title>t</title>", "text/html")
                return
            asked = self.headers.get("Range")
            if not asked:
                self._send(200, body, "video/mp4")
                return
            first, _, last = asked.removeprefix("bytes=").partition("-")
            start, end = int(first), int(last) if last else len(body) - 1
            self._send(206, body[start:end + 1], "video/mp4",
                       {"Content-Range": f"bytes {start}-{end}/{len(body)}"})

        def _send(self, status: int, data: bytes, kind: str,
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in {"Content-Type": kind, "Accept-Ranges": "bytes",
                                "Content-Length": str(len(data)), **(headers or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    segment = recorded_segment(tmp_path / "segments", 4.0)
    mask_video(segment.path, tmp_path / "masked.mp4", [MASK])
    server = ranged_server((tmp_path / "masked.mp4").read_bytes())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(10)


def test_chromium_plays_and_seeks_the_rendition_with_the_mask_black(served: str) -> None:
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(f"{served}/")
            seen = page.evaluate("""async () => {
                const video = document.createElement('video');
                video.muted = true;
                video.src = '/video.mp4';
                document.body.appendChild(video);
                await new Promise((ok, fail) => {
                    video.onloadedmetadata = ok;
                    video.onerror = () => fail(new Error(video.error.message));
                });
                video.currentTime = 2.55;
                await new Promise(ok => { video.onseeked = ok; });
                const canvas = document.createElement('canvas');
                canvas.width = video.videoWidth;
                canvas.height = video.videoHeight;
                const drawing = canvas.getContext('2d');
                drawing.drawImage(video, 0, 0);
                const hidden = drawing.getImageData(4, 4, canvas.width / 2 - 8,
                                                    canvas.height / 2 - 8).data;
                const shown = drawing.getImageData(0, canvas.height * 0.6, canvas.width,
                                                   canvas.height * 0.4).data;
                const brightest = data => data.reduce(
                    (most, value, index) => index % 4 === 3 ? most : Math.max(most, value), 0);
                return {duration: video.duration, at: video.currentTime,
                        width: video.videoWidth, hidden: brightest(hidden),
                        shown: brightest(shown)};
            }""")
        finally:
            browser.close()
    assert seen["duration"] == pytest.approx(4.0, abs=0.01)
    assert seen["at"] == pytest.approx(2.55, abs=0.1)
    assert seen["width"] == 320
    assert seen["hidden"] <= 16  # black where the mask is
    assert seen["shown"] > 100  # the picture elsewhere
