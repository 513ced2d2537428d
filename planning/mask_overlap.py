"""How many voxels two masks on the same grid share, looking only where their boxes meet.

Masks are :class:`imaging.mask.Mask` boxes on a volume's ``[slice, row, col]`` grid (each with its
``offset_index``); the count is in voxels (multiply by the voxel volume for mL).
"""

from __future__ import annotations

import numpy as np

from imaging.mask import Mask


def overlap_count(a: Mask, b: Mask) -> int:
    """Number of voxels set in both ``a`` and ``b`` (masks on the same grid).

    Parameters
    ----------
    a, b
        The masks; only the intersection of their boxes is read.

    Returns
    -------
    int
        The shared voxels, 0 when the boxes do not meet.
    """
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
