"""Mask.union: the union of cropped masks on one grid."""

from __future__ import annotations

from typing import Any

import numpy as np

from imaging.mask import Mask, overlap_count, touches_grid_edge


def test_union_of_cropped_masks_equals_the_or_of_their_full_grids() -> None:
    grid = (20, 30, 40)
    rng = np.random.default_rng(0)
    fulls = []
    for lo, hi in (((1, 2, 3), (5, 9, 8)), ((10, 20, 30), (14, 25, 39)), ((4, 8, 7), (12, 12, 12))):
        full = np.zeros(grid, dtype=bool)
        box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
        full[box] = rng.random(full[box].shape) > 0.5
        fulls.append(full)
    masks = [Mask.from_full(f) for f in fulls]
    union = Mask.union([masks[0], None, Mask.empty(grid), masks[1], masks[2]], grid)
    expected = fulls[0] | fulls[1] | fulls[2]
    assert union.grid_shape == grid
    assert np.array_equal(union.to_full(), expected)
    assert union.count() == int(expected.sum())


def test_union_of_nothing_is_empty() -> None:
    union = Mask.union([None, Mask.empty((4, 5, 6))], (4, 5, 6))
    assert not union.any() and union.grid_shape == (4, 5, 6)


def test_overlap_count_reads_only_where_the_boxes_meet() -> None:
    rng = np.random.default_rng(5)
    grid = (12, 14, 16)
    a = Mask(rng.random((6, 7, 8)) > 0.4, (2, 3, 4), grid)
    b = Mask(rng.random((7, 6, 9)) > 0.4, (5, 6, 7), grid)
    assert overlap_count(a, b) == int(np.count_nonzero(a.to_full() & b.to_full())) > 0
    assert overlap_count(a, b) == overlap_count(b, a)
    apart = Mask(np.ones((2, 2, 2), dtype=bool), (9, 0, 0), grid)  # boxes do not meet
    assert overlap_count(a, apart) == 0


def test_touches_grid_edge_reads_the_voxels_on_the_grid_faces() -> None:
    grid = (6, 7, 8)
    inner = np.zeros(grid, dtype=bool)
    inner[2:4, 2:5, 3:6] = True
    assert not touches_grid_edge(Mask.from_full(inner))
    for axis, end in ((0, 0), (0, -1), (1, 0), (1, -1), (2, 0), (2, -1)):
        edge = inner.copy()
        index: list[Any] = [slice(2, 3)] * 3
        index[axis] = end
        edge[tuple(index)] = True
        assert touches_grid_edge(Mask.from_full(edge)), (axis, end)
    # a box that reaches the grid's face with no voxel set there does not touch it
    boxed = Mask(np.pad(np.ones((1, 1, 1), dtype=bool), ((1, 0), (0, 0), (0, 0))), (0, 3, 3), grid)
    assert boxed.offset_index[0] == 0 and not touches_grid_edge(boxed)
