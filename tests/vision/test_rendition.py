"""Masked renditions (apps.vision.rendition) of real recorded segments, decoded with PyAV:
masks black in every frame, the rest of the picture kept, the timeline unchanged, no audio,
a span of a segment rendered from its own keyframe, and the bounds enforced."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from apps.vision import rendition as rendition_module
from apps.vision.jpegrecording import JpegSegmentWriter
from apps.vision.rendition import (
    BLACK_LUMA,
    NEUTRAL_CHROMA,
    RenditionError,
    RenditionLimits,
    Span,
    mask_video,
)
from tests.vision.recorded import START, clip_with_audio, recorded_segment

# The gate scene's burned-in clock sits in this corner: its pixels change every second.
MASK = ((0.0, 0.0), (0.55, 0.0), (0.55, 0.3), (0.0, 0.3))


def planes(path: Path) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """(pts, Y, U, V) of every frame of a file."""
    result = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frame = frame.reformat(format="yuv420p")
            y, u, v = (frame.to_ndarray()[:frame.height],
                       *np.split(frame.to_ndarray()[frame.height:].reshape(2, -1), 2))
            half = (frame.height // 2, frame.width // 2)
            result.append((frame.pts, y, u.reshape(half), v.reshape(half)))
    return result


def timeline(path: Path) -> tuple[list[int], float, int, int]:
    """(presentation timestamps in the stream's time base, seconds, video and audio streams)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = sorted((p for p in container.demux(stream) if p.size), key=lambda p: p.pts)
        assert stream.time_base is not None
        end = packets[-1].pts + (packets[-1].duration or 0)
        seconds = float((end - packets[0].pts) * stream.time_base)
        pts = [round(float(p.pts * stream.time_base) * 1000) for p in packets]
        return pts, seconds, len(container.streams.video), len(container.streams.audio)


def inside(shape: tuple[int, int], scale: int = 1) -> tuple[slice, slice]:
    """Rows and columns well inside MASK on a plane of `shape` (height, width)."""
    height, width = shape
    return slice(2, int(0.3 * height) - 2), slice(2, int(0.55 * width) - 2)


def test_masks_are_black_in_every_frame_and_the_rest_and_the_timeline_are_kept(
        tmp_path: Path) -> None:
    segment = recorded_segment(tmp_path / "segments", 3.0)
    out = tmp_path / "masked.mp4"
    rendition = mask_video(segment.path, out, [MASK])

    source, masked = planes(segment.path), planes(out)
    assert len(masked) == len(source) == rendition.frames == 30
    for (_, y, _, _), (_, masked_y, u, v) in zip(source, masked, strict=True):
        rows, columns = inside(y.shape)
        assert y[rows, columns].std() > 5  # there was something to hide
        assert masked_y[rows, columns].max() <= BLACK_LUMA + 3
        chroma = inside(u.shape)
        assert np.abs(u[chroma].astype(int) - NEUTRAL_CHROMA).max() <= 3
        assert np.abs(v[chroma].astype(int) - NEUTRAL_CHROMA).max() <= 3
        # Below the mask the picture is the camera's, up to the encoder's loss.
        below = slice(int(0.4 * y.shape[0]), None)
        assert np.abs(masked_y[below].astype(int) - y[below]).mean() < 4
    # Same frames at the same times, same duration; no audio; the index first.
    source_pts, source_seconds, _, _ = timeline(segment.path)
    masked_pts, masked_seconds, videos, audios = timeline(out)
    assert masked_pts == source_pts
    assert masked_seconds == pytest.approx(source_seconds, abs=0.01)
    assert rendition.seconds == pytest.approx(segment.seconds, abs=0.11)
    assert (videos, audios) == (1, 0)
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    assert rendition.bytes == len(data)


def test_above_the_height_limit_the_picture_is_masked_first_and_then_scaled(
        tmp_path: Path) -> None:
    segment = recorded_segment(tmp_path / "segments", 1.0, size=(640, 360))
    out = tmp_path / "small.mp4"
    rendition = mask_video(segment.path, out, [MASK], RenditionLimits(max_height=180))
    assert (rendition.width, rendition.height) == (320, 180)
    for _, y, _, _ in planes(out):
        assert y.shape == (180, 320)
        # Right up to the mask's scaled edge: nothing hidden blended into its border.
        assert y[:int(0.3 * 180) - 1, :int(0.55 * 320) - 1].max() <= BLACK_LUMA + 3


def test_an_input_with_audio_gives_video_only(tmp_path: Path) -> None:
    source = clip_with_audio(tmp_path / "with-audio.mp4")
    with av.open(str(source)) as container:
        assert len(container.streams.audio) == 1
    mask_video(source, tmp_path / "out.mp4", [MASK])
    assert timeline(tmp_path / "out.mp4")[2:] == (1, 0)


def test_parts_follow_one_another_on_one_timeline(tmp_path: Path) -> None:
    first = recorded_segment(tmp_path / "a", 1.0)
    second = recorded_segment(tmp_path / "b", 1.0)
    with first.path.open("rb") as opened:  # a file object, as a storage opens it
        rendition = mask_video([opened, second.path], tmp_path / "both.mp4", [MASK])
    pts, seconds, _, _ = timeline(tmp_path / "both.mp4")
    assert rendition.frames == len(pts) == 20
    assert pts == [index * 100 for index in range(20)]
    assert seconds == pytest.approx(2.0, abs=0.01)


def test_a_resolution_change_between_parts_still_gives_one_masked_picture_size(
        tmp_path: Path) -> None:
    small = recorded_segment(tmp_path / "a", 1.0)
    large = recorded_segment(tmp_path / "b", 1.0, size=(640, 360))
    rendition = mask_video([small.path, large.path], tmp_path / "both.mp4", [MASK])
    decoded = planes(tmp_path / "both.mp4")
    assert (rendition.width, rendition.height, len(decoded)) == (320, 180, 20)
    for _, y, _, _ in decoded:
        assert y.shape == (180, 320)
        assert y[inside(y.shape)].max() <= BLACK_LUMA + 3


def test_a_snapshot_cameras_irregular_frames_keep_their_own_times(tmp_path: Path) -> None:
    """JPEG cameras are recorded at their arrival times (a millisecond time base)."""
    writer = JpegSegmentWriter(tmp_path, fps_hint=1.0)
    arrivals = [0.0, 0.5, 1.7, 2.0, 3.1, 5.9, 6.0]
    picture = np.full((180, 320, 3), 120, np.uint8)
    for index, seconds in enumerate(arrivals):
        cv2.putText(picture, str(index), (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1, (0, 0, 0), 2)
        jpeg = cv2.imencode(".jpg", picture)[1].tobytes()
        assert writer.write(jpeg, START + timedelta(seconds=seconds)) is None
    segment = writer.close()
    assert segment is not None
    rendition = mask_video(segment.path, tmp_path / "masked.mp4", [MASK])
    source_pts, source_seconds, _, _ = timeline(segment.path)
    masked_pts, masked_seconds, _, _ = timeline(tmp_path / "masked.mp4")
    assert masked_pts == source_pts == [round(s * 1000) for s in arrivals]
    assert masked_seconds == pytest.approx(source_seconds, abs=0.001)
    assert rendition.frames == len(arrivals)


def test_inputs_beyond_the_bounds_are_refused_and_leave_no_file(tmp_path: Path) -> None:
    segment = recorded_segment(tmp_path / "segments", 2.0)
    out = tmp_path / "refused.mp4"
    with pytest.raises(RenditionError, match="longer than the 1 s"):
        mask_video(segment.path, out, [MASK], RenditionLimits(max_seconds=1.0))
    assert not out.exists()
    with pytest.raises(RenditionError, match="bytes, more than the 1000"):
        mask_video(segment.path, out, [MASK], RenditionLimits(max_bytes=1000))
    assert not out.exists()
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(RenditionError):
        mask_video(junk, out, [MASK])
    assert not out.exists()


def test_a_span_is_rendered_from_the_keyframe_before_it_and_plays_from_zero(
        tmp_path: Path, monkeypatch) -> None:
    segment = recorded_segment(tmp_path / "segments", 3.0)  # 10 fps, a keyframe a second
    read: list[float] = []  # the packets handed to the decoder, in seconds

    def packets(container, stream, lead_in):
        for packet in unwatched(container, stream, lead_in):
            if packet.pts is not None:
                read.append(float(packet.pts * stream.time_base))
            yield packet

    unwatched = rendition_module._packets
    monkeypatch.setattr(rendition_module, "_packets", packets)
    out = tmp_path / "piece.mp4"
    rendition = mask_video(segment.path, out, [MASK], span=Span(1.5, 2.5))
    # Decoded from the keyframe at 1 s (nothing before it), encoded from 1.5 s, until 2.5 s.
    assert min(read) == pytest.approx(1.0)
    pts, seconds, videos, audios = timeline(out)
    assert pts == [index * 100 for index in range(10)]  # the span's own clock, from 0
    assert seconds == pytest.approx(1.0, abs=0.01) and rendition.frames == 10
    assert (videos, audios) == (1, 0)
    with av.open(str(out)) as container:
        assert next(container.demux(video=0)).is_keyframe  # it plays without the lead-in
    source, masked = planes(segment.path)[15:25], planes(out)
    for (_, y, _, _), (_, masked_y, _, _) in zip(source, masked, strict=True):
        assert masked_y[inside(y.shape)].max() <= BLACK_LUMA + 3
        below = slice(int(0.4 * y.shape[0]), None)  # the same frames, up to encoding loss
        assert np.abs(masked_y[below].astype(int) - y[below]).mean() < 4


def test_the_last_span_runs_to_the_end_and_one_beyond_it_is_refused(tmp_path: Path) -> None:
    segment = recorded_segment(tmp_path / "segments", 3.0)
    last = mask_video(segment.path, tmp_path / "last.mp4", [MASK], span=Span(2.0))
    assert last.frames == 10 and last.seconds == pytest.approx(1.0, abs=0.01)
    with pytest.raises(RenditionError, match="no video frame"):
        mask_video(segment.path, tmp_path / "beyond.mp4", [MASK], span=Span(4.0, 6.0))
    assert not (tmp_path / "beyond.mp4").exists()
