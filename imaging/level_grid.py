"""The local grid the level-anatomy checks look at: argument checks, resampling and the bone threshold.

:mod:`imaging.level_ribs` and :mod:`imaging.level_sacrum` sample the CT on a small grid ``[x, y, z]``
around a vertebra or a click, with axes given as LPS directions (the vertebra's lateral, posterior,
superior, or the patient's own), at :data:`STEP_MM` spacing; points outside the scan read -1000 HU
(air) and are marked out of view. Bone on that grid is the smoothed CT above a threshold.

Positions are LPS mm (+x patient left, +y posterior, +z superior); CT values HU.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: bone threshold after smoothing. The generic bone threshold is 130 HU (CLINICAL.md, 3D Slicer);
#: 150 HU keeps osteoporotic cortex (trabecular L1 bone can fall to ~90 HU, CLINICAL.md) while staying
#: above muscle, vessels with contrast and partial-volume soft tissue at 3 mm.
BONE_THRESHOLD_HU = 150.0
#: Gaussian smoothing before the threshold (noise), mm
SMOOTH_SIGMA_MM = 1.0
#: resampling step, mm: a rib is 6-12 mm thick, so 2 mm keeps it connected and the ROI small (fast)
STEP_MM = 2.0


def point_lps(value: Sequence[float] | npt.ArrayLike, name: str) -> FloatArray:
    """``value`` as 3 finite LPS values (mm); a ValueError naming argument ``name`` otherwise."""
    p = np.asarray(value, dtype=np.float64).reshape(-1)
    if p.shape != (3,) or not np.all(np.isfinite(p)):
        raise ValueError(f'Argument "{name}" must be 3 finite LPS values (mm), got {value!r}')
    return p


def unit_lps(value: Sequence[float] | npt.ArrayLike, name: str) -> FloatArray:
    """``value`` as a unit LPS direction; a ValueError naming argument ``name`` when not a direction."""
    v = point_lps(value, name)
    norm = float(np.linalg.norm(v))
    if norm < 1e-9:
        raise ValueError(f'Argument "{name}" must be a non-zero direction, got {value!r}')
    out: FloatArray = v / norm
    return out


def resample_local(
    volume: Volume, centre: FloatArray, frame: FloatArray, *, xs: FloatArray, ys: FloatArray, zs: FloatArray
) -> tuple[npt.NDArray[np.float32], BoolArray]:
    """HU on the local grid ``[x, y, z]`` (frame columns = local x, y, z in LPS) and the in-view mask."""
    local = np.stack(np.meshgrid(xs, ys, zs, indexing="ij"), axis=-1)
    lps = local @ frame.T + centre
    idx = volume.lps_to_index_points(lps)
    shape = np.asarray(volume.shape)
    inside: BoolArray = np.all((idx >= -0.5) & (idx <= shape - 0.5), axis=-1)
    lo = np.clip(np.floor(idx.reshape(-1, 3).min(axis=0)).astype(int) - 1, 0, shape - 1)
    hi = np.clip(np.ceil(idx.reshape(-1, 3).max(axis=0)).astype(int) + 2, 1, shape)
    out = np.full(inside.shape, -1000.0, dtype=np.float32)
    if not inside.any() or np.any(hi <= lo):
        return out, inside
    sub = np.asarray(volume.array[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]], dtype=np.float32)
    coords = (idx[inside] - lo).T
    out[inside] = ndimage.map_coordinates(sub, coords, order=1, mode="nearest")
    return out, inside


def bone_on_grid(
    hu: npt.NDArray[np.float32], inside: BoolArray, threshold_hu: float, step: float
) -> BoolArray:
    """Bone on the grid (``step`` mm): in view and above ``threshold_hu`` after :data:`SMOOTH_SIGMA_MM`."""
    smooth = ndimage.gaussian_filter(hu, SMOOTH_SIGMA_MM / step, mode="nearest")
    out: BoolArray = (smooth >= threshold_hu) & inside
    return out


def dilate_ball(mask: BoolArray, radius_vox: float) -> BoolArray:
    """``mask`` dilated by a ball of ``radius_vox`` voxels (the grid is isotropic)."""
    r = int(np.ceil(radius_vox))
    g = np.arange(-r, r + 1)
    ball = (g[:, None, None] ** 2 + g[None, :, None] ** 2 + g[None, None, :] ** 2) <= radius_vox**2 + 1e-9
    out: BoolArray = ndimage.binary_dilation(mask, structure=ball)
    return out
