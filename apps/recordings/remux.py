"""Joining a camera's recorded segments into one MP4 for an evidence bundle, by remuxing:
the packets as recorded (no decoding, no re-encoding), video only (no audio ever leaves).

The file covers the asked span as closely as stream copy allows: it starts at the keyframe
at or before the span's start (a picture cannot start between keyframes without
re-encoding) and ends with the last packet decoded before the span's end. Timestamps follow
the wall clock of the segments, so a gap in the recording (the camera was offline) stays a
gap in the file instead of being closed up. A segment whose stream parameters differ (the
camera changed resolution or codec) starts a new file: one MP4 holds one set of parameters.

No Django: the caller opens the stored files and saves the result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import av.error

from apps.vision.recording import MAX_TIMESTAMP_GAP

OUTPUT_OPTIONS = {"movflags": "+faststart"}  # the index first: a player starts at once


class RemuxError(ValueError):
    """The segments hold nothing of the span, or cannot be read."""


@dataclass(frozen=True)
class Part:
    """One stored segment: how to open it and the wall-clock moment of its first packet."""

    open: Callable[[], BinaryIO]
    start: datetime


@dataclass
class Joined:
    """One MP4 written: its path and the wall-clock span of the footage it shows."""

    path: Path
    start: datetime
    end: datetime
    packets: int = 0


@dataclass
class _Output:
    joined: Joined
    container: av.container.OutputContainer
    stream: av.VideoStream
    time_base: Fraction
    shape: tuple
    last_dts: int | None = None
    pending: list = field(default_factory=list)  # the group of pictures before the span
    pending_shown: datetime | None = None  # when its last picture is shown

    def ticks(self, moment: datetime) -> int:
        return round((moment - self.joined.start).total_seconds() / self.time_base)


def _shape(stream: av.VideoStream) -> tuple:
    context = stream.codec_context
    return (context.name, context.width, context.height, bytes(context.extradata or b""))


def join_segments(parts: Sequence[Part], destination: Path, start: datetime,
                  end: datetime) -> list[Joined]:
    """Write the footage of `parts` (one camera's segments, in time order) between `start`
    and `end` to `destination` (and `<stem>-2.mp4`... when the stream's parameters change).
    Raises RemuxError when no packet falls in the span."""
    outputs: list[_Output] = []
    try:
        for part in parts:
            if _copy(part, destination, outputs, start, end):
                break
    except av.error.FFmpegError as error:
        raise RemuxError(f"a segment cannot be read or copied: {error}") from error
    finally:
        for output in outputs:
            with contextlib.suppress(av.error.FFmpegError, OSError):
                output.container.close()
            if not output.joined.packets:
                output.joined.path.unlink(missing_ok=True)
    written = [output.joined for output in outputs if output.joined.packets]
    if not written:
        raise RemuxError("no recorded packet in the span")
    return written


def _copy(part: Part, destination: Path, outputs: list[_Output], start: datetime,
          end: datetime) -> bool:
    """Copy one segment's packets of the span; True once the span's end is reached."""
    try:
        handle = part.open()
    except OSError as error:
        raise RemuxError(f"a segment file cannot be opened: {error}") from error
    with handle, av.open(handle, "r") as source:
        if not source.streams.video:
            raise RemuxError("a segment holds no video")
        stream = source.streams.video[0]
        time_base = Fraction(stream.time_base)
        output = outputs[-1] if outputs else None
        for packet in source.demux(stream):
            if not packet.size or packet.dts is None:
                continue
            pts = packet.pts if packet.pts is not None else packet.dts
            shown = part.start + timedelta(seconds=float(pts * time_base))
            decoded = part.start + timedelta(seconds=float(packet.dts * time_base))
            if decoded >= end:
                return True
            if output is None or output.shape != _shape(stream):
                if output is not None and output.last_dts is None:
                    output.pending.clear()  # nothing of it was in the span
                output = _open_output(destination, len(outputs), stream, shown)
                outputs.append(output)
            if output.last_dts is None and shown < start:
                # Before the span: keep only the group of pictures that reaches into it.
                if packet.is_keyframe:
                    output.pending.clear()
                if packet.is_keyframe or output.pending:
                    output.pending.append((packet, decoded, pts - packet.dts, time_base))
                    output.pending_shown = shown
                continue
            if output.pending and (
                    (packet.is_keyframe and shown == start)
                    or shown - output.pending_shown > timedelta(seconds=MAX_TIMESTAMP_GAP)):
                # The span starts with this picture, or after a gap in the recording: what
                # came before does not show the span's start.
                output.pending.clear()
            for held in output.pending:
                _mux(output, *held)
            output.pending.clear()
            if output.last_dts is None and not packet.is_keyframe:
                continue  # a file starts at a keyframe
            _mux(output, packet, decoded, pts - packet.dts, time_base)
    return False


def _open_output(destination: Path, index: int, stream: av.VideoStream,
                 first: datetime) -> _Output:
    path = destination if index == 0 else destination.with_name(
        f"{destination.stem}-{index + 1}{destination.suffix}")
    container = av.open(str(path), "w", format="mp4", options=dict(OUTPUT_OPTIONS))
    out = container.add_stream_from_template(stream)
    time_base = Fraction(stream.time_base)
    out.time_base = time_base
    return _Output(Joined(path, first, first), container, out, time_base, _shape(stream))


def _mux(output: _Output, packet: av.Packet, decoded: datetime, delay: int,
         time_base: Fraction) -> None:
    joined = output.joined
    if output.last_dts is None:
        joined.start = decoded  # the file's zero: its first packet
    dts = output.ticks(decoded)
    if output.last_dts is not None and dts <= output.last_dts:
        dts = output.last_dts + 1  # a camera's jitter never makes time run backwards
    scale = time_base / output.time_base
    packet.stream = output.stream
    packet.dts = dts
    packet.pts = dts + round(delay * scale)
    if packet.duration:
        packet.duration = max(1, round(packet.duration * scale))
    output.container.mux(packet)
    output.last_dts = dts
    shown_until = float((packet.pts + (packet.duration or 0)) * output.time_base)
    joined.end = max(joined.end, joined.start + timedelta(seconds=shown_until))
    joined.packets += 1
