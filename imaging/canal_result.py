"""A spinal canal found on a click's region: its mask, section centroids and areas, and centre line.

:func:`canal_from_mask` makes one from a ROI mask (:mod:`imaging.vertebra_canal` finds the mask section by
section); the centre line is a straight fit through the section centroids. Positions LPS mm, areas mm^2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.vertebra_roi import LpsRoi

__all__ = ["CanalResult", "canal_from_mask", "sections_of"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class CanalResult:
    """The canal found on a ROI."""

    mask: BoolArray  # ROI grid, the enclosed slices only
    slice_centroids_lps: FloatArray  # (n, 3), one per slice where the canal is enclosed
    slice_areas_mm2: FloatArray  # (n,), axial areas
    line_point_lps: FloatArray
    line_direction_lps: FloatArray  # unit, superior

    def centroid_at(self, plane_point_lps: FloatArray, plane_normal: FloatArray) -> FloatArray:
        """Where the canal's centre line crosses a plane."""
        d = self.line_direction_lps
        denom = float(d @ plane_normal)
        if abs(denom) < 1e-6:
            return self.line_point_lps.copy()
        s = float((plane_point_lps - self.line_point_lps) @ plane_normal) / denom
        out: FloatArray = self.line_point_lps + s * d
        return out

    def area_near(self, z_lps: float) -> float:
        """Area (mm^2) perpendicular to the centre line, from the enclosed slice nearest ``z_lps``."""
        k = int(np.argmin(np.abs(self.slice_centroids_lps[:, 2] - z_lps)))
        cos_tilt = abs(float(self.line_direction_lps[2]))
        return float(self.slice_areas_mm2[k] * cos_tilt)


def sections_of(canal: CanalResult | None) -> int:
    """How many ROI sections a canal was found on (0 for None)."""
    return 0 if canal is None else len(canal.slice_areas_mm2)


def canal_from_mask(roi: LpsRoi, mask: BoolArray) -> CanalResult | None:
    """Per-slice centroids and areas and the centre line of a canal mask (None when empty)."""
    slices = np.flatnonzero(mask.any(axis=(1, 2)))
    if len(slices) == 0:
        return None
    sp = roi.spacing_mm
    cents_l: list[FloatArray] = []
    areas_l: list[float] = []
    for k in slices:
        px = np.argwhere(mask[k]).mean(axis=0)
        cents_l.append(roi.index_to_lps(np.array([float(k), px[0], px[1]])))
        areas_l.append(float(mask[k].sum()) * sp**2)
    cents = np.array(cents_l)
    areas = np.array(areas_l)
    point = cents.mean(axis=0)
    direction = np.array([0.0, 0.0, 1.0])
    if len(cents) >= 4 and np.ptp(cents[:, 2]) >= 4.0:
        _, _, vt = np.linalg.svd(cents - point)
        d = vt[0] if vt[0][2] >= 0 else -vt[0]
        # a canal is within 45 degrees of the scanner axis in the spine segments planned here
        if d[2] > np.cos(np.radians(45.0)):
            direction = d / np.linalg.norm(d)
    return CanalResult(
        mask=mask,
        slice_centroids_lps=cents,
        slice_areas_mm2=areas,
        line_point_lps=point,
        line_direction_lps=direction,
    )
