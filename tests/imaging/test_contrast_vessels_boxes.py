"""imaging.contrast_vessels computes its distance maps in small boxes (each uniform part's, the grown
structure's): the same candidates and masks as the distance maps over the whole array (session 18: the
vessel step cost 124 ms of a vertebra's 2 s). Checked against the whole-array computation written out
here, on seeded blocks with anisotropic spacing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from scipy import ndimage

from imaging.contrast_vessels import (
    CORE_RADIUS_MM,
    MIN_STRUCTURE_ML,
    _candidates,
    _distance_from,
    _tube,
    _within,
)

BoolArray = npt.NDArray[np.bool_]
SPACINGS_MM = [(1.0, 1.0, 1.0), (1.0, 0.8, 0.8), (2.0, 0.7, 0.7), (3.0, 0.977, 0.977)]


def _whole_array_candidates(
    uniform: BoolArray, hu: npt.NDArray[np.float32], sp: npt.NDArray[np.float64]
) -> list[tuple[BoolArray, float]]:
    """The candidates with the distance maps over the whole array (the method before session 18)."""
    core = ndimage.distance_transform_edt(uniform, sampling=sp) > CORE_RADIUS_MM
    swept = (ndimage.distance_transform_edt(~core, sampling=sp) <= CORE_RADIUS_MM) & uniform
    labels, n = ndimage.label(swept)
    size = np.bincount(labels.ravel(), minlength=n + 1)
    level = np.bincount(labels.ravel(), weights=hu.ravel(), minlength=n + 1) / np.maximum(size, 1)
    out = []
    for k in np.flatnonzero(size * float(np.prod(sp)) >= MIN_STRUCTURE_ML * 1000.0):
        if k > 0 and _tube(np.argwhere(labels == k), sp):
            out.append((labels == k, float(level[k])))
    return out


def _uniform_block(seed: int, sp: tuple[float, float, float]) -> tuple[BoolArray, npt.NDArray[np.float32]]:
    """Uniform parts of every kind in one block (mm): rods thick and thin, long and short, balls, a
    slab, and random specks that join some of them; HU with noise."""
    shape = tuple(int(s) for s in np.ceil(np.array([70.0, 60.0, 60.0]) / np.array(sp)))
    rng = np.random.default_rng(seed)
    lps = np.indices(shape).astype(np.float64) * np.array(sp)[:, None, None, None]
    z, y, x = lps
    uniform = rng.random(shape) < 0.05
    # rods 20 mm apart, 4-15 mm across (some too thin for the ball), 20-70 mm long (some too short)
    for cy in (10.0, 30.0, 50.0):
        for cx in (10.0, 30.0, 50.0):
            z0 = rng.uniform(0, 25)
            z1 = z0 + rng.uniform(20, 70)
            uniform |= (np.hypot(y - cy, x - cx) <= rng.uniform(2.0, 7.5)) & (z >= z0) & (z <= z1)
    for _ in range(4):
        c = rng.uniform(5, 55, 3)
        uniform |= np.sqrt((z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2) <= rng.uniform(2, 8)
    uniform |= (np.abs(y - 50.0) <= 3.5) & (x <= 45.0)
    hu = rng.normal(250.0, 40.0, shape).astype(np.float32)
    return uniform, hu


@pytest.mark.parametrize("sp", SPACINGS_MM)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_candidates_are_those_of_the_whole_array(seed: int, sp: tuple[float, float, float]) -> None:
    uniform, hu = _uniform_block(seed, sp)
    spacing = np.array(sp)
    got = _candidates(uniform, hu, spacing)
    want = _whole_array_candidates(uniform, hu, spacing)
    assert want, "the block holds no candidate to compare"
    assert len(got) == len(want)
    # the same parts with the same mean HU to the last bit (a candidate's order may differ)
    key = {np.flatnonzero(m)[0]: (m, level) for m, level in want}
    for mask, level in got:
        ref_mask, ref_level = key[np.flatnonzero(mask)[0]]
        assert np.array_equal(mask, ref_mask)
        assert level == ref_level


@pytest.mark.parametrize("sp", SPACINGS_MM)
@pytest.mark.parametrize("reach_mm", [1.5, 2.0, 6.5])
def test_within_is_the_whole_array_distance(sp: tuple[float, float, float], reach_mm: float) -> None:
    rng = np.random.default_rng(7)
    mask = ndimage.binary_dilation(rng.random((30, 40, 35)) < 0.002, iterations=2)
    mask[0, 0, 0] = True  # a voxel at the array's corner: the box is clipped there
    want = ndimage.distance_transform_edt(~mask, sampling=sp) <= reach_mm
    assert np.array_equal(_within(mask, reach_mm, np.array(sp)), want)


@pytest.mark.parametrize("sp", SPACINGS_MM)
def test_distance_in_the_box_is_the_whole_array_distance(sp: tuple[float, float, float]) -> None:
    rng = np.random.default_rng(11)
    mask = ndimage.binary_dilation(rng.random((30, 40, 35)) < 0.001, iterations=3)
    whole = ndimage.distance_transform_edt(~mask, sampling=sp)
    box, dist = _distance_from(mask, 6.5, np.array(sp))
    assert np.array_equal(dist, whole[box])
    # and every voxel outside the box lies beyond the reach
    outside = np.ones(mask.shape, dtype=bool)
    outside[box] = False
    assert np.all(whole[outside] > 6.5)
