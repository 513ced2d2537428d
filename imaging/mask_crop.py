"""Binary dilation computed on the box around a mask only (same result as on the whole array).

A pedicle's search grows masks the size of the ROI (the body's mask, the traced sections' region) by a
voxel; ``scipy.ndimage.binary_dilation`` scans the whole array for that. Dilation is local: a voxel is set
only within ``iterations`` steps of a set voxel, and outside the array counts as unset
(``border_value`` 0), so growing the sub-box of the mask's set voxels widened by ``iterations`` on each
side (cut at the array's edges) and putting it back gives the same mask bit for bit. Index units only.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

__all__ = ["dilate_in_box"]

BoolArray = npt.NDArray[np.bool_]


def dilate_in_box(mask: npt.NDArray[np.bool_], iterations: int = 1) -> BoolArray:
    """``ndimage.binary_dilation(mask, iterations=iterations)`` (default structure: face neighbours),
    bit for bit, computed on the box around the mask's set voxels. ``iterations`` at least 1."""
    if iterations < 1:
        raise ValueError(f'Argument "iterations" must be at least 1, got {iterations}')
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros(mask.shape, dtype=bool)
    set_any = [np.flatnonzero(mask.any(axis=tuple(a for a in range(mask.ndim) if a != axis)))
               for axis in range(mask.ndim)]  # fmt: skip
    if any(len(s) == 0 for s in set_any):
        return out
    box = tuple(
        slice(max(int(s[0]) - iterations, 0), min(int(s[-1]) + iterations + 1, n))
        for s, n in zip(set_any, mask.shape, strict=True)
    )
    out[box] = ndimage.binary_dilation(mask[box], iterations=iterations)
    return out
