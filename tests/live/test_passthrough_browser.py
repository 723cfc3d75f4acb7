"""Passthrough in Chromium (static/js/live.js): a wall tile asks for the camera's own video,
plays the fragmented MP4 the server would send (made by apps.vision.livemux from a generated
H.264 clip) through Media Source Extensions in a muted <video>, starts anew at the new size
when the camera changes its resolution within the connection, and goes back to snapshots
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
from tests.vision.test_recording_inband_change import FPS as INBAND_FPS
from tests.vision.test_recording_inband_change import camera_stream
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
window.__play = (messages, every) => {  // one each `every` ms: base64 binary, or JSON
  let i = 0;
  const timer = setInterval(() => {
    if (i >= messages.length) { clearInterval(timer); return; }
    const message = messages[i++];
    if (typeof message !== "string") { window.__deliver(message); return; }
    const bytes = Uint8Array.from(atob(message), (c) => c.charCodeAt(0));
    socket().dispatchEvent(new MessageEvent("message", { data: bytes.buffer }));
  }, every);
};
"""


def _published(path, fps: float) -> list[tuple]:
    """What the live tap publishes for a camera sending `path` in real time (batches of
    0.2-0.4 s of fragments, each with its init segment and codec)."""
    published = []
    tap = LiveTap(lambda *args: published.append(args), lambda: True)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tap.video_opened(stream)
        start = time.time()
        packets = (p for p in container.demux(stream) if p.size)
        for index, packet in enumerate(packets):
            tap.video_packet(packet, datetime.fromtimestamp(start + index / fps, UTC))
    return published


def _messages(published: list[tuple], camera_id: int) -> list[str | dict]:
    """What the server's consumer sends of them: each batch as a binary message, the first
    one of a stream configuration led by its init segment and preceded by a "video" message
    (apps.live.consumers)."""
    messages: list[str | dict] = []
    sent_init = None
    for fragment, init, codec in published:
        payload = fragment.data
        if init != sent_init:
            messages.append({"type": "video", "camera": camera_id, "codec": codec})
            payload, sent_init = init + payload, init
        header = struct.pack(">Id", camera_id, time.time())
        messages.append(base64.b64encode(header + payload).decode())
    return messages


def _video_messages(tmp_path, camera_id: int) -> tuple[str, list[str | dict]]:
    """The codec and the messages the server would send for an 8-s clip, after the first
    "video" message."""
    path = tmp_path / "gate.mp4"
    write_clip(path, (frame for _, frame in scene_frames(8.0, FPS)), FPS, 300_000)
    published = _published(path, FPS)
    return published[0][2], _messages(published, camera_id)[1:]


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


def test_a_camera_that_changes_its_resolution_plays_on_at_the_new_size(
        page, live_world, tmp_path):
    gate = live_world.gate.pk
    published = _published(camera_stream(tmp_path / "camera.ts", 2.0), INBAND_FPS)
    # A new init segment at the change: the browser would keep the first one's size and
    # aspect (the 480×272 pictures played 484 wide).
    assert len({init for _fragment, init, _codec in published}) == 2
    for message in ({"type": "subscribed", "camera": gate},
                    {"type": "passthrough", "camera": gate, "granted": True}):
        page.evaluate("(m) => window.__deliver(m)", message)
    page.evaluate("(m) => window.__play(m, 150)", _messages(published, gate))
    video = page.locator("video[data-video]")
    wait_until(lambda: video.count() == 1 and video.evaluate(
        "v => v.videoWidth === 480 && v.videoHeight === 272 && v.currentTime > 0.5"),
        timeout=20, what="the video playing at the new size")


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
