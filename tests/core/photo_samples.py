"""Files the photo normaliser (apps.core.photos) must refuse, shared by the tests of every
place a photo is uploaded: each entry point must refuse them the same way."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming a huge canvas, with one tiny IDAT: a few
    hundred bytes that would decode to gigabytes (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def gif_bytes() -> bytes:
    """A valid image in a format no phone camera needs (its parser is never tried)."""
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    return buffer.getvalue()


# (name, file content, the refusal's code)
REFUSED = [
    ("empty", b"", "invalid"),
    ("bomb", png_header_only(20_000, 20_000), "pixels"),
    ("gif", gif_bytes(), "invalid"),
]
