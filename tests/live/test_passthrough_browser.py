"""Passthrough in Chromium (static/js/live.js): a wall tile asks for the camera's own video,
plays the fragmented MP4 the server would send (made by apps.vision.livemux from a generated
H.264 clip) through Media Source Extensions in a muted <video>, and goes back to snapshots
when the server downgrades it. The page's websocket is a stand-in the test speaks through
(as in test_wall_alarm_browser)."""

from __future__ import annotations

import base64
import struct
import time
from datetime import UTC, datetime

import av
import pytest
from django.urls import reverse

from apps.camsim.clip import write_clip
from apps.vision.livemux import LiveTap
from tests.browser import signed_in_context
from tests.vision.helpers import scene_frames
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

FPS = 10
FAKE_SOCKET = """
window.__sockets = []; window.__sent = [];
class FakeSocket extends EventTarget {
  constructor(url) {
    super(); this.url = url; this.readyState = 0; window.__sockets.push(this);
    setTimeout(() => { this.readyState = 1; this.dispatchEvent(new Event("open")); }, 0);
  }
  send(data) { window.__sent.push(JSON.parse(data)); }
  close() {}
}
FakeSocket.OPEN = 1;
window.WebSocket = FakeSocket;
const socket = () => window.__sockets[window.__sockets.length - 1];
window.__deliver = (message) =>
  socket().dispatchEvent(new MessageEvent("message", { data: JSON.stringify(message) }));
window.__play = (messages, every) => {  // base64 binary messages, one each `every` ms
  let i = 0;
  const timer = setInterval(() => {
    if (i >= messages.length) { clearInterval(timer); return; }
    const bytes = Uint8Array.from(atob(messages[i++]), (c) => c.charCodeAt(0));
    socket().dispatchEvent(new MessageEvent("message", { data: bytes.buffer }));
  }, every);
};
"""


def _video_messages(tmp_path, camera_id: int) -> tuple[str, list[str]]:
    """The codec and the binary messages the server would send for an 8-s clip arriving in
    real time (each a batch of 0.3-0.4 s of fragments)."""
    path = tmp_path / "gate.mp4"
    write_clip(path, (frame for _, frame in scene_frames(8.0, FPS)), FPS, 300_000)
    published = []
    tap = LiveTap(lambda *args: published.append(args), lambda: True)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tap.video_opened(stream)
        start = time.time()
        packets = (p for p in container.demux(stream) if p.size)
        for index, packet in enumerate(packets):
            tap.video_packet(packet, datetime.fromtimestamp(start + index / FPS, UTC))
    messages = []
    for index, (fragment, init, _codec) in enumerate(published):
        payload = init + fragment.data if index == 0 else fragment.data
        header = struct.pack(">Id", camera_id, time.time())
        messages.append(base64.b64encode(header + payload).decode())
    return published[0][2], messages


@pytest.fixture
def page(live_server, live_world, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with signed_in_context(live_server, live_world.a.users["kpu"],
                           viewport={"width": 1280, "height": 800}) as context:
        context.add_init_script(FAKE_SOCKET)
        page = context.new_page()
        page.goto(f"{live_server.url}{reverse('live:wall')}?size=4&camera={live_world.gate.pk}")
        page.wait_for_function("window.__sent.length > 0")
        yield page


def test_a_granted_tile_plays_the_camera_video_and_falls_back_when_downgraded(
        page, live_world, tmp_path):
    gate = live_world.gate.pk
    subscribe = page.evaluate("window.__sent[0]")
    assert subscribe["action"] == "subscribe" and subscribe["passthrough"] is True
    codec, messages = _video_messages(tmp_path, gate)
    assert page.evaluate("(c) => MediaSource.isTypeSupported(`video/mp4; codecs=\"${c}\"`)",
                         codec)
    for message in ({"type": "subscribed", "camera": gate},
                    {"type": "passthrough", "camera": gate, "granted": True},
                    {"type": "video", "camera": gate, "codec": codec}):
        page.evaluate("(m) => window.__deliver(m)", message)
    page.evaluate("(m) => window.__play(m, 300)", messages)
    tile = page.locator(f'[data-camera="{gate}"]')
    video = tile.locator("video[data-video]")
    wait_until(lambda: video.count() == 1 and video.evaluate("v => v.currentTime") > 2.0,
               timeout=20, what="the video playing")
    assert video.evaluate("v => v.muted && !v.hidden") and tile.locator("img").is_hidden()
    # The server downgrades the tile (a mask was drawn): snapshots again.
    page.evaluate("(m) => window.__deliver(m)",
                  {"type": "passthrough", "camera": gate, "granted": False})
    wait_until(lambda: video.count() == 0, timeout=5, what="the video removed")
    assert tile.locator("img").is_visible()


def test_a_tile_behind_the_live_edge_jumps_to_it(page, live_world, tmp_path):
    gate = live_world.gate.pk
    codec, messages = _video_messages(tmp_path, gate)
    for message in ({"type": "subscribed", "camera": gate},
                    {"type": "passthrough", "camera": gate, "granted": True},
                    {"type": "video", "camera": gate, "codec": codec}):
        page.evaluate("(m) => window.__deliver(m)", message)
    # Eight seconds of video arrive at once (a tab that was busy): the tile shows the newest
    # frames rather than playing the backlog.
    page.evaluate("(m) => window.__play(m, 0)", messages)
    video = page.locator("video[data-video]")
    wait_until(lambda: video.count() == 1 and video.evaluate(
        "v => v.buffered.length && v.buffered.end(v.buffered.length - 1) > 7.5 && "
        "v.currentTime > v.buffered.end(v.buffered.length - 1) - 1.5"),
        timeout=10, what="the live edge")


def test_an_unplayable_codec_asks_for_snapshots(page, live_world):
    gate = live_world.gate.pk
    for message in ({"type": "subscribed", "camera": gate},
                    {"type": "passthrough", "camera": gate, "granted": True},
                    {"type": "video", "camera": gate, "codec": "hvc1.9.9.L999.zz"}):
        page.evaluate("(m) => window.__deliver(m)", message)
    wait_until(lambda: page.evaluate("window.__sent").count(
        {"action": "snapshots", "cameras": [gate]}) == 1, timeout=5, what="the fallback")
    assert page.locator("video").count() == 0


def test_a_granted_camera_whose_video_never_comes_is_watched_by_snapshots(page, live_world):
    gate = live_world.gate.pk
    for message in ({"type": "subscribed", "camera": gate},
                    {"type": "passthrough", "camera": gate, "granted": True}):
        page.evaluate("(m) => window.__deliver(m)", message)
    wait_until(lambda: {"action": "snapshots", "cameras": [gate]} in page.evaluate(
        "window.__sent"), timeout=15, interval=0.5, what="the fallback to snapshots")
