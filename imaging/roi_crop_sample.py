"""Sampling an array on the ROI grid at LPS points, reading only the box around the points.

:meth:`imaging.vertebra_roi.LpsRoi.sample` converts the whole array it is given to float32 before
interpolating; a pedicle's search samples masks the size of the ROI a few hundred times along short lines
and small planes, and that conversion was most of its cost. :func:`sample_near` gives the same values bit
for bit: it converts and interpolates only the sub-box of the array that holds the points and their
interpolation neighbours, with a margin of ``CROP_MARGIN_VOXELS`` on each side cut inside the array, and
the points' indices are shifted by whole voxels (exact in floating point for indices below 2^52), so
nearest (order 0) and trilinear (order 1) interpolation read the same voxels with the same weights. Where
the box meets the array's edge it is the array's edge, so points outside read 0 as before. Orders above 1
(spline prefiltering over the whole array) are not cropped. :class:`RoiPoints` places the points on the grid
once to sample several arrays there (a section's masks and bone fraction).

Positions LPS mm; indices ``[z, y, x]`` on the ROI grid (:mod:`imaging.vertebra_roi`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_roi import LpsRoi

__all__ = ["CROP_MARGIN_VOXELS", "RoiPoints", "sample_near"]

FloatArray = npt.NDArray[np.float64]

#: voxels kept beyond the points' extent on each side: trilinear interpolation reads the voxel below and
#: above a point's index; one more keeps every point clear of a side the crop cuts inside the array
CROP_MARGIN_VOXELS = 2


def sample_near(
    roi: LpsRoi, data: npt.NDArray[Any], points_lps: npt.ArrayLike, *, order: int = 1
) -> FloatArray:
    """``roi.sample(data, points_lps, order=order)``, bit for bit, reading only the box around the points.

    ``data`` is an array on the ROI grid (HU, a mask, a fraction); outside it gives 0.
    """
    return RoiPoints(roi, points_lps).sample(data, order=order)


class RoiPoints:
    """LPS points placed on the ROI grid once, to sample several arrays there (:func:`sample_near`).

    Parameters
    ----------
    roi
        The ROI whose grid the arrays sampled lie on.
    points_lps
        Points ``(..., 3)``, LPS mm.
    """

    def __init__(self, roi: LpsRoi, points_lps: npt.ArrayLike) -> None:
        self.roi = roi
        self.points_lps = np.asarray(points_lps, dtype=np.float64)
        self._idx = roi.lps_to_index(self.points_lps.reshape(-1, 3))
        self._box: tuple[npt.NDArray[np.int_], npt.NDArray[np.int_]] | None = None
        if self._idx.size and np.isfinite(self._idx).all():
            lo = np.floor(self._idx.min(axis=0)).astype(int) - CROP_MARGIN_VOXELS
            hi = np.ceil(self._idx.max(axis=0)).astype(int) + CROP_MARGIN_VOXELS + 1
            self._box = (lo, hi)

    def sample(self, data: npt.NDArray[Any], *, order: int = 1) -> FloatArray:
        """``roi.sample(data, points_lps, order=order)``, bit for bit; outside the array gives 0."""
        if order > 1 or self._box is None:
            return self.roi.sample(data, self.points_lps, order=order)
        shape = np.asarray(np.shape(data))
        lo, hi = (np.clip(b, 0, shape) for b in self._box)
        if np.any(hi <= lo):
            return self.roi.sample(data, self.points_lps, order=order)  # every point beyond one side
        sub = np.asarray(data[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]], dtype=np.float32)
        values = ndimage.map_coordinates(sub, (self._idx - lo).T, order=order, mode="constant", cval=0.0)
        out: FloatArray = values.astype(np.float64).reshape(self.points_lps.shape[:-1])
        return out
