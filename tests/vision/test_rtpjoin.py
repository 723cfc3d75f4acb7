"""The relay joins fragmented NAL units (apps.vision.rtpjoin): FFmpeg gets fewer packets and
makes the same access units of them, and anything irregular passes on as it came."""

from __future__ import annotations

import hashlib
import os
import random
import struct
import threading

import av

from apps.camsim.h264 import Packetizer
from apps.core.netguard import UrlPolicy, check_url
from apps.vision.rtpjoin import H264, H265, RtpJoiner, joinable_payload_types
from apps.vision.rtsprelay import RtspRelay
from apps.vision.source import SourceKind
from apps.vision.videocapture import ffmpeg_options

SDP = """v=0\r
m=video 0 RTP/AVP 96\r
a=rtpmap:96 H264/90000\r
a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r
m=audio 0 RTP/AVP 97\r
a=rtpmap:97 MPEG4-GENERIC/16000\r
"""


def _interleaved(packets: list[bytes], channel: int = 0) -> list[bytes]:
    return [b"$" + bytes((channel,)) + len(p).to_bytes(2, "big") + p for p in packets]


def _frames(stream: bytes) -> list[bytes]:
    """The RTP packets of an interleaved stream."""
    packets, at = [], 0
    while at < len(stream):
        assert stream[at] == 0x24
        end = at + 4 + int.from_bytes(stream[at + 2:at + 4], "big")
        packets.append(stream[at + 4:end])
        at = end
    return packets


def _units(packets: list[bytes], codec: str = H264) -> list[tuple[int, bytes]]:
    """(timestamp, NAL unit) in order, depacketised as RFC 6184 / RFC 7798 say."""
    units: list[tuple[int, bytes]] = []
    open_unit: bytearray | None = None
    for packet in packets:
        timestamp = struct.unpack("!I", packet[4:8])[0]
        payload = packet[12:]
        if codec == H264:
            kind, fu_at = payload[0] & 0x1F, 1
            header = bytes(((payload[0] & 0xE0) | (payload[1] & 0x1F),))
        else:
            kind, fu_at = (payload[0] >> 1) & 0x3F, 2
            header = bytes(((payload[0] & 0x81) | (payload[2] & 0x3F) << 1, payload[1]))
        if kind != (28 if codec == H264 else 49):
            units.append((timestamp, payload))
            continue
        fu = payload[fu_at]
        if fu & 0x80:
            open_unit = bytearray(header)
        assert open_unit is not None
        open_unit += payload[fu_at + 1:]
        if fu & 0x40:
            units.append((timestamp, bytes(open_unit)))
            open_unit = None
    return units


def _feed_in_pieces(joiner: RtpJoiner, stream: bytes, seed: int = 7) -> bytes:
    rng, out, at = random.Random(seed), [], 0
    while at < len(stream):
        size = rng.choice((1, 3, 500, 1404, 20_000, 70_000))
        out.append(joiner.feed(stream[at:at + size]))
        at += size
    return b"".join(out)


def _h264_stream() -> tuple[list[bytes], bytes]:
    """Two access units: SPS, PPS and a 150 KB IDR slice (more than an interleaved packet
    holds), then a 3 KB predicted slice and a small one."""
    packetizer = Packetizer(ssrc=0x1234, seq=65_530)
    packets = packetizer.packets([b"\x67" + os.urandom(12), b"\x68" + os.urandom(4),
                                  b"\x65" + os.urandom(150_000)], 0)
    packets += packetizer.packets([b"\x41" + os.urandom(3_000), b"\x41" + os.urandom(200)],
                                  6_000)
    return packets, b"".join(_interleaved(packets))


def test_sdp_names_the_payload_types_whose_fragments_can_be_joined() -> None:
    assert joinable_payload_types(SDP) == {96: H264}
    assert joinable_payload_types("m=video 0 RTP/AVP 98\r\na=rtpmap:98 H265/90000\r\n") == {
        98: H265}
    interleaved_mode = SDP.replace("packetization-mode=1", "packetization-mode=2")
    assert joinable_payload_types(interleaved_mode) == {}
    with_don = ("a=rtpmap:98 H265/90000\r\na=fmtp:98 sprop-max-don-diff=2\r\n")
    assert joinable_payload_types(with_don) == {}
    assert joinable_payload_types("a=rtpmap:26 JPEG/90000\r\n") == {}


def test_fragments_are_joined_into_the_same_nal_units_with_fewer_packets() -> None:
    packets, stream = _h264_stream()
    joined = _frames(_feed_in_pieces(RtpJoiner({96: H264}), stream))

    assert _units(joined) == _units(packets)
    assert len(packets) > 110 and len(joined) == 2 + 3 + 2  # the IDR slice in 3 of 64 KiB
    assert all(len(p) <= 0xFFFF for p in joined)
    seqs = [struct.unpack("!H", p[2:4])[0] for p in joined]
    assert seqs == [(65_530 + i) & 0xFFFF for i in range(len(joined))]  # no gap, wrapping
    markers = [bool(p[1] & 0x80) for p in joined]
    assert markers == [False, False, False, False, True, False, True]


