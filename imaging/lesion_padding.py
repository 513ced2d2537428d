"""Voxels outside the scanned region that a crop or a resampling filled with zeros.

A volume cropped beyond the scan, or resampled onto a grid larger than the scan, is often filled with
0 (SimpleITK's ``Resample`` default pixel value is 0; the bone-lesions ``case7`` patch of the shared
data has a zero-filled slab where its crop left the scan). In HU, 0 is water: such a slab reads as soft
tissue and so as a lytic lesion, and its edge pulls smoothed bone next to it towards lytic values.
Those voxels must count as neither bone nor lesion. (Padding with air values, -1024 HU or lower, is
harmless: it lies below every band the lesion code uses.)

Rule: a voxel is filled when it holds exactly ``fill_value_hu`` and it, or one of its 26 neighbours,
lies in a 3 x 3 x 3 block of voxels that all hold exactly that value. Scanned tissue carries noise of
several HU, so 27 identical values in a row do not happen in it (the four bone-lesions patches: no
exact 0 outside case7's slab); the neighbour clause takes in the slab's boundary layer, whose blocks
reach into the scan. Arrays are ``[slice, row, col]``; values HU.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

BoolArray = npt.NDArray[np.bool_]

#: the value crops and resampling fill with (see the module docstring)
FILL_VALUE_HU = 0.0


def zero_filled(hu: npt.NDArray[Any], fill_value_hu: float = FILL_VALUE_HU) -> BoolArray:
    """Voxels outside the scan, filled with ``fill_value_hu`` (the module docstring gives the rule).

    Parameters
    ----------
    hu
        HU array ``[slice, row, col]`` (a region of interest or a whole volume).
    fill_value_hu
        The fill value (default 0).

    Returns
    -------
    numpy.ndarray
        Boolean array of ``hu``'s shape; all false when nothing is filled.
    """
    same: BoolArray = np.asarray(hu) == fill_value_hu
    if not same.any():
        return same
    # a 3x3x3 block of equal values: erosion of "equal" (voxels at the array's edge count their missing
    # neighbours as equal, so a slab ending at the edge of the region is still found)
    flat: BoolArray = ndimage.binary_erosion(same, structure=np.ones((3, 3, 3), dtype=bool), border_value=1)
    if not flat.any():
        return flat
    out: BoolArray = ndimage.binary_dilation(flat, structure=np.ones((3, 3, 3), dtype=bool)) & same
    return out
