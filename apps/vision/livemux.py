"""Live video without decoding: the camera's H.264 packets, as received, repackaged as
fragmented MP4 for a browser's Media Source Extensions. No Django, no decoding, no
re-encoding: the packets the reader already demuxes for the recorder (apps.vision.recorder's
tap) are muxed by stream copy (apps.vision.recording.mux_copy) into memory.

What comes out: one init segment (ftyp + moov) per stream configuration (a connection, or a
new resolution the camera changed to within one: one keyframe is decoded then, to read the
new picture size), the codec string a browser asks `MediaSource.isTypeSupported` about (RFC
6381, `avc1.PPCCLL` from the stream's SPS), and one media fragment (moof + mdat) per frame.
A frame's fragment is complete when the next frame arrives (the muxer needs the next
timestamp for the duration): one frame interval, 67-100 ms at 10-15 fps. The tap publishes
the fragments in batches of `BATCH_SECONDS` (a batch is a few moof + mdat pairs, which Media
Source Extensions append as one): a message to the channel layer costs more CPU than muxing
the frames it carries (0.34 ms against 0.26 ms for a second of 720p at 15 fps;
bench/decode_bench.py (f)), so a message per frame would cost more than the camera's idle
decoding. What this adds to latency is at most the batch plus a frame, under 0.3 s. A batch
starting with a keyframe is where a viewer may begin; together with the init segment it
decodes on its own.

Passthrough carries every pixel the camera sends: only viewers to whom no privacy mask
applies may be given it (apps.access.policy.passthrough_camera_ids decides; apps.live sends).
"""

from __future__ import annotations

import contextlib
import logging
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import av
import av.error

from apps.vision.recording import MAX_TIMESTAMP_GAP, MP4_OPTIONS, mux_copy

logger = logging.getLogger(__name__)

# Every frame closes a fragment (the recording's options otherwise: fragments start at
# keyframes, the header is written empty up front, FFmpeg flushes after each packet).
LIVE_MP4_OPTIONS = dict(MP4_OPTIONS, movflags=MP4_OPTIONS["movflags"] + "+frag_every_frame")
# Fragments go out together for this long (by arrival time), a new batch at every keyframe.
BATCH_SECONDS = 0.2
_BOX = struct.Struct(">I4s")
_H264_SPS, _H264_PPS = 7, 8
_H264_SLICES = range(1, 6)  # coded picture NAL units: the parameter sets come before them
_START = b"\x00\x00\x01"


@dataclass(frozen=True)
class LiveFragment:
    """Media fragments (moof + mdat pairs) of a live stream: one frame's from the muxer, a
    batch of consecutive frames' from the tap."""

    data: bytes
    keyframe: bool  # it starts with a keyframe: a viewer may begin here
    received: float  # when its first packet arrived, epoch seconds

    def __add__(self, later: LiveFragment) -> LiveFragment:
        return LiveFragment(self.data + later.data, self.keyframe, self.received)


def codec_string(extradata: bytes | None) -> str | None:
    """The RFC 6381 codec of an H.264 stream (`avc1.` and the SPS's profile, constraint flags
    and level in hex) from its extradata, an avcC record (MP4, most demuxers) or Annex B
    parameter sets (RTSP's sprop-parameter-sets); None when it is neither."""
    if not extradata:
        return None
    if extradata[0] == 1 and len(extradata) >= 4:
        return "avc1." + extradata[1:4].hex().upper()
    for nal in extradata.replace(b"\x00\x00\x00\x01", b"\x00\x00\x01").split(b"\x00\x00\x01"):
        if len(nal) >= 4 and nal[0] & 0x1F == _H264_SPS:
            return "avc1." + nal[1:4].hex().upper()
    return None


def parameter_sets(data: bytes) -> bytes | None:
    """The H.264 SPS and PPS NAL units at the head of an Annex B access unit (a keyframe's,
    as RTSP and MPEG-TS deliver it) or extradata, each after a four-byte start code, or None
    when there are none or it is not Annex B (an MP4 file's length-prefixed packets). Cameras
    repeat them at every keyframe; different ones mean the camera changed its configuration
    (its resolution, say) within the connection."""
    if not data.startswith(_START) and not data.startswith(b"\x00" + _START):
        return None
    sets = []
    at = data.find(_START)
    while at != -1 and at + 3 < len(data):
        kind = data[at + 3] & 0x1F
        if kind in _H264_SLICES:
            break  # the picture itself: read no further than its head
        end = data.find(_START, at + 3)
        if kind in (_H264_SPS, _H264_PPS):
            # A four-byte start code's leading zero ends the unit before: not part of it.
            unit = data[at + 3:len(data) if end == -1 else end]
            sets.append(b"\x00" + _START + unit.rstrip(b"\x00"))
        at = end
    return b"".join(sets) or None


