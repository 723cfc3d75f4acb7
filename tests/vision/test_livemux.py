"""The live muxer (apps.vision.livemux): the camera's packets as fragmented MP4 for Media
Source Extensions, by stream copy, on generated H.264 clips."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import av
import pytest

from apps.camsim.clip import write_clip
from apps.vision.livemux import (
    LiveFragment,
    LiveMuxer,
    LiveTap,
    codec_string,
    fragment_samples,
    parameter_sets,
    split_boxes,
)
from apps.vision.source import SourceKind
from apps.vision.videocapture import ffmpeg_options
from tests.vision.helpers import scene_frames
from tests.vision.test_recording_inband_change import SIZES, camera_stream

FPS = 10


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("livemux") / "gate.mp4"
    write_clip(path, (frame for _, frame in scene_frames(4.0, FPS)), FPS, 300_000)
    return path


def _fragments(path: Path, wanted=lambda: True, batch_seconds: float = 0.0,
               ) -> tuple[list[tuple[LiveFragment, bytes, str | None]], int]:
    """What the tap publishes for the clip's packets arriving in real time (unbatched by
    default: a message per frame), and the packet count."""
    published: list[tuple[LiveFragment, bytes, str | None]] = []
    tap = LiveTap(lambda *args: published.append(args), wanted, batch_seconds=batch_seconds)
    start = datetime.now(UTC).timestamp()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tap.video_opened(stream)
        packets = 0
        for packet in container.demux(stream):
            if packet.size:
                tap.video_packet(packet, datetime.fromtimestamp(start + packets / FPS, UTC))
                packets += 1
        tap.closed()
    return published, packets


def _decoded(data: bytes) -> int:
    with av.open(io.BytesIO(data)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_the_init_segment_is_ftyp_and_moov_and_names_the_codec_of_the_sps(clip):
    published, _ = _fragments(clip)
    init = published[0][1]
    boxes, rest = split_boxes(init)
    assert [kind for kind, _ in boxes] == [b"ftyp", b"moov"] and rest == b""
    with av.open(str(clip)) as container:
        context = container.streams.video[0].codec_context
        # libx264's default profile for yuv420p is High (100 = 0x64), at the level it chose.
        assert context.profile == "High"
        expected = f"avc1.64{context.extradata[2]:02X}{context.level:02X}"
    assert published[0][2] == expected
    # The same from RTSP's Annex B parameter sets (SPS: 67 64 00 0D ...).
    assert codec_string(b"\x00\x00\x00\x01\x67\x64\x00\x0d\xac" +
                        b"\x00\x00\x00\x01\x68\xeb") == "avc1.64000D"
    assert codec_string(b"\x00\x00\x01\x67\x42\xc0\x1e\x95") == "avc1.42C01E"
    assert codec_string(b"") is None and codec_string(b"\x00\x00\x01\x40\x01") is None


def test_one_fragment_per_frame_and_the_stream_decodes_back_frame_for_frame(clip):
    published, packets = _fragments(clip)
    # Each fragment is complete when the next frame comes: all but the last frame.
    assert len(published) == packets - 1
    for fragment, _init, _codec in published:
        boxes, rest = split_boxes(fragment.data)
        assert [kind for kind, _ in boxes] == [b"moof", b"mdat"] and rest == b""
        assert fragment_samples(boxes[0][1]) == 1
    keyframes = [i for i, (fragment, _, _) in enumerate(published) if fragment.keyframe]
    assert keyframes == list(range(0, packets - 1, FPS))  # the clip's one a second
    init = published[0][1]
    assert _decoded(init + b"".join(f.data for f, _, _ in published)) == packets - 1


def test_a_late_joiner_starts_at_a_keyframe_with_the_init_segment(clip):
    published, _packets = _fragments(clip)
    second = next(i for i, (f, _, _) in enumerate(published) if f.keyframe and i)
    init = published[second][1]
    assert init == published[0][1]
    data = init + b"".join(f.data for f, _, _ in published[second:])
    assert _decoded(data) == len(published) - second


def test_fragments_go_out_in_batches_that_begin_anew_at_each_keyframe(clip):
    published, packets = _fragments(clip, batch_seconds=0.2)
    samples = []
    for fragment, _init, _codec in published:
        boxes, rest = split_boxes(fragment.data)
        assert rest == b"" and [kind for kind, _ in boxes] == [b"moof", b"mdat"] * (
            len(boxes) // 2)
        samples.append(sum(fragment_samples(box) for kind, box in boxes if kind == b"moof"))
    # 10 fps: three frames a batch (0.2 s of arrivals), and each keyframe (one a second)
    # begins one; the batch still open when the stream ends is not sent.
    assert samples[:6] == [3, 3, 3, 1, 3, 3] and packets - 1 - 3 <= sum(samples) < packets
    keyframes = [f.keyframe for f, _, _ in published]
    assert keyframes[0] and sum(keyframes) == packets // FPS
    assert _decoded(published[0][1] + b"".join(f.data for f, _, _ in published)) == sum(
        samples)


def test_nothing_is_muxed_while_nobody_asks_and_it_starts_at_a_keyframe(clip):
    asked = []

    def wanted() -> bool:
        asked.append(True)
        return len(asked) >= 2  # from the second keyframe on

    published, packets = _fragments(clip, wanted)
    assert len(asked) == packets // FPS  # asked at keyframes only
    assert published[0][0].keyframe and len(published) == packets - FPS - 1
    assert _decoded(published[0][1] + b"".join(f.data for f, _, _ in published)) == len(
        published)


def test_a_stream_that_goes_back_in_time_starts_a_new_muxer_at_its_next_keyframe(clip):
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        muxer = LiveMuxer(stream)
        assert all(muxer.accepts(p) for p in packets[:1])
        for packet in packets[:5]:
            muxer.mux(packet, 0.0)
        assert not muxer.accepts(packets[2])  # a timestamp seen already: a restart
        assert muxer.accepts(packets[5])
        muxer.close()


def test_a_keyframe_without_a_time_waits_for_the_next_one_and_never_stops_the_reader(clip):
    """RTSP's first packets may have no time yet: the video starts at the next timed
    keyframe (a watcher's reader once died of it, restarting every few seconds)."""
    published: list[tuple[LiveFragment, bytes, str | None]] = []
    tap = LiveTap(lambda *args: published.append(args), lambda: True, batch_seconds=0.0)
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        tap.video_opened(stream)
        packets = [p for p in container.demux(stream) if p.size]
        keyframes = [i for i, p in enumerate(packets) if p.is_keyframe]
        assert len(keyframes) >= 2
        for i, packet in enumerate(packets):
            if i < keyframes[1]:
                packet.pts = packet.dts = None  # the first group of pictures has no time
            tap.video_packet(packet, datetime.fromtimestamp(1_000_000 + i / FPS, UTC))
        tap.closed()
    assert published and published[0][1] is not None  # begins with the init segment
    assert published[0][0].keyframe
    frames = _decoded(published[0][1] + b"".join(f.data for f, _, _ in published))
    assert frames == len(packets) - keyframes[1] - 1  # the last frame is held (close())


def test_the_parameter_sets_of_an_annex_b_keyframe_and_nothing_else():
    sps, pps = b"\x67\x42\xc0\x0c\xda", b"\x68\xce\x0f\xc8"
    idr = b"\x65\x88\x84\x00\x00\x01\x00"  # a start code's look-alike inside a slice
    keyframe = (b"\x00\x00\x00\x01\x09\xf0" + b"\x00\x00\x00\x01" + sps
                + b"\x00\x00\x01" + pps + b"\x00\x00\x00\x01" + idr)
    assert parameter_sets(keyframe) == b"\x00\x00\x00\x01" + sps + b"\x00\x00\x00\x01" + pps
    assert parameter_sets(b"\x00\x00\x00\x01\x41\x9a\x00\x00\x01\x67") is None  # a P slice
    # An MP4 file's packets are length-prefixed, not Annex B: nothing to compare.
    assert parameter_sets(len(idr).to_bytes(4, "big") + idr) is None


def test_a_change_of_resolution_within_the_connection_starts_a_new_init_segment(tmp_path):
    published, _ = _fragments(camera_stream(tmp_path / "camera.ts", 2.0))
    inits = list(dict.fromkeys(init for _fragment, init, _codec in published))
    assert len(inits) == 2
    sizes = []
    for init in inits:
        with av.open(io.BytesIO(init)) as container:
            context = container.streams.video[0].codec_context
            sizes.append((context.width, context.height))
    assert sizes == list(SIZES)
    # Each configuration's fragments decode with its own init segment, from a keyframe on:
    # every frame but the one its muxer still held when it stopped (LiveMuxer.close).
    for init in inits:
        fragments = [fragment for fragment, its, _codec in published if its == init]
        assert fragments[0].keyframe
        assert _decoded(init + b"".join(f.data for f in fragments)) == 2 * 15 - 1


def test_a_camera_repeating_its_parameter_sets_keeps_one_init_segment(simulator,
                                                                       loopback_policy):
    published: list[tuple[LiveFragment, bytes, str | None]] = []
    tap = LiveTap(lambda *args: published.append(args), lambda: True, batch_seconds=0.0)
    url = simulator.urls("cam-a")["rtsp"]
    with av.open(url, options=ffmpeg_options(SourceKind.RTSP, 5.0)) as container:
        stream = container.streams.video[0]
        tap.video_opened(stream)
        keyframes = 0
        for index, packet in enumerate(container.demux(stream)):
            if packet.size and packet.dts is not None:
                keyframes += packet.is_keyframe
                tap.video_packet(packet, datetime.fromtimestamp(1_000_000 + index / 15, UTC))
            if keyframes > 3:
                break
        tap.closed()
    assert published and len({init for _fragment, init, _codec in published}) == 1
