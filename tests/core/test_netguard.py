"""The network-address guard (apps.core.netguard) on camera URLs (security plan T-IN-1 to 6)."""

from __future__ import annotations

import ipaddress
import subprocess  # nosec B404: runs this interpreter on a fixed script
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.core.netguard import CheckedUrl, UrlPolicy, UrlRejected, check_url

CAMERA_NETWORKS = UrlPolicy.from_strings(["10.20.0.0/16", "192.168.50.0/24", "fd00:cafe::/64"])


def fake_dns(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("unknown host")
        return table[host]

    return resolve


DNS = fake_dns(
    {
        "cam1.posko.example": ["10.20.1.5"],
        "rebind.example": ["10.20.1.6", "127.0.0.1"],
        "metadata.example": ["169.254.169.254"],
        "v6cam.example": ["fd00:cafe::10"],
    }
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("rtsp://10.20.1.5/stream1", "rtsp://10.20.1.5:554/stream1"),
        ("rtsp://10.20.1.5:8554/Streaming/Channels/101", None),
        ("RTSP://10.20.1.5/x", "rtsp://10.20.1.5:554/x"),
        ("rtsps://10.20.1.5/x", "rtsps://10.20.1.5:322/x"),
        ("http://192.168.50.7/mjpeg?res=half", "http://192.168.50.7:80/mjpeg?res=half"),
        ("https://192.168.50.7:8443/snap.jpg", None),
        ("rtsp://cam1.posko.example/live", "rtsp://cam1.posko.example:554/live"),
        ("rtsp://[fd00:cafe::10]:554/live", None),
        ("rtsp://v6cam.example/live", None),
        ("rtsp://10.20.1.5", "rtsp://10.20.1.5:554/"),
        ("rtsp://10.20.1.5/path@with-at", None),
        ("rtsp://10.20.1.5/a%2Db", None),
    ],
)
def test_accepts(url: str, expected: str | None) -> None:
    checked = check_url(url, CAMERA_NETWORKS, resolver=DNS)
    assert isinstance(checked, CheckedUrl)
    if expected is not None:
        assert checked.url == expected


@pytest.mark.parametrize(
    "url",
    [
        # Schemes (T-IN-1)
        "file:///etc/passwd",
        "concat:rtsp://10.20.1.5/a|rtsp://10.20.1.5/b",
        "subfile:,start,0,end,0,:rtsp://10.20.1.5/",
        "pipe:0",
        "tcp://10.20.1.5:554",
        "udp://10.20.1.5:554",
        "data:text/plain,hello",
        "async:rtsp://10.20.1.5/",
        "ftp://10.20.1.5/x",
        "gopher://10.20.1.5/",
        "//10.20.1.5/x",
        "10.20.1.5/x",
        "rtsp:/10.20.1.5/x",
        "rtsp:10.20.1.5/x",
        "",
        # Hosts outside the camera networks (T-IN-2)
        "rtsp://127.0.0.1/x",
        "rtsp://localhost/x",
        "rtsp://[::1]/x",
        "rtsp://0.0.0.0/x",
        "rtsp://169.254.169.254/latest",
        "rtsp://8.8.8.8/x",
        "rtsp://10.21.0.1/x",
        "rtsp://metadata.example/x",
        "rtsp://rebind.example/x",
        "rtsp://nowhere.example/x",
        # IPv4 obfuscations (T-IN-2)
        "rtsp://0x7f.1/x",
        "rtsp://2130706433/x",
        "rtsp://127.1/x",
        "rtsp://0177.0.0.1/x",
        "rtsp://010.020.001.005/x",
        "rtsp://0x0a.20.1.5/x",
        "rtsp://10.20.1.5./x",
        "rtsp://167105797/x",
        "rtsp://10.20.261/x",
        # IPv6 forms of IPv4 hosts
        "rtsp://[::ffff:127.0.0.1]/x",
        "rtsp://[::ffff:10.20.1.5]/x",
        "rtsp://[::127.0.0.1]/x",
        "rtsp://[::ffff:7f00:1]/x",
        "rtsp://[fe80::1%25eth0]/x",
        "rtsp://[fd00:cafe::10/x",
        "rtsp://fd00:cafe::10/x",
        # IDN / punycode
        "rtsp://xn--80ak6aa92e.com/x",
        "rtsp://cam\u0435ra.example/x",
        # Ports (T-IN-3)
        "rtsp://10.20.1.5:0/x",
        "rtsp://10.20.1.5:65536/x",
        "rtsp://10.20.1.5:99999/x",
        "rtsp://10.20.1.5:-1/x",
        "rtsp://10.20.1.5:abc/x",
        "rtsp://10.20.1.5:/x",
        "rtsp://10.20.1.5:+554/x",
        "rtsp://10.20.1.5:554:554/x",
        # Control characters, whitespace, smuggling (T-IN-4)
        "rtsp://10.20.1.5/x\r\nCSeq: 9",
        "rtsp://10.20.1.5/x%0d%0aCSeq:%209",
        "rtsp://10.20.1.5/x y",
        "rtsp://10.20.1.5/x\x00",
        "rtsp://10.20.1.5/x\x0b",
        "rtsp://10.20.1.5/x%00",
        "rtsp://10.20.1.5/a%20b",
        "rtsp://10.20.1.5/x\t",
        " rtsp://10.20.1.5/x",
        "rtsp://10.20.1.5\\@127.0.0.1/x",
        # Userinfo (T-IN-5)
        "rtsp://admin:12345@10.20.1.5/x",
        "rtsp://admin@10.20.1.5/x",
        "rtsp://@10.20.1.5/x",
        "rtsp://10.20.1.5@127.0.0.1/x",
        "rtsp://10.20.1.5:554@127.0.0.1/x",
        # Fragments and length
        "rtsp://10.20.1.5/x#frag",
        "rtsp://10.20.1.5/" + "a" * 256,
        "rtsp://10.20.1.5/?" + "a" * 2100,
    ],
)
def test_rejects(url: str) -> None:
    with pytest.raises(UrlRejected) as info:
        check_url(url, CAMERA_NETWORKS, resolver=DNS)
    assert info.value.reason
    # The reason is a fixed phrase: it never echoes the URL (which may carry secrets).
    assert "12345" not in info.value.reason