def split_boxes(data: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The complete top-level MP4 boxes at the start of `data`, as (type, whole box), and the
    incomplete rest."""
    boxes = []
    offset = 0
    while len(data) - offset >= _BOX.size:
        size, kind = _BOX.unpack_from(data, offset)
        header = _BOX.size
        if size == 1:  # a 64-bit size follows the type
            if len(data) - offset < 16:
                break
            size, header = struct.unpack_from(">Q", data, offset + 8)[0], 16
        if size < header or len(data) - offset < size:
            break
        boxes.append((kind, data[offset:offset + size]))
        offset += size
    return boxes, data[offset:]


def fragment_samples(moof: bytes) -> int:
    """The number of samples in a moof box (the sum over its track runs)."""
    samples = 0
    for kind, traf in split_boxes(moof[_BOX.size:])[0]:
        if kind == b"traf":
            for inner, box in split_boxes(traf[_BOX.size:])[0]:
                if inner == b"trun":  # size, type, version and flags, then the sample count
                    samples += struct.unpack_from(">I", box, 12)[0]
    return samples


def _decoding_time(packet: av.Packet) -> int | None:
    """The packet's decoding time in its stream's ticks (its presentation time when the
    demuxer gave none), or None."""
    return packet.dts if packet.dts is not None else packet.pts


class _Collector:
    """The file-like object FFmpeg writes the MP4 into."""

    def __init__(self) -> None:
        self.pending = bytearray()

    def write(self, data) -> int:
        self.pending += data
        return len(data)


@dataclass(frozen=True)
class Reconfigured:
    """A stream configuration that came in band: its parameter sets and its picture size."""

    parameters: bytes
    width: int
    height: int


class LiveMuxer:
    """Fragmented MP4 from the packets of one video stream (one connection). `mux` takes the
    packets from a keyframe on and returns the fragments they completed; `init` is the init
    segment, known after the first packet. With `reconfigured`, the configuration the camera
    changed to within the connection replaces the one the connection opened with."""

    def __init__(self, template: av.video.stream.VideoStream,
                 reconfigured: Reconfigured | None = None) -> None:
        extradata = (reconfigured.parameters if reconfigured
                     else template.codec_context.extradata)
        self.codec = codec_string(extradata)
        self.init: bytes | None = None
        self._out = _Collector()
        self._container = av.open(self._out, "w", format="mp4", options=dict(LIVE_MP4_OPTIONS))
        self._stream = self._container.add_stream_from_template(template)
        if reconfigured is not None:
            context = self._stream.codec_context
            context.extradata = reconfigured.parameters
            context.width, context.height = reconfigured.width, reconfigured.height
        self._first_dts: int | None = None
        self._last_dts = 0
        self._gap_ticks = (int(MAX_TIMESTAMP_GAP / template.time_base)
                           if template.time_base else None)
        self._started: deque[tuple[bool, float]] = deque()  # per packet muxed, not yet out
        self._moof: bytes | None = None

    def accepts(self, packet: av.Packet) -> bool:
        """Whether `packet` continues this stream (or, the first, starts it: a keyframe): it
        has a time, and its timestamps neither go back nor jump (a camera that restarted
        needs a new muxer, from its next keyframe)."""
        dts = _decoding_time(packet)
        if dts is None:
            return False
        if self._first_dts is None:
            return packet.is_keyframe
        return self._last_dts < dts and (self._gap_ticks is None
                                         or dts - self._last_dts <= self._gap_ticks)

    def mux(self, packet: av.Packet, received: float) -> list[LiveFragment]:
        """Add one packet (`accepts` must have said yes); the fragments now complete."""
        dts = _decoding_time(packet)
        pts = packet.pts if packet.pts is not None else dts
        if self._first_dts is None:
            self._first_dts = dts
        mux_copy(self._container, self._stream, packet, dts - self._first_dts,
                 pts - self._first_dts)
        self._last_dts = dts
        self._started.append((bool(packet.is_keyframe), received))
        return self._collect()

    def close(self) -> None:
        """Let go of FFmpeg's muxer (what it still holds is not sent: one frame)."""
        with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
            self._container.close()

    def _collect(self) -> list[LiveFragment]:
        boxes, rest = split_boxes(bytes(self._out.pending))
        self._out.pending = bytearray(rest)
        fragments = []
        for kind, box in boxes:
            if kind in (b"ftyp", b"moov"):
                self.init = (self.init or b"") + box
            elif kind == b"moof":
                self._moof = box
            elif kind == b"mdat" and self._moof is not None:
                samples = [self._started.popleft()
                           for _ in range(min(fragment_samples(self._moof), len(self._started)))]
                if samples:
                    fragments.append(LiveFragment(self._moof + box, samples[0][0],
                                                  samples[0][1]))
                self._moof = None
        return fragments


def _reconfigured(keyframe: av.Packet, sets: bytes) -> Reconfigured | None:
    """The configuration a camera changed to within its connection, or None when its keyframe
    does not decode (the muxer then keeps the configuration the connection opened with). The
    picture size is in the SPS; decoding the one keyframe reads it (once per change, a rare
    event) where a hand-written SPS parser would have to follow every profile's syntax."""
    try:
        frames = av.CodecContext.create("h264", "r").decode(keyframe)
    except (av.error.FFmpegError, ValueError):
        frames = []
    if not frames:
        logger.debug("the keyframe of a new stream configuration did not decode")
        return None
    return Reconfigured(sets, frames[0].width, frames[0].height)


Publish = Callable[[LiveFragment, bytes, str | None], object]


class LiveTap:
    """The live muxer on a reader's packet path (apps.vision.recorder.RecordingTap): muxes
    only while `wanted()` says someone watches by passthrough, asked at every keyframe (so
    it starts and stops there), and hands each batch of fragments (`batch_seconds`, a new
    one at each keyframe) to `publish(fragment, init, codec)`. Never stops the reader: a
    packet the muxer refuses ends the fragments until the next keyframe, with a new init
    segment. So does a keyframe whose parameter sets differ from those the muxer started
    with: the camera changed its configuration without a new connection, and a browser
    keeps the picture size and aspect of the init segment it was given (a 320×180 stream
    that became 480×272 played stretched to 484 wide in Chromium)."""

    def __init__(self, publish: Publish, wanted: Callable[[], bool], *,
                 batch_seconds: float = BATCH_SECONDS) -> None:
        self._publish = publish
        self._wanted = wanted
        self._batch_seconds = batch_seconds
        self._stream: av.video.stream.VideoStream | None = None
        self._muxer: LiveMuxer | None = None
        self._muxed_sets: bytes | None = None  # the parameter sets the muxer started with
        self._batch: LiveFragment | None = None

    def video_opened(self, stream: av.video.stream.VideoStream) -> None:
        self._stop()
        self._stream = stream

    def video_packet(self, packet: av.Packet, received: datetime) -> None:
        if packet.is_keyframe and not self._asked():
            self._stop()
            return
        sets = self._parameter_sets(packet)
        if self._muxer is not None and (not self._muxer.accepts(packet)
                                        or sets not in (None, self._muxed_sets)):
            self._stop()
        if self._muxer is None:
            # RTSP's first packets may come without a time (before the first RTCP report):
            # the video starts at the first keyframe that has one.
            if (self._stream is None or not packet.is_keyframe
                    or _decoding_time(packet) is None):
                return
            opened_with = parameter_sets(self._stream.codec_context.extradata or b"")
            reconfigured = (_reconfigured(packet, sets)
                            if sets not in (None, opened_with) else None)
            try:
                self._muxer = LiveMuxer(self._stream, reconfigured)
            except (av.error.FFmpegError, ValueError):
                logger.warning("live muxer could not start", exc_info=True)
                return
            self._muxed_sets = sets or opened_with
        try:
            fragments = self._muxer.mux(packet, received.timestamp())
        except (av.error.FFmpegError, OSError, ValueError):
            logger.debug("live muxer refused a packet", exc_info=True)
            self._stop()
            return
        for fragment in fragments:
            if fragment.keyframe:
                self._send()
            self._batch = fragment if self._batch is None else self._batch + fragment
            # A tenth early: arrival times jitter, and a batch of 0.2 s at 15 fps is four
            # frames, not sometimes four and sometimes five.
            if fragment.received - self._batch.received >= self._batch_seconds * 0.9:
                self._send()

    def _send(self) -> None:
        batch, self._batch = self._batch, None
        if batch is not None and self._muxer is not None:
            self._publish(batch, self._muxer.init or b"", self._muxer.codec)

    def _parameter_sets(self, packet: av.Packet) -> bytes | None:
        """A keyframe's in-band parameter sets (H.264 only: browsers play no other)."""
        if not packet.is_keyframe or self._stream is None \
                or self._stream.codec_context.name != "h264":
            return None
        return parameter_sets(bytes(packet))

    def jpeg(self, data: bytes, received: datetime) -> None:
        """JPEG sources have no packets to pass through: their viewers get snapshots."""

    def closed(self) -> None:
        self._stop()
        self._stream = None

    def _asked(self) -> bool:
        try:
            return bool(self._wanted())
        except Exception:  # noqa: BLE001 - an unreachable demand store means nobody asks
            return False

    def _stop(self) -> None:
        self._batch = None  # a part of a group of pictures: the next viewer starts anew
        if self._muxer is not None:
            self._muxer.close()
            self._muxer = None