def test_an_irregular_run_passes_on_as_it_came_and_later_packets_are_renumbered() -> None:
    packetizer = Packetizer(ssrc=1, seq=100)
    first = packetizer.packets([b"\x65" + os.urandom(5_000)], 0)  # 4 fragments: joined
    lost = packetizer.packets([b"\x41" + os.urandom(5_000)], 6_000)
    del lost[1]  # a fragment missing: FFmpeg must see the run as the camera sent it
    after = packetizer.packets([b"\x41" + os.urandom(100)], 12_000)
    rtcp = b"\x80\xc8\x00\x06" + os.urandom(24)
    stream = b"".join(_interleaved(first) + _interleaved(lost) + _interleaved([rtcp], 1)
                      + _interleaved(after))

    out = _feed_in_pieces(RtpJoiner({96: H264}), stream, seed=3)
    joined = _frames(out)

    assert joined[0][12:] == b"\x65" + _units(first)[0][1][1:]
    # The broken run's fragments as sent, three packets fewer before them in the numbering.
    assert [p[12:] for p in joined[1:4]] == [p[12:] for p in lost]
    assert [struct.unpack("!H", p[2:4])[0] for p in joined[1:4]] == [101, 103, 104]
    assert joined[4] == rtcp  # RTCP on its own channel, untouched, in its place
    assert joined[5][12:] == after[0][12:] and struct.unpack("!H", joined[5][2:4])[0] == 105


def test_rtsp_messages_between_packets_pass_on_unread() -> None:
    packets, stream = _h264_stream()
    answer = b"RTSP/1.0 200 OK\r\nCSeq: 7\r\nContent-Length: 4\r\n\r\nabcd"
    middle = len(b"".join(_interleaved(packets[:40])))
    out = _feed_in_pieces(RtpJoiner({96: H264}), stream[:middle] + answer + stream[middle:])

    assert out.count(answer) == 1
    assert _units(_frames(out.replace(answer, b""))) == _units(packets)


def test_h265_fragments_are_joined() -> None:
    nal = bytes((0x26, 0x01)) + os.urandom(4_000)  # an IDR_W_RADL NAL unit, layer 0, tid 1
    body, header = nal[2:], nal[:2]
    payload_header = bytes(((header[0] & 0x81) | 49 << 1, header[1]))
    chunks = [body[i:i + 1_000] for i in range(0, len(body), 1_000)]
    packets = []
    for index, chunk in enumerate(chunks):
        fu = (0x80 if index == 0 else 0) | (0x40 if index == len(chunks) - 1 else 0) | 19
        marker = 0x80 if index == len(chunks) - 1 else 0
        packets.append(struct.pack("!BBHII", 0x80, marker | 98, 10 + index, 0, 5)
                       + payload_header + bytes((fu,)) + chunk)

    joined = _frames(RtpJoiner({98: H265}).feed(b"".join(_interleaved(packets))))

    assert len(joined) == 1 and joined[0][12:] == nal
    assert _units(joined, H265) == _units(packets, H265)


def _read_packet_digests(url: str, into: list[str], enough, limit: int = 600) -> None:
    """Appends each video packet's digest to `into` until `enough()` says so (or `limit`)."""
    with av.open(url, options=ffmpeg_options(SourceKind.RTSP, 5.0)) as container:
        for packet in container.demux(container.streams.video[0]):
            if packet.size:
                into.append(hashlib.sha256(bytes(packet)).hexdigest())
            if enough() or len(into) >= limit:
                return


def _aligned(direct: list[str], joined: list[str]) -> tuple[list[str], list[str]]:
    """Both lists from the first packet both saw: the connections start some frames apart."""
    seen = set(joined)
    first = next((digest for digest in direct if digest in seen), None)
    if first is None:
        return [], []
    return direct[direct.index(first):], joined[joined.index(first):]


def test_ffmpeg_demuxes_the_same_packets_through_the_joining_relay(
    simulator, loopback_policy: UrlPolicy
) -> None:
    url = simulator.urls("cam-b")["rtsp"]
    relay = RtspRelay(check_url(url, loopback_policy), loopback_policy)
    direct: list[str] = []
    joined: list[str] = []

    def enough() -> bool:
        # How far apart the two connections start depends on the machine's load, so each
        # reads on until both have seen 40 packets from the first one they share.
        return min(map(len, _aligned(list(direct), list(joined)))) >= 40

    readers = [threading.Thread(target=_read_packet_digests, args=(url, direct, enough)),
               threading.Thread(target=_read_packet_digests, args=(relay.url, joined, enough))]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(timeout=60)
    relay.close()

    assert relay._joiner is not None
    direct_from, joined_from = _aligned(direct, joined)
    both = min(len(direct_from), len(joined_from))
    assert both >= 40
    assert joined_from[:both] == direct_from[:both]


def test_a_run_past_the_joiners_bound_passes_on_as_it_came(monkeypatch) -> None:
    monkeypatch.setattr("apps.vision.rtpjoin._MAX_RUN", 5_000)
    packets = Packetizer(ssrc=1, seq=0).packets([b"\x65" + os.urandom(20_000)], 0)
    stream = b"".join(_interleaved(packets))

    assert _frames(_feed_in_pieces(RtpJoiner({96: H264}), stream)) == packets


def test_bytes_that_are_neither_packets_nor_messages_pass_on_unread_from_then_on() -> None:
    packets, stream = _h264_stream()
    cut = len(b"".join(_interleaved(packets[:-2])))  # before the last access unit
    garbage = b"\x00" * 70_000  # no '$', and no end of an RTSP header within 64 KiB
    joiner = RtpJoiner({96: H264})
    out = joiner.feed(stream[:cut]) + joiner.feed(garbage) + joiner.feed(stream[cut:])

    assert out.endswith(garbage + stream[cut:])
    assert len(out) < len(stream) + len(garbage)  # joined before
