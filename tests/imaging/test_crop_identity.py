"""The cropped sampler and dilation used by the pedicle search give the whole-array answers bit for bit
(imaging.roi_crop_sample, imaging.mask_crop): random masks, fractions and HU on small ROIs with unit and
non-unit voxels, points inside, near the edges and outside, on grid nodes and half-way between them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from imaging.mask_crop import dilate_in_box
from imaging.roi_crop_sample import RoiPoints, sample_near
from imaging.vertebra_roi import LpsRoi


def _roi(rng: np.random.Generator, shape: tuple[int, int, int]) -> LpsRoi:
    spacing_mm = float(rng.choice([1.0, 0.7, 1.3]))
    return LpsRoi(np.zeros(shape, np.float32), rng.normal(size=3) * 10.0, spacing_mm, np.ones(shape, bool))


@pytest.mark.parametrize("seed", range(6))
def test_sample_near_is_roi_sample_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for trial in range(60):
        shape = tuple(int(n) for n in rng.integers(4, 30, 3))
        roi = _roi(rng, shape)  # type: ignore[arg-type]
        arrays = [rng.random(shape) > 0.6, rng.random(shape).astype(np.float32), rng.normal(size=shape) * 300]
        extent_mm = np.array(shape[::-1]) * roi.spacing_mm
        centre = roi.origin_lps + (rng.random(3) * 1.4 - 0.2) * extent_mm
        pts = centre + rng.normal(size=(int(rng.integers(1, 150)), 3)) * float(rng.choice([0.5, 3.0, 20.0]))
        if trial % 5 == 0:  # on grid nodes and half-way between them (rounding ties of order 0)
            pts = roi.origin_lps + np.round(rng.random(pts.shape) * extent_mm * 2.0) / 2.0 * roi.spacing_mm
        placed = RoiPoints(roi, pts)
        for data in arrays:
            for order in (0, 1):
                expected = roi.sample(data, pts, order=order)
                assert np.array_equal(sample_near(roi, data, pts, order=order), expected)
                assert np.array_equal(placed.sample(data, order=order), expected)


@pytest.mark.parametrize("iterations", [1, 2, 3])
def test_dilate_in_box_is_binary_dilation_bit_for_bit(iterations: int) -> None:
    rng = np.random.default_rng(iterations)
    for _ in range(40):
        shape = tuple(int(n) for n in rng.integers(3, 25, 3))
        mask = np.zeros(shape, dtype=bool)
        lo = [int(rng.integers(0, n)) for n in shape]
        hi = [int(rng.integers(a, n)) + 1 for a, n in zip(lo, shape, strict=True)]
        box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
        mask[box] = rng.random(mask[box].shape) > 0.7  # a blob anywhere, touching the edges or not
        expected = ndimage.binary_dilation(mask, iterations=iterations)
        assert np.array_equal(dilate_in_box(mask, iterations=iterations), expected)
    assert not dilate_in_box(np.zeros((4, 5, 6), dtype=bool)).any()
