"""Snapshots: privacy masks are burned in before anything leaves the function."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from apps.vision.geometry import polygon, polygon_mask
from apps.vision.snapshot import render_snapshot, write_atomic
from apps.vision.videocapture import VideoPixels

MASK = polygon([(0.55, 0.1), (0.95, 0.1), (0.95, 0.6), (0.55, 0.6)])
TRIANGLE = polygon([(0.05, 0.95), (0.3, 0.5), (0.45, 0.95)])


def bright_frame(width: int = 1280, height: int = 720) -> np.ndarray:
    rng = np.random.default_rng(5)
    return rng.integers(150, 256, (height, width, 3), dtype=np.uint8)


def as_video(image: np.ndarray) -> VideoPixels:
    """The picture as a decoder hands it over: limited-range YUV 4:2:0."""
    return VideoPixels(av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p"))


def as_array(image: np.ndarray) -> np.ndarray:
    return image


PICTURES = pytest.mark.parametrize("picture", [as_array, as_video], ids=["bgr", "video"])


def decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


@PICTURES
def test_masked_pixels_are_black_in_the_jpeg(picture) -> None:
    frame = bright_frame()
    original = frame.copy()
    data = render_snapshot(picture(frame), [MASK, TRIANGLE])
    image = decode(data)
    assert data[:2] == b"\xff\xd8"
    assert image.shape == (360, 640, 3)
    # Inside the masks, away from the edges where JPEG blocks (16x16 with chroma subsampling)
    # mix both sides: black.
    inside = polygon_mask([MASK, TRIANGLE], 640, 360)
    core = cv2.erode(inside, np.ones((33, 33), np.uint8))
    assert core.any()
    assert int(image[core > 0].max()) <= 8
    # Outside: the bright picture is still there.
    outside = cv2.erode(cv2.bitwise_not(inside), np.ones((5, 5), np.uint8))
    assert image[outside > 0].mean() > 150
    # The caller's frame is untouched.
    assert np.array_equal(frame, original)


@PICTURES
def test_hidden_content_does_not_leak_into_the_scaled_image(picture) -> None:
    # A white square entirely under the mask must leave no trace after scaling and encoding.
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[100:400, 750:1150] = 255
    image = decode(render_snapshot(picture(frame), [MASK]))
    assert int(image.max()) <= 8


@PICTURES
def test_hidden_colour_does_not_leak_either(picture) -> None:
    # Saturated colour right up to the edge of the mask, on a black picture.
    mask = polygon([(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75)])
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[180:540, 320:960] = (0, 0, 255)
    assert int(decode(render_snapshot(picture(frame), [mask])).max()) <= 8


def test_video_snapshots_keep_the_colours_of_the_picture() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[:, :400] = (200, 40, 40)
    frame[:, 400:800] = (40, 200, 40)
    frame[:, 800:] = (40, 40, 200)
    from_video = decode(render_snapshot(as_video(frame))).astype(int)
    from_bgr = decode(render_snapshot(frame)).astype(int)
    assert np.abs(from_video - from_bgr).mean() < 4


@PICTURES
def test_scaling_and_quality(picture) -> None:
    frame = bright_frame(320, 180)
    assert decode(render_snapshot(picture(frame))).shape == (180, 320, 3)  # never enlarged
    big = picture(bright_frame())
    assert decode(render_snapshot(big, width=800)).shape == (450, 800, 3)
    assert decode(render_snapshot(picture(bright_frame(1282, 722)))).shape == (360, 640, 3)
    assert len(render_snapshot(big, quality=30)) < len(render_snapshot(big, quality=90))


def test_write_atomic_leaves_no_partial_file_when_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "snap.jpg"
    write_atomic(target, b"first")
    assert target.read_bytes() == b"first"

    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fd: int, mode: str) -> None:
            self._file = real_fdopen(fd, mode)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self._file.close()

        def write(self, data: bytes) -> int:
            self._file.write(data[:2])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", FullDisk)
    with pytest.raises(OSError) as info:
        write_atomic(target, b"second")
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap.jpg"]
