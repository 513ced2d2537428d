"""The vertebral body's front-to-back depth where the needle works, and its posterior quarter.

CLINICAL.md: injection stops when cement reaches the posterior quarter of the body. The quarter is a
depth / 4 measured from the body's back, so the depth must be the body's own front-to-back depth, not
the extent of the whole body mask along the front-back axis: a mask that carries an osteophyte, a bit
of pedicle base or a tilt against that axis is longer along it than the body is deep, and a quarter of
that length puts the stop line too far forward.

The depth is the median, over the body's middle, of the front-to-back extent of the body's columns:
the body's voxels are gathered into columns along the front-back (AP) axis of the vertebra's frame
(:mod:`planning.leakage_grid`), ``column_mm`` square across; each column's extent is from its
front-most to its back-most voxel centre plus one voxel's thickness along AP; the middle is the
columns within a quarter of the body's width of its median left-right position and within a quarter of
its height of its median height (the central half of the body each way, the region where the access
needle's tip works: the anterior-middle third of the body, CLINICAL.md). The median, not the column
through the centroid: one column is at the mercy of a notch or a lytic gap in the mask, the median of
the middle's columns is not, and it ignores the rounded lateral edges and the endplate rims.

The posterior quarter is the body behind the plane across the AP axis a quarter of the depth in front
of the body's back edge in the middle (the median back edge of the middle's columns, the posterior
wall): one plane, as the stop rule reads on a CT slice, not moved by a lump behind the body's side.

Coordinates are mm in the vertebra's frame (``l`` patient left, ``a`` posterior, ``s`` superior), one
entry per body voxel.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: percentiles of the body's left-right and craniocaudal positions taken as its width and height (a
#: stray voxel or a lump beyond them does not widen the middle)
SPAN_PERCENTILES = (5.0, 95.0)


def body_depth_and_quarter(
    l_mm: FloatArray, a_mm: FloatArray, s_mm: FloatArray, *, column_mm: float, thickness_mm: float
) -> tuple[float, BoolArray]:
    """The body's depth (mm) and, per body voxel, whether it lies in the posterior quarter.

    Parameters
    ----------
    l_mm, a_mm, s_mm
        Frame coordinates of the body's voxel centres (same length, at least one voxel).
    column_mm
        Width of the columns across the AP axis (the largest voxel spacing is a good choice: every
        column then holds voxels).
    thickness_mm
        One voxel's thickness along AP, added to the centre-to-centre extent.

    Returns
    -------
    (depth_mm, in_quarter)
        ``in_quarter[i]`` is True for a voxel behind the stop plane (depth / 4 in front of the back edge
        in the middle).

    Raises
    ------
    ValueError
        If there are no voxels or the sizes are not positive.
    """
    if l_mm.size == 0 or not (l_mm.shape == a_mm.shape == s_mm.shape):
        raise ValueError("body_depth_and_quarter needs one (l, a, s) per body voxel, at least one")
    if not (column_mm > 0 and thickness_mm > 0):
        raise ValueError("column_mm and thickness_mm must be > 0")
    kl = np.round(l_mm / column_mm).astype(np.int64)
    ks = np.round(s_mm / column_mm).astype(np.int64)
    keys = np.stack([kl, ks], axis=1)
    cols, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    front = np.full(len(cols), np.inf)
    back = np.full(len(cols), -np.inf)
    np.minimum.at(front, inverse, a_mm)
    np.maximum.at(back, inverse, a_mm)
    extent = back - front + thickness_mm

    lo, hi = SPAN_PERCENTILES
    l_mid, s_mid = float(np.median(l_mm)), float(np.median(s_mm))
    half_w = 0.25 * float(np.percentile(l_mm, hi) - np.percentile(l_mm, lo))
    half_h = 0.25 * float(np.percentile(s_mm, hi) - np.percentile(s_mm, lo))
    col_l, col_s = cols[:, 0] * column_mm, cols[:, 1] * column_mm
    tol = 0.5 * column_mm  # a column whose centre is half a column outside still overlaps the middle
    middle = (np.abs(col_l - l_mid) <= half_w + tol) & (np.abs(col_s - s_mid) <= half_h + tol)
    chosen = middle if middle.any() else np.ones(len(cols), dtype=bool)
    depth = float(np.median(extent[chosen]))
    back_mm = float(np.median(back[chosen])) + 0.5 * thickness_mm
    in_quarter = a_mm >= back_mm - depth / 4.0
    return depth, np.asarray(in_quarter, dtype=bool)
