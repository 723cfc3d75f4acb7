from __future__ import annotations

import pytest

from apps.camsim.auth import Credentials
from apps.vision.httpauth import AuthError, Authorizer, parse_challenge, pick_challenge


@pytest.mark.parametrize("qop", [True, False])
def test_digest_roundtrip_with_the_simulator(qop: bool) -> None:
    server = Credentials("operator", 'p"a:s@s', "digest")
    authorizer = Authorizer(parse_challenge(server.challenge(qop=qop)), "operator", 'p"a:s@s')
    assert server.check(authorizer.header("GET", "/mjpeg/cam"), "GET", "/mjpeg/cam")
    assert not server.check(authorizer.header("GET", "/mjpeg/cam"), "POST", "/mjpeg/cam")
    # Computed for another URI (a relay's address, say): refused as strict cameras refuse it.
    assert not server.check(authorizer.header("GET", "/mjpeg/cam"), "GET", "/mjpeg/other")
    wrong = Authorizer(parse_challenge(server.challenge(qop=qop)), "operator", "guess")
    assert not server.check(wrong.header("GET", "/mjpeg/cam"), "GET", "/mjpeg/cam")


def test_basic_roundtrip() -> None:
    server = Credentials("operator", "pw", "basic")
    authorizer = Authorizer(parse_challenge(server.challenge(qop=False)), "operator", "pw")
    assert server.check(authorizer.header("GET", "/"), "GET", "/")
    assert not server.check("Basic !!!", "GET", "/")


def test_digest_is_preferred_and_unknown_schemes_refused() -> None:
    chosen = pick_challenge(['Basic realm="x"', 'Digest realm="x", nonce="n"'])
    assert chosen.scheme == "digest"
    with pytest.raises(AuthError):
        pick_challenge(['Negotiate abc', 'Digest realm="x", nonce="n", algorithm=MD5-sess'])


def test_authorizer_repr_hides_the_password() -> None:
    authorizer = Authorizer(parse_challenge('Basic realm="x"'), "operator", "hunter2")
    assert "hunter2" not in repr(authorizer)
