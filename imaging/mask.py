"""Binary masks on a volume's grid, stored cropped to their bounding box.

A ``Mask`` is a boolean array ``[slice, row, col]`` plus the index of its first voxel in the parent
volume's grid (``offset_index``) and that grid's shape. Masks never carry their own geometry: they are
placed by the volume they belong to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Mask:
    """A cropped binary mask on a parent grid.

    Parameters
    ----------
    array
        Boolean array, the mask inside its box.
    offset_index
        ``(slice, row, col)`` of ``array[0, 0, 0]`` in the parent grid.
    grid_shape
        Shape of the parent grid.
    """

    array: BoolArray
    offset_index: tuple[int, int, int]
    grid_shape: tuple[int, int, int]

    def __post_init__(self) -> None:
        if self.array.ndim != 3:
            raise ValueError(f'Argument "array" must be 3D, got {self.array.ndim}D')
        if self.array.dtype != np.bool_:
            object.__setattr__(self, "array", self.array.astype(bool))
        off = tuple(int(v) for v in self.offset_index)
        grid = tuple(int(v) for v in self.grid_shape)
        if len(off) != 3 or len(grid) != 3:
            raise ValueError('Arguments "offset_index" and "grid_shape" must have 3 values each')
        for o, n, g in zip(off, self.array.shape, grid, strict=True):
            if o < 0 or o + n > g:
                raise ValueError(f"mask box at {off} of shape {self.array.shape} does not fit grid {grid}")
        object.__setattr__(self, "offset_index", off)
        object.__setattr__(self, "grid_shape", grid)

    @classmethod
    def from_full(cls, full: npt.NDArray[Any]) -> Mask:
        """Crop a full-grid boolean array to its bounding box (an empty mask keeps a 1-voxel box)."""
        full_b = np.asarray(full, dtype=bool)
        grid = (int(full_b.shape[0]), int(full_b.shape[1]), int(full_b.shape[2]))
        if not full_b.any():
            return cls(np.zeros((1, 1, 1), dtype=bool), (0, 0, 0), grid)
        lo, hi = [], []
        for axis in range(3):
            other = tuple(a for a in range(3) if a != axis)
            nz = np.flatnonzero(full_b.any(axis=other))
            lo.append(int(nz[0]))
            hi.append(int(nz[-1]) + 1)
        box = full_b[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]].copy()
        return cls(box, (lo[0], lo[1], lo[2]), grid)

    @classmethod
    def from_box(cls, box: npt.NDArray[Any], offset_index: Sequence[int], grid_shape: Sequence[int]) -> Mask:
        """A mask computed inside a region of interest, shrunk to its own bounding box."""
        inner = cls.from_full(box)
        if not inner.any():
            return cls.empty(grid_shape)
        off = tuple(int(a) + int(b) for a, b in zip(offset_index, inner.offset_index, strict=True))
        return cls(inner.array, (off[0], off[1], off[2]), (grid_shape[0], grid_shape[1], grid_shape[2]))

    @classmethod
    def union(cls, masks: Sequence[Mask | None], grid_shape: Sequence[int]) -> Mask:
        """The union of masks on one grid, in their common bounding box (empty when none is set)."""
        present = [m for m in masks if m is not None and m.any()]
        if not present:
            return cls.empty(grid_shape)
        lo = np.min([m.offset_index for m in present], axis=0)
        hi = np.max([np.add(m.offset_index, m.array.shape) for m in present], axis=0)
        box = np.zeros(tuple(int(v) for v in hi - lo), dtype=bool)
        for m in present:
            o = np.subtract(m.offset_index, lo)
            s = m.array.shape
            box[o[0] : o[0] + s[0], o[1] : o[1] + s[1], o[2] : o[2] + s[2]] |= m.array
        return cls.from_box(box, (int(lo[0]), int(lo[1]), int(lo[2])), grid_shape)

    @classmethod
    def empty(cls, grid_shape: Sequence[int]) -> Mask:
        """An empty mask on a grid."""
        g = (int(grid_shape[0]), int(grid_shape[1]), int(grid_shape[2]))
        return cls(np.zeros((1, 1, 1), dtype=bool), (0, 0, 0), g)

    @property
    def slices(self) -> tuple[slice, slice, slice]:
        """Slices of the parent grid covered by the box."""
        o, s = self.offset_index, self.array.shape
        return (slice(o[0], o[0] + s[0]), slice(o[1], o[1] + s[1]), slice(o[2], o[2] + s[2]))

    def to_full(self) -> BoolArray:
        """The mask on the whole parent grid (allocates the grid)."""
        full = np.zeros(self.grid_shape, dtype=bool)
        full[self.slices] = self.array
        return full

    def any(self) -> bool:
        """True when at least one voxel is set."""
        return bool(self.array.any())

    def count(self) -> int:
        """Number of voxels set."""
        return int(np.count_nonzero(self.array))

    def voxel_indices(self) -> npt.NDArray[np.int64]:
        """``(N, 3)`` parent-grid indices of the set voxels."""
        idx = np.argwhere(self.array).astype(np.int64)
        return idx + np.asarray(self.offset_index, dtype=np.int64)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mask):
            return NotImplemented
        if self.grid_shape != other.grid_shape:
            return False
        if self.offset_index == other.offset_index and self.array.shape == other.array.shape:
            return bool(np.array_equal(self.array, other.array))
        return bool(np.array_equal(self.to_full(), other.to_full()))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Mask(voxels={self.count()}, box={self.array.shape}, offset_index={self.offset_index}, "
            f"grid_shape={self.grid_shape})"
        )


def overlap_count(a: Mask, b: Mask) -> int:
    """Number of voxels set in both ``a`` and ``b`` (masks on the same grid); only the intersection of
    their boxes is read, 0 when the boxes do not meet."""
    lo = [max(x, y) for x, y in zip(a.offset_index, b.offset_index, strict=True)]
    hi = [
        min(x + n, y + m)
        for x, n, y, m in zip(a.offset_index, a.array.shape, b.offset_index, b.array.shape, strict=True)
    ]
    if any(h <= lo_ for lo_, h in zip(lo, hi, strict=True)):
        return 0
    sa = tuple(slice(p - o, q - o) for p, q, o in zip(lo, hi, a.offset_index, strict=True))
    sb = tuple(slice(p - o, q - o) for p, q, o in zip(lo, hi, b.offset_index, strict=True))
    return int(np.count_nonzero(a.array[sa] & b.array[sb]))


def touches_grid_edge(mask: Mask) -> bool:
    """True when a voxel of the mask lies on a face of its parent grid (the edge of the scan)."""
    a, o, g = mask.array, mask.offset_index, mask.grid_shape
    for axis in range(3):
        if o[axis] == 0 and np.take(a, 0, axis=axis).any():
            return True
        if o[axis] + a.shape[axis] == g[axis] and np.take(a, -1, axis=axis).any():
            return True
    return False
