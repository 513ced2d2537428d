"""The posterior vertebral wall: the cortex between the body and the spinal canal, and its gaps.

Works in the vertebra's frame: body centroid ``c``, superior axis ``a``, posterior ``p`` (towards the
canal, perpendicular to ``a``) and left ``l = p x a`` (patient left). The wall is probed by rays along
``p`` on a 1 mm grid of lateral positions ``u`` (the canal's width) and heights ``v`` (the body's
height less the endplates). Each ray finds the body's posterior surface and the highest HU within a
few mm of it; where that peak is not cortical (below half-way between the body's own trabecular
bone and the wall's typical cortex, or a fraction of the body's other cortex when the wall as a
whole is much weaker) the cortex is missing. Connected missing areas of at least
``MIN_DEFECT_MM2`` are reported as defects with their centre (LPS mm) and size (largest extent, mm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_model import WallDefect
from imaging.vertebra_roi import LpsRoi

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: ray grid step across and along the wall (mm)
WALL_STEP_MM = 1.0
#: step of the wall points returned (mm)
WALL_POINT_STEP_MM = 2.0
#: the wall band's thickness inside the body surface (mm)
WALL_BAND_MM = 3.0
#: the endplate zones excluded at the top and bottom of the wall (mm)
ENDPLATE_MARGIN_MM = 2.5
#: where the cortical peak is looked for, relative to the body's posterior surface (mm)
PEAK_WINDOW_MM = (-3.0, 1.5)
#: the smallest gap reported (mm^2 of wall, a gap about 3.5 mm across; smaller ones are noise)
MIN_DEFECT_MM2 = 10.0
#: the wall's cortex is expected to stand at least this fraction of the body's typical cortical
#: contrast above the trabecular bone (a wall destroyed as a whole has no median peak of its own)
WALL_CONTRAST_FRACTION = 0.3


@dataclass(frozen=True, eq=False)
class WallResult:
    """The posterior wall on a ROI."""

    band: BoolArray
    points_lps: tuple[tuple[float, float, float], ...]
    defects: tuple[WallDefect, ...]
    assessed: bool  # False when too few rays met the body to judge the wall


def find_posterior_wall(
    roi: LpsRoi,
    body: BoolArray,
    *,
    smoothed: npt.NDArray[np.float32],
    trabecular_hu: float,
    body_cortex_hu: float,
    centroid_lps: FloatArray,
    axis: FloatArray,
    posterior: FloatArray,
    canal_u_range_mm: tuple[float, float],
    height_mm: float,
) -> WallResult:
    """Posterior wall band, points and defects.

    Parameters
    ----------
    roi
        LPS ROI.
    body
        Body mask on the ROI.
    smoothed
        Smoothed HU on the ROI.
    trabecular_hu
        Median HU of the body's core (the patient's own trabecular bone).
    body_cortex_hu
        Typical cortical peak HU around the whole body.
    centroid_lps, axis, posterior
        Body centroid, superior unit axis, posterior unit direction (perpendicular to the axis).
    canal_u_range_mm
        The canal's lateral extent along ``l`` relative to the centroid (mm).
    height_mm
        Body height (mm).

    Returns
    -------
    WallResult
    """
    left = np.cross(posterior, axis)
    u_lo, u_hi = canal_u_range_mm
    us = np.arange(np.ceil(u_lo), np.floor(u_hi) + 0.5, WALL_STEP_MM)
    v_half = 0.5 * height_mm - ENDPLATE_MARGIN_MM
    vs = np.arange(-np.floor(v_half), np.floor(v_half) + 0.5, WALL_STEP_MM)
    if len(us) < 2 or len(vs) < 2:
        return WallResult(np.zeros_like(body), (), (), False)
    ts = np.arange(0.0, 60.0, 0.5)
    uu, vv, tt = np.meshgrid(us, vs, ts, indexing="ij")
    pts = centroid_lps + uu[..., None] * left + vv[..., None] * axis + tt[..., None] * posterior
    inside = roi.sample(body, pts, order=0) > 0.5
    any_in: BoolArray = np.asarray(inside.any(axis=2), dtype=bool)
    # the posterior surface: the last sample inside the body along each ray
    last = np.where(any_in, inside.shape[2] - 1 - np.argmax(inside[..., ::-1], axis=2), 0)
    t_surface = ts[last]
    window = np.arange(PEAK_WINDOW_MM[0], PEAK_WINDOW_MM[1] + 0.01, 0.5)
    wt = t_surface[..., None] + window
    wpts = (
        centroid_lps
        + us[:, None, None, None] * left
        + vs[None, :, None, None] * axis
        + wt[..., None] * posterior
    )
    peak = roi.sample(smoothed, wpts, order=1).max(axis=2)
    surface_pts = centroid_lps + us[:, None, None] * left + vs[None, :, None] * axis
    surface_pts = surface_pts + t_surface[..., None] * posterior

    assessed = bool(any_in.sum() >= 0.5 * any_in.size)
    defects: list[WallDefect] = []
    if assessed:
        wall_contrast = float(np.median(peak[any_in])) - trabecular_hu
        # a wall much weaker than the body's other cortex is judged against that cortex instead
        contrast = max(wall_contrast, WALL_CONTRAST_FRACTION * (body_cortex_hu - trabecular_hu))
        missing = any_in & (peak < trabecular_hu + 0.5 * contrast)
        labels, n = ndimage.label(missing)
        for lab in range(1, n + 1):
            comp = labels == lab
            area = float(comp.sum()) * WALL_STEP_MM**2
            if area < MIN_DEFECT_MM2:
                continue
            cpts = surface_pts[comp]
            center = cpts.mean(axis=0)
            diffs = cpts[:, None, :] - cpts[None, :, :]
            extent = float(np.sqrt((diffs**2).sum(axis=2)).max()) + WALL_STEP_MM
            where = (
                "left of midline"
                if center @ left - centroid_lps @ left > 2.0
                else (
                    "right of midline"
                    if center @ left - centroid_lps @ left < -2.0
                    else "midline, where the basivertebral foramen lies"
                )
            )
            defects.append(
                WallDefect(
                    center_lps=(float(center[0]), float(center[1]), float(center[2])),
                    size_mm=extent,
                    description=f"posterior wall gap, {area:.0f} mm^2, {where}",
                )
            )

    # the band: body voxels within WALL_BAND_MM of the posterior surface, in the wall's extent
    band = np.zeros_like(body)
    idx = np.argwhere(body)
    bpts = roi.index_to_lps(idx.astype(np.float64))
    rel = bpts - centroid_lps
    bu, bv, bt = rel @ left, rel @ axis, rel @ posterior
    in_extent = (bu >= us[0] - 0.5) & (bu <= us[-1] + 0.5) & (np.abs(bv) <= v_half + 0.5)
    iu = np.clip(np.rint((bu - us[0]) / WALL_STEP_MM).astype(int), 0, len(us) - 1)
    iv = np.clip(np.rint((bv - vs[0]) / WALL_STEP_MM).astype(int), 0, len(vs) - 1)
    near = in_extent & any_in[iu, iv] & (bt >= t_surface[iu, iv] - WALL_BAND_MM)
    band[tuple(idx[near].T)] = True

    stride = max(1, round(WALL_POINT_STEP_MM / WALL_STEP_MM))
    points: list[tuple[float, float, float]] = []
    for jv in range(0, len(vs), stride):  # caudal to cranial
        for ju in range(len(us) - 1, -1, -stride):  # patient left to right
            if any_in[ju, jv]:
                q = surface_pts[ju, jv]
                points.append((float(q[0]), float(q[1]), float(q[2])))
    defects.sort(key=lambda d: -d.size_mm)
    return WallResult(band, tuple(points), tuple(defects), assessed)