def test_denied_ports_inside_an_allowed_network() -> None:
    policy = UrlPolicy.from_strings(["10.20.0.0/16"], denied_ports=frozenset({6379, 5432}))
    with pytest.raises(UrlRejected):
        check_url("rtsp://10.20.1.5:6379/", policy)
    assert check_url("rtsp://10.20.1.5:554/", policy).port == 554


def test_file_urls_only_when_allowed() -> None:
    policy = UrlPolicy((), allow_file=True)
    assert check_url("file:///tmp/clip.mp4", policy).path == "/tmp/clip.mp4"
    with pytest.raises(UrlRejected):
        check_url("file:///tmp/clip.mp4", CAMERA_NETWORKS)
    with pytest.raises(UrlRejected):
        check_url("file://host/tmp/clip.mp4", policy)


def test_scheme_allowlist_is_the_callers() -> None:
    rtsp_only = UrlPolicy(CAMERA_NETWORKS.allowed_networks, schemes=frozenset({"rtsp", "rtsps"}))
    with pytest.raises(UrlRejected):
        check_url("http://10.20.1.5/", rtsp_only)
    assert check_url("rtsps://10.20.1.5/", rtsp_only).scheme == "rtsps"


def test_hostnames_can_be_refused_outright() -> None:
    policy = UrlPolicy(CAMERA_NETWORKS.allowed_networks, resolve_hostnames=False)
    with pytest.raises(UrlRejected):
        check_url("rtsp://cam1.posko.example/", policy, resolver=DNS)


def test_pinned_url_uses_the_checked_address() -> None:
    checked = check_url("rtsp://cam1.posko.example:8554/live?x=1", CAMERA_NETWORKS, resolver=DNS)
    assert checked.addresses == (ipaddress.ip_address("10.20.1.5"),)
    assert checked.pinned_url() == "rtsp://10.20.1.5:8554/live?x=1"
    v6 = check_url("rtsp://v6cam.example/live", CAMERA_NETWORKS, resolver=DNS)
    assert v6.pinned_url() == "rtsp://[fd00:cafe::10]:554/live"


def test_every_resolved_address_must_be_allowed() -> None:
    # A name that resolves both inside and outside the camera network is refused, so a
    # rebinding DNS server cannot pick the outside one at connect time.
    with pytest.raises(UrlRejected, match="allowed camera network"):
        check_url("rtsp://rebind.example/", CAMERA_NETWORKS, resolver=DNS)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_is_accepted_only_inside_the_networks(text: str) -> None:
    for url in (text, "rtsp://" + text):
        try:
            checked = check_url(url, CAMERA_NETWORKS, resolver=DNS)
        except UrlRejected:
            continue
        assert all(
            any(address in network for network in CAMERA_NETWORKS.allowed_networks)
            for address in checked.addresses
        )
        assert checked.scheme in {"rtsp", "rtsps", "http", "https"}


def test_the_guard_keeps_the_vision_package_free_of_django():
    """apps.vision imports the guard from the kernel: importing all of vision (in a fresh
    interpreter, as a capture worker does) must not pull in Django."""
    script = ("import importlib, pkgutil, sys, apps.vision\n"
              "for m in pkgutil.walk_packages(apps.vision.__path__, 'apps.vision.'):\n"
              "    importlib.import_module(m.name)\n"
              "print(sorted(k for k in sys.modules if k.split('.')[0] == 'django'))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=60)  # nosec B603
    assert result.stdout.strip() == "[]"
