"""Polygons in normalised coordinates and the pixel masks drawn from them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache

import cv2
import numpy as np

Point = tuple[float, float]
Polygon = tuple[Point, ...]

MAX_POINTS = 64


class PolygonError(ValueError):
    """A polygon that cannot be used as a zone or mask."""


def polygon(points: Iterable[Sequence[float]]) -> Polygon:
    """Check and freeze a polygon given as (x, y) pairs in 0..1 (x across, y down)."""
    result: list[Point] = []
    for item in points:
        if len(item) != 2:
            raise PolygonError("each point needs exactly two coordinates")
        x, y = float(item[0]), float(item[1])
        if not (math.isfinite(x) and math.isfinite(y)) or not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise PolygonError("coordinates must be finite and within 0..1")
        result.append((x, y))
    if not 3 <= len(result) <= MAX_POINTS:
        raise PolygonError(f"a polygon needs 3 to {MAX_POINTS} points")
    return tuple(result)


def polygons(items: Iterable[Iterable[Sequence[float]]]) -> tuple[Polygon, ...]:
    return tuple(polygon(p) for p in items)


def polygon_mask(shapes: Sequence[Polygon], width: int, height: int) -> np.ndarray:
    """A uint8 mask (255 inside any polygon, 0 outside) of the given size, read-only.

    Cached per (shapes, size) because zones and masks rarely change while frames arrive at
    5 fps: drawing them again for every frame would waste CPU.
    """
    return _cached_mask(tuple(tuple(p) for p in shapes), width, height)


@lru_cache(maxsize=256)
def _cached_mask(shapes: tuple[Polygon, ...], width: int, height: int) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    if shapes:
        # Sub-pixel vertices (shift=4) and an outline on top: a pixel the polygon only
        # touches counts as inside, so a privacy mask errs on the side of hiding more.
        scale = 16
        pts = [
            np.array(
                [(round(x * width * scale), round(y * height * scale)) for x, y in shape],
                np.int32,
            )
            for shape in shapes
        ]
        cv2.fillPoly(mask, pts, 255, lineType=cv2.LINE_8, shift=4)
        cv2.polylines(mask, pts, True, 255, thickness=1, lineType=cv2.LINE_8, shift=4)
    mask.setflags(write=False)
    return mask


def whole_frame() -> Polygon:
    return ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))


def box_to_normalised(x: int, y: int, w: int, h: int, width: int, height: int) -> tuple[
    float, float, float, float
]:
    """A pixel box as (x, y, w, h) fractions of the frame."""
    return (x / width, y / height, w / width, h / height)
