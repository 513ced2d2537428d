"""The cropped samplers and dilation give the whole-array answers bit for bit (imaging.vertebra_roi's
LpsRoi.sample, RoiPoints and sample_source_hu, which read only the box around the points;
imaging.mask_crop): random masks, fractions and HU on small ROIs and volumes with unit and non-unit
voxels, points inside, near the edges and outside, on grid nodes and half-way between them; and
LpsRoi.in_scan's answer without interpolating, against the interpolated flag."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from scipy import ndimage

from imaging.mask_crop import dilate_in_box
from imaging.vertebra_roi import OUTSIDE_HU, LpsRoi, RoiPoints, sample_source_hu
from imaging.volume import Volume


def _roi(rng: np.random.Generator, shape: tuple[int, int, int]) -> LpsRoi:
    spacing_mm = float(rng.choice([1.0, 0.7, 1.3]))
    return LpsRoi(np.zeros(shape, np.float32), rng.normal(size=3) * 10.0, spacing_mm, np.ones(shape, bool))


def _whole(
    data: npt.NDArray[Any], index: npt.NDArray[np.float64], order: int, cval: float
) -> npt.NDArray[Any]:
    """The uncropped reading: the whole array as float32, interpolated at the indices, as float64."""
    values = ndimage.map_coordinates(
        np.asarray(data, dtype=np.float32), index.reshape(-1, 3).T, order=order, mode="constant", cval=cval
    )
    return values.astype(np.float64).reshape(index.shape[:-1])


@pytest.mark.parametrize("seed", range(6))
def test_roi_sample_is_the_whole_array_reading_bit_for_bit(seed: int) -> None:
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
                expected = _whole(data, roi.lps_to_index(pts), order, 0.0)
                assert np.array_equal(roi.sample(data, pts, order=order), expected)
                assert np.array_equal(placed.sample(data, order=order), expected)


@pytest.mark.parametrize("seed", range(3))
def test_sample_source_hu_is_the_whole_volume_reading_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    for _ in range(40):
        shape = tuple(int(n) for n in rng.integers(4, 30, 3))
        affine = np.eye(4)
        affine[:3, :3] = np.diag(rng.choice([0.7, 1.0, 3.0], size=3))
        affine[:3, 3] = rng.normal(size=3) * 10.0
        volume = Volume((rng.normal(size=shape) * 300).astype(np.int16), affine)
        low, high = volume.bounds_lps()
        pts = low + (rng.random((int(rng.integers(1, 150)), 3)) * 1.4 - 0.2) * (high - low)
        expected = _whole(volume.array, volume.lps_to_index_points(pts), 1, OUTSIDE_HU)
        assert np.array_equal(sample_source_hu(volume, pts), expected)


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


@pytest.mark.parametrize("all_inside", [True, False])
def test_in_scan_says_what_the_interpolated_flag_says(all_inside: bool) -> None:
    """LpsRoi.in_scan answers points on a grid wholly in the scan without interpolating (session 22)."""
    rng = np.random.default_rng(11)
    shape = (20, 18, 16)
    inside = np.ones(shape, dtype=bool)
    if not all_inside:
        inside[:3] = False
    spacing = 1.5
    roi = LpsRoi(np.zeros(shape, dtype=np.float32), np.array([-4.0, 7.0, 2.0]), spacing, inside)
    extent = (np.array(shape[::-1]) - 1.0) * spacing  # the grid's first to last voxel centres, x y z
    on_grid = roi.origin_lps + rng.uniform(0.0, 1.0, (400, 3)) * extent
    corners = roi.index_to_lps(np.array([[0.0, 0.0, 0.0], [19.0, 17.0, 15.0], [19.0, 0.0, 7.5]]))
    # up to three voxels beyond the first and the last voxel centres
    low = roi.origin_lps + rng.uniform(-3.0, 1.0, (200, 3)) * spacing
    high = roi.origin_lps + extent + rng.uniform(-1.0, 3.0, (200, 3)) * spacing
    for pts in (on_grid, corners, low, high, np.concatenate([on_grid, high])):
        expected = roi.sample(roi.inside, pts) > 1.0 - 1e-6
        assert np.array_equal(roi.in_scan(pts), expected)
    assert roi.in_scan(on_grid).all() == all_inside
    assert not roi.in_scan(low).all() and not roi.in_scan(high).all()
