"""Whole NAL units for FFmpeg instead of their fragments: fewer, larger RTP packets.

A camera splits every H.264 or H.265 NAL unit larger than its network's MTU into
fragmentation units (FU-A, RFC 6184; FU, RFC 7798) of about 1.4 KB, and FFmpeg's RTSP demuxer
reads each interleaved packet in three reads of its socket, each a poll and a recv: about
1,300 system calls a second for a 2.5 Mbit/s camera. The RTSP relay (apps.vision.rtsprelay)
holds the camera's bytes before FFmpeg reads them, so after PLAY it joins a NAL unit's
fragments back into one packet (an interleaved packet carries up to 64 KiB; a larger NAL
unit goes on in fragments of that size): about 140 system calls a second. FFmpeg's
depacketiser makes the same access units of either, so the packets demuxed, recorded and
decoded are the same bytes.

Only a regular run is joined: from its first fragment to its last, consecutive sequence
numbers, one timestamp and source, no padding, extension or contributing sources. Anything
else passes on as it came. Later packets of the channel are renumbered by the packets saved,
so a gap FFmpeg sees is a real one. RTSP messages between the packets pass on unread.

The loop below runs for every fragment of every camera, about 230 a second each: one pass
over the bytes as received, no object per fragment. Django-free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

H264, H265 = "H264", "H265"
_RTP = 4  # where the RTP packet starts in an interleaved frame ($, channel, 16-bit length)
_PAYLOAD = _RTP + 12
_MAX_PACKET = 0xFFFF
# What the joiner holds at most: a NAL unit's fragments (a 4K keyframe is a few MB), and an
# RTSP message between packets. Past these a camera is sending something else: its bytes
# then pass on unread, as they did before joining, and FFmpeg makes of them what it can.
_MAX_RUN = 16 * 1024 * 1024
_MAX_MESSAGE = 64 * 1024
_PLAIN_V2 = 0x80  # version 2; no padding, extension or contributing sources
_RTPMAP = re.compile(r"^a=rtpmap:(\d+)\s+(H264|H265)/", re.IGNORECASE | re.MULTILINE)
_FMTP = re.compile(r"^a=fmtp:(\d+)\s+(.*)$", re.IGNORECASE | re.MULTILINE)
_CONTENT_LENGTH = re.compile(rb"^content-length:\s*(\d+)", re.IGNORECASE | re.MULTILINE)
# H.264 FU-A type 28 in the low five bits of the indicator; H.265 FU type 49 in bits 1-6.
_FU_TYPE = {H264: (0x1F, 0, 28), H265: (0x3F, 1, 49)}


def joinable_payload_types(sdp: str) -> dict[int, str]:
    """The SDP's payload types of H.264 or H.265 whose fragments can be joined: not
    H.264's interleaved mode (FU-B), nor H.265 with decoding order numbers."""
    types = {int(number): codec.upper() for number, codec in _RTPMAP.findall(sdp)}
    for number, parameters in _FMTP.findall(sdp):
        kind = types.get(int(number))
        lowered = parameters.lower().replace(" ", "")
        if ((kind == H264 and "packetization-mode=2" in lowered)
                or (kind == H265 and re.search(r"sprop-max-don-diff=[1-9]", lowered))):
            del types[int(number)]
    return types


@dataclass
class _Run:
    """One NAL unit's fragments received so far, on one channel."""

    channel: int
    codec: str
    frames: list[bytes]  # as received, to pass on unjoined if the run breaks
    bodies: list[bytes]
    seq: int
    size: int


