"""Joining segments by remux (no Django): the span as closely as stream copy allows, gaps
kept, a change of stream parameters starting a new file; opened with PyAV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest

from apps.recordings.remux import Part, RemuxError, join_segments
from apps.vision.jpegrecording import KEYFRAME_SECONDS
from tests.recordings.footage import write_segments

T0 = datetime(2026, 12, 7, 2, 13, tzinfo=UTC)


def parts(segments) -> list[Part]:
    return [Part(open=lambda s=s: s.path.open("rb"), start=s.start) for s in segments]


def probe(path: Path) -> tuple[float, bool, int, bool]:
    """(duration in s, starts at a keyframe, frames decoded, has audio)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        duration = float((max(p.pts + (p.duration or 0) for p in packets)
                          - min(p.pts for p in packets)) * stream.time_base)
        audio = bool(container.streams.audio)
    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    return duration, packets[0].is_keyframe, frames, audio


def test_the_span_is_cut_from_several_segments_within_a_keyframe(tmp_path: Path) -> None:
    segments = write_segments(tmp_path / "rec", T0, 40, max_seconds=10)
    assert len(segments) >= 4
    start, end = T0 + timedelta(seconds=7.3), T0 + timedelta(seconds=31.1)
    [joined] = join_segments(parts(segments), tmp_path / "out.mp4", start, end)
    duration, keyframe_first, frames, audio = probe(joined.path)
    asked = (end - start).total_seconds()
    assert keyframe_first and not audio and frames > 0
    assert asked - 0.5 <= duration <= asked + KEYFRAME_SECONDS + 0.5
    assert start - timedelta(seconds=KEYFRAME_SECONDS + 0.3) <= joined.start <= start
    assert abs((joined.end - end).total_seconds()) <= 0.5


def test_a_gap_in_the_recording_stays_a_gap(tmp_path: Path) -> None:
    first = write_segments(tmp_path / "a", T0, 10, max_seconds=10)
    later = write_segments(tmp_path / "b", T0 + timedelta(seconds=30), 10, max_seconds=10)
    [joined] = join_segments(parts(first + later), tmp_path / "out.mp4", T0,
                             T0 + timedelta(seconds=60))
    duration, *_ = probe(joined.path)
    assert 39 <= duration <= 41  # 10 s, 20 s of nothing, 10 s


def test_nothing_in_the_span_is_an_error_and_leaves_no_file(tmp_path: Path) -> None:
    segments = write_segments(tmp_path / "rec", T0, 10, max_seconds=10)
    with pytest.raises(RemuxError):
        join_segments(parts(segments), tmp_path / "out.mp4", T0 + timedelta(hours=1),
                      T0 + timedelta(hours=2))
    assert not (tmp_path / "out.mp4").exists()


def test_a_span_starting_in_a_gap_starts_with_the_next_recorded_picture(tmp_path: Path) -> None:
    first = write_segments(tmp_path / "a", T0, 10, max_seconds=10)
    later = write_segments(tmp_path / "b", T0 + timedelta(seconds=30), 10, max_seconds=10)
    [joined] = join_segments(parts(first + later), tmp_path / "out.mp4",
                             T0 + timedelta(seconds=20), T0 + timedelta(seconds=35))
    assert joined.start == T0 + timedelta(seconds=30)
    duration, keyframe_first, _frames, _audio = probe(joined.path)
    assert keyframe_first and 4.5 <= duration <= 5.5
