"""HTTP byte ranges (RFC 9110, section 14) of a file of known size: what a video element asks
for to seek. One range is answered as 206 partial content; a request for several is answered
with the whole file (the RFC allows it, and browsers ask for one); no Range header, or a unit
other than bytes, is the whole file too. Django-free."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


class RangeError(ValueError):
    """A Range header the file cannot answer; the message says why, for the person."""


class MalformedRange(RangeError):
    pass


class RangeNotSatisfiable(RangeError):
    pass


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in the header

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range of a file of `size` bytes that `header` asks for, or None for the whole
    file. Raises MalformedRange for a header that cannot be read and RangeNotSatisfiable for
    a range starting at or beyond the end of the file."""
    if not header:
        return None
    unit, _sep, ranges = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    parts = ranges.split(",")
    if len(parts) > 1:
        return None
    match = _RANGE.match(parts[0])
    if match is None or match.groups() == ("", ""):
        raise MalformedRange(f"Unreadable range {header[:60]!r}: expected bytes=START-END.")
    first, last = match.groups()
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(f"The file has {size} bytes: no last {suffix} to send.")
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    if last and int(last) < start:
        raise MalformedRange(f"Range {start}-{last} ends before it starts.")
    if start >= size:
        raise RangeNotSatisfiable(
            f"Range starts at byte {start}, beyond the end of the file ({size} bytes).")
    end = int(last) if last else size - 1
    return ByteRange(start, min(end, size - 1))
