"""The analysis picture made from a decoder's luma plane."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from apps.vision.frames import (
    chroma_to_full_range,
    luma_to_full_range,
    luma_to_grey,
    scale_to_width,
)


def smooth_plane(height: int, width: int) -> np.ndarray:
    """Limited-range luma with detail about a dozen pixels across, the finest a 720p picture
    of a street holds in quantity."""
    coarse = np.random.default_rng(7).integers(16, 236, (height // 12 + 1, width // 12 + 1))
    return cv2.resize(coarse.astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR)


@pytest.mark.parametrize(
    ("size", "expected"),
    [((1280, 720), (160, 90)), ((1920, 1080), (160, 90)), ((640, 360), (160, 90)),
     ((640, 480), (160, 120)), ((1282, 722), (160, 90)), ((320, 180), (160, 90))],
)
def test_the_grey_picture_keeps_the_shape_and_content_of_the_plane(
    size: tuple[int, int], expected: tuple[int, int]
) -> None:
    width, height = size
    luma = smooth_plane(height, width)
    grey = luma_to_grey(luma, 160, limited_range=True)
    assert grey.shape == (expected[1], expected[0])
    # Reading some of the rows of a large plane changes the picture by a few grey levels
    # against the average of every pixel, far below what the detectors look for.
    every_pixel = luma_to_full_range(scale_to_width(luma, 160))
    difference = np.abs(grey.astype(int) - every_pixel.astype(int))
    assert difference.mean() < 8
    assert np.percentile(difference, 99) < 25


def test_full_range_planes_are_not_stretched() -> None:
    luma = np.full((720, 1280), 200, np.uint8)
    assert int(luma_to_grey(luma, 160, limited_range=False).max()) == 200
    assert int(luma_to_grey(luma, 160, limited_range=True).max()) == round((200 - 16) * 255 / 219)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (640, 360)])
def test_sensor_noise_is_averaged_far_below_the_motion_threshold(size: tuple[int, int]) -> None:
    """A night picture: flat grey with strong sensor noise (sigma 8 levels). Every pixel of the
    analysis picture averages enough of its block that the noise left is a fraction of the
    25 levels a pixel must change by to count as motion."""
    width, height = size
    noise = np.random.default_rng(11).normal(0, 8, (height, width))
    luma = np.clip(60 + noise, 16, 235).astype(np.uint8)
    grey = luma_to_grey(luma, 160, limited_range=True).astype(float)
    assert grey.std() < 4


def test_the_range_stretch_is_exact_rounding_and_clipping() -> None:
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    expected_luma = np.clip(np.floor((levels - 16.0) * 255 / 219 + 0.5), 0, 255)
    assert np.array_equal(luma_to_full_range(levels), expected_luma.astype(np.uint8))
    # Chroma: 128 stays neutral, 16 and 240 reach the ends; rounding half to even moves only
    # the value 16 (to 0 instead of 1).
    expected_chroma = np.clip(np.floor((levels - 128.0) * 255 / 224 + 128.5), 0, 255)
    difference = chroma_to_full_range(levels).astype(int) - expected_chroma.astype(int)
    assert np.count_nonzero(difference) <= 1 and np.abs(difference).max() <= 1
    assert chroma_to_full_range(levels)[8, 0] == 128  # level 128
