"""The fast morphology of imaging.lesion_morph gives the same voxels as scipy's distance maps and filling.

``within_mm`` replaces thresholded ``distance_transform_edt`` maps and ``fill_holes`` replaces
``binary_fill_holes`` in the lesion pipeline for speed (issue 4: a lesion in under 1 s); both must be the
same sets, voxel for voxel, on anisotropic grids, at radii from below one voxel to many voxels, for
sparse and dense masks and at the array's faces.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from imaging.lesion_morph import dilate_mm, fill_holes, within_mm

SPACINGS = [(1.0, 0.8, 0.8), (1.0, 1.0, 1.0), (2.0, 0.977, 0.977), (0.7, 0.6, 0.65), (3.0, 0.5, 0.9)]
RADII_MM = [0.5, 1.0, 2.0, 3.0, 4.0, 12.0]


@pytest.mark.parametrize("spacing", SPACINGS)
def test_within_mm_is_the_thresholded_distance_map(spacing: tuple[float, float, float]) -> None:
    rng = np.random.default_rng(7)
    for density in (0.0003, 0.004):
        mask = rng.random((34, 40, 44)) < density
        mask[0, 3, 5] = mask[-1, -1, 20] = True  # on the faces
        dist = ndimage.distance_transform_edt(~mask, sampling=spacing)
        for r in RADII_MM:
            assert np.array_equal(within_mm(mask, r, spacing), dist <= r)
            assert np.array_equal(within_mm(mask, r, spacing, strict=True), dist < r)
            assert np.array_equal(dilate_mm(mask, r, spacing), dist <= r + 1e-9)


def _brute_within(
    mask: np.ndarray, r: float, spacing: tuple[float, float, float], strict: bool
) -> np.ndarray:
    """Every voxel against every mask voxel: the distance of their index offset, each offset times its
    spacing, squared and summed in axis order (the formula of scipy's distance maps)."""
    pts = np.argwhere(mask)
    grid = np.argwhere(np.ones(mask.shape, dtype=bool))
    out = np.zeros(mask.shape, dtype=bool)
    if pts.size == 0:
        return out
    off = (grid[:, None, :] - pts[None, :, :]).astype(np.float64)
    d = np.sqrt(
        (off[..., 0] * spacing[0]) ** 2 + (off[..., 1] * spacing[1]) ** 2 + (off[..., 2] * spacing[2]) ** 2
    )
    near = d.min(axis=1)
    out.reshape(-1)[:] = near < r if strict else near <= r
    return out


@pytest.mark.parametrize("spacing", [(3.0, 0.5, 0.9), (2.5, 0.8, 0.8), (0.7, 0.6, 0.65), (1.0, 3.0, 0.5)])
def test_within_mm_on_thin_arrays_against_brute_force(spacing: tuple[float, float, float]) -> None:
    # a ball far wider than the array along an axis (a 3-slice scan, QA s19 F2): the shifted copies that
    # fall wholly outside the array must add nothing. Before the fix, shifts of two or more slices on a
    # 2- or 3-slice region raised "operands could not be broadcast together"
    rng = np.random.default_rng(19)
    for _ in range(40):
        shape = (int(rng.integers(1, 5)), int(rng.integers(1, 9)), int(rng.integers(1, 12)))
        mask = rng.random(shape) < rng.uniform(0.02, 0.3)
        for r in (0.4, 1.0, 2.9, 4.0, 7.5, 25.0):
            for strict in (False, True):
                expected = _brute_within(mask, r, spacing, strict)
                assert np.array_equal(within_mm(mask, r, spacing, strict=strict), expected), (
                    shape,
                    r,
                    strict,
                )
        assert np.array_equal(dilate_mm(mask, 6.0, spacing), _brute_within(mask, 6.0 + 1e-9, spacing, False))


def test_within_mm_of_an_empty_mask_is_empty() -> None:
    empty = np.zeros((5, 6, 7), dtype=bool)
    assert not within_mm(empty, 3.0, (1.0, 1.0, 1.0)).any()
    one = empty.copy()
    one[2, 3, 3] = True
    # a radius of 0: only the mask itself (distance 0 <= 0), nothing when strict
    assert np.array_equal(within_mm(one, 0.0, (1.0, 1.0, 1.0)), one)
    assert not within_mm(one, 0.0, (1.0, 1.0, 1.0), strict=True).any()


def test_fill_holes_is_scipys() -> None:
    rng = np.random.default_rng(11)
    for _ in range(60):
        shape = tuple(int(n) for n in rng.integers(1, 20, 3))
        mask = rng.random(shape) < rng.uniform(0.2, 0.8)
        assert np.array_equal(fill_holes(mask), ndimage.binary_fill_holes(mask))
    shell = np.ones((7, 7, 7), dtype=bool)
    shell[2:5, 2:5, 2:5] = False
    assert fill_holes(shell).all()
    shell[3, 3, 0:3] = False  # a tunnel to the face: no longer a hole
    assert not fill_holes(shell)[3, 3, 3]
