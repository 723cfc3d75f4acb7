"""Masked renditions of recorded video: decode, black out the privacy masks, encode H.264.

Recordings are stored as the camera sent them. A viewer who may only see a camera with its
privacy masks gets this rendition instead: every frame decoded, the mask polygons blacked out
on the full-resolution picture (before any scaling, so nothing hidden blends into the
visible edge), grown by `MASK_MARGIN` pixels (a polygon edge errs on hiding more), scaled
down to at most `max_height` lines, and encoded again with libx264 into an MP4 with its
index up front (`faststart`), so a browser plays and seeks it at once. Only video is kept:
shared footage carries no audio. Each frame keeps its timestamp, so the rendition's
timeline is the segment's and the review page stays in sync.

A rendition may cover a `span` of its input only (a piece of a segment, so a viewer waits
for a few seconds of footage to be encoded rather than a minute): decoding starts at the
keyframe at or before the span (the lead-in is decoded, never encoded), only the span's
frames are encoded, and their timestamps count from the span's start, so the piece starts
with its own keyframe and the footage clock adds the span's offset.

The cost is bounded: an input over `max_bytes` is refused before decoding, and one longer
than `max_seconds` is refused as soon as a frame beyond it is decoded. No Django here: the
recordings app caches the results (apps.recordings.renditions), exports call this directly.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import av
import av.error
import cv2
import numpy as np

from apps.vision.geometry import Polygon, polygon_mask

Source = str | os.PathLike[str] | BinaryIO
# Pixels of margin around each mask polygon at full resolution: the camera's encoder smears
# edges over a pixel or two, and a mask must never leave a sliver of what it hides.
MASK_MARGIN = 2
# Limited-range black in 4:2:0: luma 16, chroma at its neutral value.
BLACK_LUMA = 16
NEUTRAL_CHROMA = 128
# A file of a single frame: that frame lasts as long as one at this rate.
FALLBACK_FPS = 25.0
KEYFRAME_SECONDS = 2.0  # a keyframe this often: a browser seek lands within it
# The review player's piece of a segment: about 0.4 s to render on one core at 720p 25 fps
# (bench.rendition_bench), so the first picture comes within a second of a click; a keyframe
# interval long, so a piece holds one keyframe, at its start.
PIECE_SECONDS = KEYFRAME_SECONDS
MP4_OPTIONS = {"movflags": "+faststart"}


class RenditionError(ValueError):
    """An input that is refused (over the bounds) or cannot be decoded."""


@dataclass(frozen=True)
class RenditionLimits:
    """What one rendition may cost, and how it is encoded.

    The encoder settings were measured on one core at 720p, 25 fps, 2 Mbit/s (CPU time,
    decoding and masking included; bench.rendition_bench --compare): `veryfast` at crf 26
    renders 5.5x real time and writes half the segment's bytes (7.8 of 15.9 MB a minute);
    `superfast` is 6.5x but writes as much as the segment, `ultrafast` 8x and 1.4 times it,
    and `faster` is 4.1x, too close to the 4x the issue asks for."""

    max_seconds: float = 120.0
    max_bytes: int = 256 * 1024 * 1024
    max_height: int = 720
    preset: str = "veryfast"
    crf: int = 26
    threads: int = 1


@dataclass(frozen=True)
class Rendition:
    path: Path
    seconds: float
    frames: int
    width: int
    height: int
    bytes: int


@dataclass(frozen=True)
class Span:
    """Seconds of a file from its first frame: [start, end), `end` infinite for the rest."""

    start: float
    end: float = math.inf


def mask_video(source: Source | Sequence[Source], destination: Path,
               masks: Sequence[Polygon], limits: RenditionLimits = RenditionLimits(),
               span: Span | None = None) -> Rendition:
    """Write the masked rendition of `source` to `destination` (an MP4, overwritten).

    `source` is a path or an open binary file (a storage file), or a sequence of them played
    one after another (an export's segments): each part's timestamps continue where the
    previous part ended. With `span` (one source only), only that span of it, its timestamps
    counted from the span's start. Raises RenditionError for an input over `limits` or one
    that holds no decodable video (in the span); `destination` is then removed."""
    parts = [source] if isinstance(source, (str, os.PathLike)) or hasattr(source, "read") \
        else list(source)  # type: ignore[arg-type]
    if not parts:
        raise RenditionError("nothing to render")
    if span is not None and len(parts) > 1:
        raise ValueError("a span is of one file")
    total = sum(_size(part) for part in parts)
    if total > limits.max_bytes:
        raise RenditionError(f"the recording is {total} bytes, more than the "
                             f"{limits.max_bytes} a rendition may read")
    shapes = tuple(tuple(tuple(point) for point in shape) for shape in masks)
    try:
        return _render(parts, destination, shapes, limits, span)  # type: ignore[arg-type]
    except BaseException:
        with contextlib.suppress(OSError):
            destination.unlink(missing_ok=True)
        raise


def _size(part: Source) -> int:
    if isinstance(part, (str, os.PathLike)):
        return os.path.getsize(part)
    size = getattr(part, "size", None)  # a Django File knows its size without reading
    if isinstance(size, int):
        return size
    position = part.tell()
    end = part.seek(0, os.SEEK_END)
    part.seek(position)
    return end


class _Output:
    """The encoder and the MP4 file, opened at the first frame (its size decides theirs)."""

    def __init__(self, destination: Path, limits: RenditionLimits, width: int, height: int,
                 time_base: Fraction, rate: Fraction) -> None:
        if height > limits.max_height:
            width = round(width * limits.max_height / height)
            height = limits.max_height
        self.width, self.height = max(2, width - width % 2), max(2, height - height % 2)
        self.time_base = time_base
        self.container = av.open(str(destination), "w", format="mp4",
                                 options=dict(MP4_OPTIONS))
        stream = self.container.add_stream("libx264", rate=rate)
        stream.width, stream.height = self.width, self.height
        stream.pix_fmt = "yuv420p"
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        stream.thread_count = limits.threads
        # No B-frames: every frame's decoding and presentation times are the same, so the
        # file starts at the segment's first timestamp with no edit list to honour.
        stream.options = {"preset": limits.preset, "crf": str(limits.crf), "bf": "0",
                          "threads": str(limits.threads),
                          "g": str(max(1, round(float(rate) * KEYFRAME_SECONDS)))}
        self.stream = stream
        self.frames = 0
        self.end = 0  # the last frame's end, in ticks of the time base

    def encode(self, frame: av.VideoFrame, pts: int, duration: int) -> None:
        if (frame.width, frame.height) != (self.width, self.height):
            # Masked already: scaling can only spread black, never uncover.
            frame = frame.reformat(width=self.width, height=self.height,
                                   interpolation="AREA")
        frame.pts = pts
        frame.time_base = self.time_base
        self._mux(self.stream.encode(frame), duration)
        self.frames += 1
        self.end = max(self.end, pts + duration)

    def _mux(self, packets: list[av.Packet], duration: int) -> None:
        for packet in packets:
            # The muxer takes each sample's length from the next one's timestamp, except the
            # last sample's: from its packet. That packet comes out for the last frame given
            # (or at the flush), so the last frame's own length lands there and the file
            # lasts as long as the segment.
            packet.duration = duration
        self.container.mux(packets)

    def close(self, last_duration: int) -> None:
        self._mux(self.stream.encode(None), last_duration)
        self.container.close()


def _render(parts: list[Source], destination: Path, masks: tuple[Polygon, ...],
            limits: RenditionLimits, span: Span | None) -> Rendition:
    output: _Output | None = None
    held: tuple[av.VideoFrame, int] | None = None  # a frame waits for the next: its duration
    duration = 0
    try:
        for frame, pts, time_base, rate in _timeline(parts, limits, span):
            if held is not None and pts <= held[1]:
                continue  # a timestamp out of order: the muxer would refuse it
            picture = _masked(frame, masks)
            if output is None:
                output = _Output(destination, limits, picture.width, picture.height,
                                 time_base, rate)
            if held is not None:
                duration = pts - held[1]
                output.encode(held[0], held[1], duration)
            held = (picture, pts)
        if output is None or held is None:
            raise RenditionError("the recording holds no video frame")
        last = duration or max(1, round(1 / (float(output.time_base) * FALLBACK_FPS)))
        output.encode(held[0], held[1], last)
        output.close(last)
    except av.error.FFmpegError as exc:
        raise RenditionError(f"the recording cannot be rendered: {exc}") from exc
    finally:
        if output is not None:  # closed already after success; after an error, now
            with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
                output.container.close()
    return Rendition(destination, float(output.end * output.time_base), output.frames,
                     output.width, output.height, destination.stat().st_size)


def _timeline(parts: list[Source], limits: RenditionLimits, span: Span | None,
              ) -> Iterator[tuple[av.VideoFrame, int, Fraction, Fraction]]:
    """(frame, pts, time base, frame rate) of every decodable frame of the parts in order,
    the timestamps on the first part's time base, each part after the previous one's end;
    with `span`, of the frames in it, their timestamps from its start. Raises
    RenditionError at the first frame beyond `limits.max_seconds`."""
    time_base: Fraction | None = None
    offset = 0
    origin: int | None = None  # the first frame's time: the length is counted from there
    for index, part in enumerate(parts):
        with av.open(part if not isinstance(part, os.PathLike) else os.fspath(part)) as container:
            if not container.streams.video:
                raise RenditionError("the recording holds no video stream")
            stream = container.streams.video[0]
            stream.thread_count = limits.threads
            if stream.time_base is None:
                raise RenditionError("the recording has no time base")
            own = Fraction(stream.time_base)
            time_base = time_base or own
            rate = Fraction(stream.average_rate or stream.guessed_rate or FALLBACK_FPS)
            limit = limits.max_seconds / time_base
            end = offset
            first: int | None = None
            window: tuple[int, float] | None = None  # the span in the file's own ticks
            if span is not None:
                # Counted from the file's first frame; the span's start becomes 0.
                zero = stream.start_time or 0
                window = (zero + math.floor(span.start / own), zero + span.end / own)
                first = window[0]
            for frame in _decoded(container, stream, window and window[0]):
                raw = frame.pts if frame.pts is not None else frame.dts
                if raw is None:
                    continue
                if window is not None and raw < window[0]:
                    continue  # the lead-in: decoded to reach the span, never shown
                if window is not None and raw >= window[1]:
                    return
                first = raw if first is None else first
                # The first part keeps its timestamps as they are (a span's from its start);
                # the others start at `offset`.
                pts = offset + round((raw - (first if index or window else 0)) * own / time_base)
                origin = pts if origin is None else origin
                if pts - origin > limit:
                    raise RenditionError(f"the recording is longer than the "
                                         f"{limits.max_seconds:g} s a rendition may cover")
                end = max(end, pts)
                yield frame, pts, time_base, rate
            # The next part starts a frame after this one's last frame.
            offset = end + max(1, round(1 / (float(time_base) * float(rate))))


def _decoded(container: av.container.InputContainer, stream: av.VideoStream,
             lead_in: int | None = None) -> Iterator[av.VideoFrame]:
    """The stream's frames; a packet that does not decode (the last fragment of a segment
    whose writer was killed) is skipped rather than ending the rendition. With `lead_in` (a
    time in the stream's ticks), from the last keyframe at or before it: the packets before
    that keyframe are read, not decoded."""
    for packet in _packets(container, stream, lead_in):
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            continue
        for frame in frames:
            if isinstance(frame, av.VideoFrame):
                yield frame


def _packets(container: av.container.InputContainer, stream: av.VideoStream,
             lead_in: int | None) -> Iterator[av.Packet]:
    packets = container.demux(stream)
    if lead_in is None:
        yield from packets
        return
    # The packets since the last keyframe, until one reaches `lead_in`: demuxing reads the
    # file in order (a fragmented MP4 has no index to seek by), decoding is what costs.
    held: list[av.Packet] = []
    for packet in packets:
        moment = packet.pts if packet.pts is not None else packet.dts
        if moment is None:  # the demuxer's last, empty packet: it flushes the decoder
            yield from held
            yield packet
            return
        if packet.is_keyframe:
            held = [packet]
        else:
            held.append(packet)
        if moment >= lead_in:
            yield from held
            break
    yield from packets
def _masked(frame: av.VideoFrame, masks: tuple[Polygon, ...]) -> av.VideoFrame:
    """The frame as 4:2:0 (even size) with the masks blacked out, in a new frame: the
    decoder's own pictures are references for the frames after them, never written to."""
    width, height = frame.width - frame.width % 2, frame.height - frame.height % 2
    if frame.format.name != "yuv420p" or (width, height) != (frame.width, frame.height):
        frame = frame.reformat(width=width, height=height, format="yuv420p")
    if not masks:
        return frame
    masked = av.VideoFrame(width, height, "yuv420p")
    hidden = _hidden(masks, width, height)
    for index, (source, target) in enumerate(zip(frame.planes, masked.planes, strict=True)):
        plane = _pixels(target)
        np.copyto(plane, _pixels(source))  # one copy, straight into the new frame
        where, box = hidden[0] if index == 0 else hidden[1]
        np.copyto(plane[box], BLACK_LUMA if index == 0 else NEUTRAL_CHROMA, where=where[box])
    masked.pts, masked.time_base = frame.pts, frame.time_base
    return masked


def _pixels(plane: av.video.plane.VideoPlane) -> np.ndarray:
    """A plane's picture as an array over its memory (rows may be padded beyond `width`)."""
    rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
    return rows[:plane.height, :plane.width]


Hidden = tuple[np.ndarray, tuple[slice, slice]]


@lru_cache(maxsize=32)
def _hidden(masks: tuple[Polygon, ...], width: int, height: int) -> tuple[Hidden, Hidden]:
    """Where to black out, as boolean pictures and the box around their True pixels: the
    luma plane (the polygons grown by MASK_MARGIN) and the half-size colour planes (a
    sample is hidden if any of its 2 x 2 pixels is, plus one sample of margin because
    cameras filter colour across neighbours before subsampling it). Cached: masks and
    sizes stay the same for a whole file."""
    side = 2 * MASK_MARGIN + 1
    luma = cv2.dilate(polygon_mask(masks, width, height), np.ones((side, side), np.uint8))
    chroma = cv2.resize(luma, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    chroma = cv2.dilate(chroma, np.ones((3, 3), np.uint8))
    return _with_box(luma > 0), _with_box(chroma > 0)


def _with_box(hidden: np.ndarray) -> Hidden:
    x, y, width, height = cv2.boundingRect(hidden.astype(np.uint8))
    hidden.setflags(write=False)
    return hidden, (slice(y, y + height), slice(x, x + width))