class RtpJoiner:
    """`feed` takes the camera's bytes after PLAY and returns what FFmpeg gets instead."""

    def __init__(self, payload_types: dict[int, str]) -> None:
        self._types = payload_types
        self._buffer = bytearray()
        self._removed: dict[int, int] = {}  # per channel: packets saved so far
        self._run: _Run | None = None
        self._unread = False  # given up: everything passes on as it comes

    def feed(self, data: bytes) -> bytes:
        if self._unread:
            return data
        buffer = self._buffer
        buffer += data
        out: list[bytes] = []
        at, size, types = 0, len(buffer), self._types
        while size - at >= 4:
            if buffer[at] != 0x24:  # an RTSP message (a keep-alive's answer): on as it is
                end = _message_end(buffer, at)
                if end is None or end - at > _MAX_MESSAGE:
                    if end is None and size - at <= _MAX_MESSAGE:
                        break
                    return self._give_up(out, at)
                self._break_run(out)
                out.append(bytes(buffer[at:end]))
                at = end
                continue
            # One run at a time: anything but its next fragment ends it (with video alone
            # set up, only an RTCP report may come between, seldom).
            end = at + 4 + (buffer[at + 2] << 8 | buffer[at + 3])
            if end > size:
                break
            codec = types.get(buffer[at + 5] & 0x7F) if end - at > _PAYLOAD + 2 else None
            frame = bytes(buffer[at:end])
            at = end
            if codec is None:  # RTCP (types 200-204), another medium, or too short
                self._break_run(out)
                out.append(self._renumbered(frame))
                continue
            mask, shift, fu_type = _FU_TYPE[codec]
            if (frame[_PAYLOAD] >> shift) & mask != fu_type or frame[_RTP] != _PLAIN_V2:
                self._break_run(out)
                out.append(self._renumbered(frame))
                continue
            fu = frame[_PAYLOAD + 1 + shift]
            body = frame[_PAYLOAD + 2 + shift:]
            seq = frame[6] << 8 | frame[7]
            run = self._run
            if run is not None and run.channel == frame[1]:
                first = run.frames[0]
                if (not fu & 0x80 and seq == (run.seq + 1) & 0xFFFF
                        and frame[8:16] == first[8:16]):  # timestamp and source
                    run.frames.append(frame)
                    run.bodies.append(body)
                    run.seq = seq
                    run.size += len(body)
                    if run.size > _MAX_RUN:
                        self._break_run(out)
                    elif fu & 0x40:
                        self._run = None
                        out += self._joined(run)
                    continue
            self._break_run(out)
            if fu & 0x80 and not fu & 0x40:
                self._run = _Run(frame[1], codec, [frame], [body], seq, len(body))
            else:
                out.append(self._renumbered(frame))
        del buffer[:at]
        return b"".join(out)

    def _give_up(self, out: list[bytes], at: int) -> bytes:
        self._break_run(out)
        out.append(bytes(self._buffer[at:]))
        self._buffer.clear()
        self._unread = True
        return b"".join(out)

    def _break_run(self, out: list[bytes]) -> None:
        """An irregular run: its fragments pass on as they came."""
        run, self._run = self._run, None
        if run is not None:
            out += [self._renumbered(frame) for frame in run.frames]

    def _renumbered(self, frame: bytes) -> bytes:
        removed = self._removed.get(frame[1], 0)
        if not removed or len(frame) <= _PAYLOAD or (frame[5] & 0x7F) not in self._types:
            return frame
        renumbered = bytearray(frame)
        renumbered[6:8] = (((frame[6] << 8 | frame[7]) - removed) & 0xFFFF).to_bytes(2, "big")
        return bytes(renumbered)

    def _joined(self, run: _Run) -> list[bytes]:
        first, last = run.frames[0], run.frames[-1]
        nal_header = _nal_header(first, run.codec)
        body = b"".join(run.bodies)
        if len(nal_header) + len(body) + _PAYLOAD - _RTP <= _MAX_PACKET:
            payloads = [nal_header + body]
        else:
            payloads = _refragment(nal_header, body, run.codec)
        removed = self._removed.get(run.channel, 0)
        seq = (first[6] << 8 | first[7]) - removed
        self._removed[run.channel] = (removed + len(run.frames) - len(payloads)) & 0xFFFF
        frames = []
        for index, payload in enumerate(payloads):
            header = bytearray(first[_RTP:_PAYLOAD])
            # The marker (the access unit's end) is the last fragment's, on the last packet.
            header[1] = (header[1] & 0x7F) | (last[5] & 0x80 if index == len(payloads) - 1 else 0)
            header[2:4] = ((seq + index) & 0xFFFF).to_bytes(2, "big")
            frames.append(b"".join((first[:2], (len(header) + len(payload)).to_bytes(2, "big"),
                                    header, payload)))
        return frames


def _message_end(buffer: bytearray, at: int) -> int | None:
    head_end = buffer.find(b"\r\n\r\n", at)
    if head_end == -1:
        return None
    length = _CONTENT_LENGTH.search(buffer, at, head_end)
    end = head_end + 4 + (int(length.group(1)) if length else 0)
    return end if end <= len(buffer) else None


def _nal_header(first: bytes, codec: str) -> bytes:
    """The header of the NAL unit whose first fragment is `first`."""
    if codec == H264:
        return bytes(((first[_PAYLOAD] & 0xE0) | (first[_PAYLOAD + 1] & 0x1F),))
    kind = first[_PAYLOAD + 2] & 0x3F
    return bytes(((first[_PAYLOAD] & 0x81) | kind << 1, first[_PAYLOAD + 1]))


def _refragment(nal_header: bytes, body: bytes, codec: str) -> list[bytes]:
    """A NAL unit too large for one interleaved packet, in fragments as large as fit."""
    if codec == H264:
        kind = nal_header[0] & 0x1F
        indicator = bytes(((nal_header[0] & 0xE0) | 28,))
    else:
        kind = (nal_header[0] >> 1) & 0x3F
        indicator = bytes(((nal_header[0] & 0x81) | 49 << 1, nal_header[1]))
    chunk = _MAX_PACKET - (_PAYLOAD - _RTP) - len(indicator) - 1
    count = -(-len(body) // chunk)
    return [indicator + bytes(((0x80 if i == 0 else 0) | (0x40 if i == count - 1 else 0)
                               | kind,)) + body[i * chunk:(i + 1) * chunk]
            for i in range(count)]
