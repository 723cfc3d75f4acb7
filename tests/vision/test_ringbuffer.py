from __future__ import annotations

from apps.vision.ringbuffer import ClipCollector, FrameRing


def test_ring_is_bounded_by_age_and_bytes() -> None:
    ring = FrameRing(seconds=10.0, max_bytes=1000)
    for second in range(30):
        ring.push(float(second), b"x" * 50)
    assert [f.at for f in ring.since(0.0)] == [float(s) for s in range(19, 30)]
    assert ring.nbytes == 550
    for second in range(30, 40):
        ring.push(float(second), b"y" * 300)
    assert ring.nbytes <= 1000
    assert len(ring) == 3


def test_clip_keeps_frames_before_and_after_the_event() -> None:
    collector = ClipCollector(before=10.0, after=20.0)
    done = []
    for second in range(100):
        if second == 50:
            assert collector.start("motion-1", 50.0)
            assert not collector.start("motion-1", 50.0)
        done += collector.push(float(second), b"frame-%d" % second)
    assert len(done) == 1
    clip = done[0]
    times = [f.at for f in clip.frames]
    assert times[0] == 40.0
    assert times[-1] == 70.0
    assert times == sorted(set(times))


def test_open_clips_are_capped() -> None:
    collector = ClipCollector(max_open=2)
    assert collector.start("a", 0.0)
    assert collector.start("b", 0.0)
    assert not collector.start("c", 0.0)
