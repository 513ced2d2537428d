"""Bone on a vertebra's ROI: smoothed HU, thresholded bone, closed bone and the bony solids.

Works on an :class:`imaging.vertebra_roi.LpsRoi` (LPS-aligned, isotropic, HU); sizes mm. Bone is the
smoothed HU above a bone threshold (the cortex is what matters: real osteoporotic trabecular bone can
read like muscle, so the body is what the cortical shell encloses); the bony *solid* fills the holes
of that shell in coronal and sagittal planes (an axial fill would also fill the spinal canal, which
the bone ring of body, pedicles and lamina encloses). Smoothing only averages voxels inside the field
of view. Used by :mod:`imaging.vertebra_body`, :mod:`imaging.vertebra` and
:mod:`imaging.vertebra_foramina`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_roi import LpsRoi

__all__ = [
    "BONE_THRESHOLD_HU",
    "CLOSING_MM",
    "EDGE_SMOOTHING_MM",
    "SMOOTHING_MM",
    "BonyMasks",
    "bony_solid",
    "plane_structure",
]

BoolArray = npt.NDArray[np.bool_]

#: bone threshold on the smoothed ROI (HU); between soft tissue / disc (< 100) and cortex (> 250),
#: within the generic 130-3000 HU bone range of CLINICAL.md
BONE_THRESHOLD_HU = 150.0
#: Gaussian smoothing of the ROI before thresholding (mm); tames real-CT noise of ~50-90 HU
SMOOTHING_MM = 0.8
#: lighter smoothing used to place edges (mm)
EDGE_SMOOTHING_MM = 0.4
#: closing radius that seals gaps in a thin, noisy cortex (mm)
CLOSING_MM = 1.5


@dataclass(frozen=True, eq=False)
class BonyMasks:
    """Bone on a ROI: smoothed HU, thresholded bone, closed bone, and two filled solids.

    ``arch_solid`` fills holes in coronal planes only (pedicle and body interiors, never the canal);
    ``solid`` also fills sagittal planes (body interiors whose coronal ring has a gap).
    ``arch_bone`` is the unclosed bone with coronal holes filled: pedicle cross-sections without the
    webs a closing spins into the corners between pedicle and body.
    """

    smoothed: npt.NDArray[np.float32]
    sharp: npt.NDArray[np.float32]
    bone: BoolArray
    closed: BoolArray
    arch_solid: BoolArray
    solid: BoolArray
    arch_bone: BoolArray  # bone with coronal holes filled, no closing (no webs in concave corners)
    #: voxels whose HU says nothing of the tissue (metal and its streaks, imaging.metal_unknown), or None
    unknown: BoolArray | None = None


def bony_solid(roi: LpsRoi) -> BonyMasks:
    """Bone mask, closed bone and bony solids on a ROI (see :class:`BonyMasks`)."""
    smoothed = _smooth_in_view(roi, SMOOTHING_MM)
    bone = smoothed > BONE_THRESHOLD_HU
    # closing seals gaps in a thin or noisy cortex (up to twice the radius wide)
    closed = _close(bone, CLOSING_MM, roi.spacing_mm)
    arch_solid = closed | ndimage.binary_fill_holes(closed, structure=plane_structure(1))
    solid = arch_solid | ndimage.binary_fill_holes(closed, structure=plane_structure(2))
    sharp = _smooth_in_view(roi, EDGE_SMOOTHING_MM)
    arch_bone = bone | ndimage.binary_fill_holes(bone, structure=plane_structure(1))
    return BonyMasks(
        smoothed=smoothed,
        sharp=sharp,
        bone=bone,
        closed=closed,
        arch_solid=arch_solid,
        solid=solid,
        arch_bone=arch_bone,
    )


def plane_structure(axis: int) -> npt.NDArray[np.bool_]:
    """3x3x3 structure connecting only within planes normal to ``axis``.

    Parameters
    ----------
    axis
        The ROI array axis (0, 1 or 2) the planes are normal to.

    Returns
    -------
    ndarray
        A ``(3, 3, 3)`` boolean structure for :mod:`scipy.ndimage`: the 4-connected cross in the
        middle plane, nothing across planes.
    """
    s = np.zeros((3, 3, 3), dtype=bool)
    sl: list[slice | int] = [slice(None)] * 3
    sl[axis] = 1
    s[tuple(sl)] = ndimage.generate_binary_structure(2, 1)
    return s


def _close(mask: BoolArray, radius_mm: float, spacing_mm: float) -> BoolArray:
    """Closing with the 3x3x3 cube (radius 1-1.7 voxels) repeated to reach ``radius_mm``."""
    steps = max(1, round(radius_mm / (1.5 * spacing_mm)))
    cube = np.ones((3, 3, 3), dtype=bool)
    grown = ndimage.binary_dilation(mask, structure=cube, iterations=steps)
    out: BoolArray = np.asarray(
        ndimage.binary_erosion(grown, structure=cube, iterations=steps, border_value=1)
    )
    return out | mask


def _smooth_in_view(roi: LpsRoi, sigma_mm: float) -> npt.NDArray[np.float32]:
    """Gaussian-smoothed HU that only averages voxels inside the field of view.

    The edge of the field of view is not air: smoothing the ROI's ``OUTSIDE_HU`` into the voxels
    beside it would draw fat-like values along it (normalised convolution instead; outside stays).
    """
    sigma = sigma_mm / roi.spacing_mm
    if roi.inside.all():
        plain: npt.NDArray[np.float32] = ndimage.gaussian_filter(roi.array, sigma=sigma).astype(np.float32)
        return plain
    weight = roi.inside.astype(np.float32)
    num = ndimage.gaussian_filter(np.where(roi.inside, roi.array, 0.0).astype(np.float32), sigma=sigma)
    den = ndimage.gaussian_filter(weight, sigma=sigma)
    out = np.where(roi.inside, num / np.maximum(den, 1e-6), roi.array)
    return out.astype(np.float32)
