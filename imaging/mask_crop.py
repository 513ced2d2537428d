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

from imaging.lesion_morph import grown_box, mask_bbox

__all__ = ["dilate_in_box"]

BoolArray = npt.NDArray[np.bool_]


def dilate_in_box(mask: npt.NDArray[np.bool_], iterations: int = 1) -> BoolArray:
    """``ndimage.binary_dilation(mask, iterations=iterations)`` (default structure: face neighbours),
    bit for bit, computed on the box around the mask's set voxels. ``iterations`` at least 1."""
    if iterations < 1:
        raise ValueError(f'Argument "iterations" must be at least 1, got {iterations}')
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros(mask.shape, dtype=bool)
    box = mask_bbox(mask)
    if box is None:
        return out
    grown = grown_box(box, [iterations] * mask.ndim, mask.shape)
    out[grown] = ndimage.binary_dilation(mask[grown], iterations=iterations)
    return out
