"""The camera simulator's own behaviour: control endpoint, HTTP answers, RTSP, RTP packets."""

from __future__ import annotations

import http.client
import json
import socket
import struct

import cv2
import numpy as np
import pytest

from apps.camsim import Simulator
from apps.camsim.h264 import H264Encoder, Packetizer, is_keyframe, split_nals


def request(sim: Simulator, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", sim.http_port, timeout=5)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def rtsp(sock: socket.socket, lines: list[str]) -> tuple[str, dict[str, str], bytes]:
    """Send one request; the status, headers, and the body together with whatever the server
    sent right behind it in the same reads (after PLAY: the first interleaved packets)."""
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "connection closed"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *header_lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        body += sock.recv(4096)
    return status, headers, body


def test_snapshot_is_a_jpeg_with_a_timestamp_overlay(simulator: Simulator) -> None:
    status, headers, body = request(simulator, "GET", "/snapshot/cam-a.jpg")
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (180, 320, 3)


def test_control_endpoint_changes_the_scene(simulator: Simulator) -> None:
    status, _, body = request(simulator, "POST", "/control/cam-a/cover")
    try:
        assert status == 200 and json.loads(body)["scene"]["covered"] is True
        _, _, jpeg = request(simulator, "GET", "/snapshot/cam-a.jpg")
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
        # Near-black apart from the burned-in timestamp and name.
        assert np.median(image) < 15 and image.max() > 200
    finally:
        request(simulator, "POST", "/control/cam-a/normal")
    assert request(simulator, "POST", "/control/cam-a/explode")[0] == 400
    assert request(simulator, "POST", "/control/nope/cover")[0] == 404
    assert request(simulator, "GET", "/snapshot/nope.jpg")[0] == 404


def test_refuse_answers_503_and_restore_recovers(simulator: Simulator) -> None:
    simulator.control("cam-a", "refuse")
    try:
        assert request(simulator, "GET", "/snapshot/cam-a.jpg")[0] == 503
    finally:
        simulator.control("cam-a", "restore")
    assert request(simulator, "GET", "/snapshot/cam-a.jpg")[0] == 200


def test_protected_camera_challenges_with_digest(simulator: Simulator) -> None:
    status, headers, _ = request(simulator, "GET", "/snapshot/cam-auth.jpg")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Digest ")


def test_rtsp_describe_setup_play(simulator: Simulator) -> None:
    url = simulator.urls("cam-a")["rtsp"]
    with socket.create_connection(("127.0.0.1", simulator.rtsp_port), timeout=5) as sock:
        status, headers, _ = rtsp(sock, [f"OPTIONS {url} RTSP/1.0", "CSeq: 1"])
        assert status == "RTSP/1.0 200 OK" and "DESCRIBE" in headers["public"]
        status, headers, sdp = rtsp(sock, [f"DESCRIBE {url} RTSP/1.0", "CSeq: 2"])
        assert headers["cseq"] == "2" and headers["content-type"] == "application/sdp"
        assert b"packetization-mode=1" in sdp and b"H264/90000" in sdp
        status, _, _ = rtsp(sock, [f"SETUP {url}/trackID=0 RTSP/1.0", "CSeq: 3",
                                   "Transport: RTP/AVP;unicast;client_port=5000-5001"])
        assert status.startswith("RTSP/1.0 461")
        status, headers, _ = rtsp(sock, [f"SETUP {url}/trackID=0 RTSP/1.0", "CSeq: 4",
                                         "Transport: RTP/AVP/TCP;unicast;interleaved=0-1"])
        assert "interleaved=0-1" in headers["transport"]
        session = headers["session"].split(";")[0]
        status, _, header = rtsp(sock, [f"PLAY {url} RTSP/1.0", "CSeq: 5",
                                        f"Session: {session}"])
        assert status == "RTSP/1.0 200 OK"
        while len(header) < 16:
            header += sock.recv(16 - len(header))
        magic, channel, length = struct.unpack("!cBH", header[:4])
        assert magic == b"$" and channel == 0 and 12 < length <= 1500
        version, payload_type = header[4] >> 6, header[5] & 0x7F
        assert version == 2 and payload_type == 96


def test_packetizer_fragments_large_nal_units_and_marks_the_last() -> None:
    encoder = H264Encoder(320, 180, 15, bitrate=2_000_000)
    rng = np.random.default_rng(1)
    nals = encoder.encode(rng.integers(0, 255, (180, 320, 3), dtype=np.uint8))
    assert is_keyframe(nals)
    assert [n[0] & 0x1F for n in nals][:2] == [7, 8]  # SPS and PPS in-band
    packets = Packetizer(ssrc=1234, seq=65534, max_payload=1000).packets(nals, 90_000)
    assert [p[1] & 0x80 for p in packets].count(0x80) == 1 and packets[-1][1] & 0x80
    seqs = [struct.unpack("!H", p[2:4])[0] for p in packets]
    assert seqs[:3] == [65534, 65535, 0]
    assert all(len(p) <= 1012 for p in packets)
    # Reassemble the FU-A fragments: the NAL units come back unchanged.
    rebuilt: list[bytes] = []
    for packet in packets:
        payload = packet[12:]
        if payload[0] & 0x1F == 28:
            if payload[1] & 0x80:
                rebuilt.append(bytes([(payload[0] & 0xE0) | (payload[1] & 0x1F)]))
            rebuilt[-1] += payload[2:]
        else:
            rebuilt.append(payload)
    assert rebuilt == nals


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"\x00\x00\x00\x01\x67\x42\x00\x00\x01\x68\xce", [b"\x67\x42", b"\x68\xce"]),
        (b"\x00\x00\x01\x65\x88\x00\x00\x00\x01\x41\x9a", [b"\x65\x88", b"\x41\x9a"]),
        (b"junk", []),
    ],
)
def test_split_nals(stream: bytes, expected: list[bytes]) -> None:
    assert split_nals(stream) == expected
