from __future__ import annotations

import math

import numpy as np
import pytest

from apps.vision.geometry import PolygonError, polygon, polygon_mask


def test_polygon_is_validated_and_frozen() -> None:
    shape = polygon([[0, 0], [1, 0], [0.5, 1]])
    assert shape == ((0.0, 0.0), (1.0, 0.0), (0.5, 1.0))


@pytest.mark.parametrize(
    "points",
    [
        [(0, 0), (1, 1)],
        [(0, 0), (1, 0), (1.2, 1)],
        [(0, 0), (1, 0), (-0.1, 1)],
        [(0, 0), (1, 0), (math.nan, 1)],
        [(0, 0), (1, 0), (0.5, math.inf)],
        [(0, 0, 0), (1, 0), (0.5, 1)],
        [(i / 100, 0) for i in range(65)],
    ],
)
def test_bad_polygons_are_refused(points: list[tuple[float, ...]]) -> None:
    with pytest.raises(PolygonError):
        polygon(points)


def test_mask_covers_the_polygon_and_is_read_only() -> None:
    mask = polygon_mask([polygon([(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75)])], 40, 20)
    assert mask.shape == (20, 40)
    assert mask[10, 20] == 255
    assert mask[0, 0] == 0
    assert mask[2, 5] == 0
    # Half the width by half the height, give or take the edge pixels it errs towards.
    assert 0.25 <= np.count_nonzero(mask) / mask.size <= 0.32
    with pytest.raises(ValueError):
        mask[0, 0] = 1


def test_no_polygons_give_an_empty_mask() -> None:
    assert not polygon_mask([], 8, 8).any()
