"""H.264 encoding with PyAV's libx264, and RTP packetisation per RFC 6184."""

from __future__ import annotations

import struct
from fractions import Fraction

import av
import cv2
import numpy as np

RTP_CLOCK = 90_000
PAYLOAD_TYPE = 96
MAX_PAYLOAD = 1400
_FU_A = 28


class H264Encoder:
    """Baseline profile, no B-frames, a keyframe every `keyint` frames, SPS/PPS before each one.

    Repeating the parameter sets in-band lets a client that joins mid-stream start decoding at
    the next keyframe without them in the SDP.
    """

    def __init__(
        self, width: int, height: int, fps: float, bitrate: int = 2_000_000, keyint: int = 0
    ) -> None:
        keyint = keyint or max(1, round(fps))
        self._context = av.CodecContext.create("libx264", "w")
        context = self._context
        context.width, context.height = width, height
        context.pix_fmt = "yuv420p"
        context.time_base = Fraction(1, RTP_CLOCK)
        context.framerate = Fraction(round(fps * 1000), 1000)
        context.bit_rate = bitrate
        context.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "profile": "baseline",
            "threads": "1",
            "x264-params": (
                f"keyint={keyint}:min-keyint={keyint}:scenecut=0:bframes=0:repeat-headers=1"
            ),
        }
        self._pts = 0
        self._step = round(RTP_CLOCK / fps)

    def encode(self, bgr: np.ndarray, *, keyframe: bool = False) -> list[bytes]:
        """NAL units (without start codes) of one access unit."""
        i420 = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
        frame = av.VideoFrame.from_ndarray(i420, format="yuv420p")
        frame.pts = self._pts
        self._pts += self._step
        if keyframe:
            frame.pict_type = av.video.frame.PictureType.I
        nals: list[bytes] = []
        for packet in self._context.encode(frame):
            nals.extend(split_nals(bytes(packet)))
        return nals


def split_nals(annexb: bytes) -> list[bytes]:
    """Split an Annex B byte stream at its 00 00 01 / 00 00 00 01 start codes."""
    nals: list[bytes] = []
    start = annexb.find(b"\x00\x00\x01")
    while start != -1:
        begin = start + 3
        end = annexb.find(b"\x00\x00\x01", begin)
        nal = annexb[begin:] if end == -1 else annexb[begin:end]
        nal = nal.rstrip(b"\x00") if end != -1 else nal
        if nal:
            nals.append(nal)
        start = end
    return nals


def is_keyframe(nals: list[bytes]) -> bool:
    return any(nal[0] & 0x1F == 5 for nal in nals)


def parameter_sets(nals: list[bytes]) -> tuple[bytes, bytes] | None:
    sps = next((n for n in nals if n[0] & 0x1F == 7), None)
    pps = next((n for n in nals if n[0] & 0x1F == 8), None)
    return (sps, pps) if sps and pps else None


class Packetizer:
    """Turns access units into RTP packets: single NAL units, FU-A fragments for large ones."""

    def __init__(self, ssrc: int, seq: int = 0, max_payload: int = MAX_PAYLOAD) -> None:
        self.ssrc = ssrc
        self.seq = seq & 0xFFFF
        self.max_payload = max_payload

    def packets(self, nals: list[bytes], timestamp: int) -> list[bytes]:
        payloads: list[bytes] = []
        for nal in nals:
            if len(nal) <= self.max_payload:
                payloads.append(nal)
                continue
            header = nal[0]
            indicator = (header & 0xE0) | _FU_A
            body = nal[1:]
            chunk = self.max_payload - 2
            for offset in range(0, len(body), chunk):
                start = offset == 0
                end = offset + chunk >= len(body)
                fu_header = (0x80 if start else 0) | (0x40 if end else 0) | (header & 0x1F)
                payloads.append(bytes((indicator, fu_header)) + body[offset : offset + chunk])
        out: list[bytes] = []
        for index, payload in enumerate(payloads):
            marker = 0x80 if index == len(payloads) - 1 else 0
            header = struct.pack(
                "!BBHII", 0x80, marker | PAYLOAD_TYPE, self.seq, timestamp & 0xFFFFFFFF, self.ssrc
            )
            self.seq = (self.seq + 1) & 0xFFFF
            out.append(header + payload)
        return out
