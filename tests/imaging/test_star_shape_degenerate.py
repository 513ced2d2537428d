"""A star-shaped solid with no volume (every ray ended where it started, as on a click in solid cortex
such as a rib): its centroid is its centre and its mask is empty, with no numpy warning on the way (a
0/0 there made the centre NaN and printed RuntimeWarnings on the command line's stderr and the GUI's).
A hemisphere checks the centroid's ordinary path against its closed form (3/8 r from the flat face).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import spatial

from imaging.star_shape import fibonacci_directions, star_centroid_offset, voxelize_star
from imaging.vertebra_roi import LpsRoi

#: rays as the body search uses them (about 7 degrees apart)
N_RAYS = 800


def _roi(n: int = 21, spacing_mm: float = 1.0) -> LpsRoi:
    shape = (n, n, n)
    return LpsRoi(np.zeros(shape, dtype=np.float32), np.zeros(3), spacing_mm, np.ones(shape, dtype=bool))


def test_zero_radii_centroid_is_the_centre_without_warnings() -> None:
    dirs = fibonacci_directions(N_RAYS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning fails the test
        offset = star_centroid_offset(dirs, np.zeros(N_RAYS))
    assert np.all(np.isfinite(offset))
    assert np.allclose(offset, 0.0)


def test_hemisphere_centroid_matches_its_closed_form() -> None:
    dirs = fibonacci_directions(N_RAYS)
    r_mm = 10.0
    radii = np.where(dirs[:, 2] > 0.0, r_mm, 0.0)
    offset = star_centroid_offset(dirs, radii)
    # a solid hemisphere's centroid lies 3/8 r above its flat face; 800 rays sample it to ~1 %
    assert abs(offset[2] - 3.0 / 8.0 * r_mm) <= 0.1
    assert np.hypot(offset[0], offset[1]) <= 0.1


def test_zero_radii_or_nan_centre_give_an_empty_mask_without_warnings() -> None:
    dirs = fibonacci_directions(N_RAYS)
    tree = spatial.cKDTree(dirs)
    roi = _roi()
    centre = np.full(3, 10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flat = voxelize_star(roi, centre, dirs, np.zeros(N_RAYS), tree)
        lost = voxelize_star(roi, np.full(3, np.nan), dirs, np.full(N_RAYS, 5.0), tree)
        ball = voxelize_star(roi, centre, dirs, np.full(N_RAYS, 5.0), tree)
    assert not flat.any() and not lost.any()
    # the ordinary path is unchanged: a 5 mm ball on a 1 mm grid, 4/3 pi 125 = 523.6 mm^3 (voxels
    # whose centre lies within 5 mm: 515)
    assert abs(int(ball.sum()) - 4.0 / 3.0 * np.pi * 125.0) <= 0.05 * 523.6
