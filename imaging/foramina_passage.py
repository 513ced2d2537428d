"""Which levels between a pedicle and the next one are open: step 2 of :mod:`imaging.vertebra_foramina`.

Going up (or down) from a pedicle along the body axis, each level's cross-section of the foramen's box is
*open* when soft tissue leads through it from the canal side (the pedicle's medial border) to the lateral
side (its lateral border). A pedicle closes its level, joining the body to the posterior elements; the
foramen runs from the first open level to the next closed one. Frame coordinates (``u`` towards the
patient's left, ``v`` along the body axis towards superior, ``t`` posterior towards the canal) are those
of :class:`imaging.foramina_frame.ForaminaFrame`, in mm; the maps lie on the finder's 1 mm region
(:class:`imaging.vertebra_roi.LpsRoi`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.foramina_frame import ForaminaFrame, PedicleBounds
from imaging.vertebra_roi import LpsRoi

__all__ = ["open_levels"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def open_levels(  # noqa: PLR0917 - the step's maps and places, in the order of vertebra_foramina._one
    frame: ForaminaFrame,
    roi: LpsRoi,
    maps: tuple[BoolArray, BoolArray],
    ped: PedicleBounds,
    backs: FloatArray,
    vs: FloatArray,
    *,
    t_end_mm: float,
) -> tuple[BoolArray, FloatArray]:
    """Per level ``v``: is there soft tissue leading from the canal side to the lateral side?

    At each level the cross-section of the box (lateral coordinate from the pedicle's medial to its
    lateral border, ``t`` from the bodies' back to behind the pedicle) is sampled at 1 mm; the level is
    open when one non-bone region touches both the medial and the lateral column. A pedicle closes
    its level (it joins the body to the posterior elements); the foramen between two pedicles is open.
    Also returns the share of each cross-section inside the scanned volume.

    ``maps`` are the region's bone and its voxels trusted as in view, ``backs`` the bodies' back (``t``)
    at the pedicle's lateral bins (``ped.bins``), ``vs`` the levels and ``t_end_mm`` the box's posterior
    end (the pedicle's back plus the articular pillar's reach), all mm.
    """
    bone, inside_roi = maps
    lat = np.arange(ped.u_med, ped.u_lat + 0.5 * roi.spacing_mm, roi.spacing_mm)
    front = np.interp(lat, ped.bins, backs)
    t_lo = float(np.min(front))
    ts = np.arange(t_lo, t_end_mm + 0.5 * roi.spacing_mm, roi.spacing_mm)
    grid = np.empty((len(vs), len(lat), len(ts), 3))
    grid[..., 0] = ped.sign * lat[None, :, None]
    grid[..., 1] = vs[:, None, None]
    grid[..., 2] = ts[None, None, :]
    lps = frame.to_lps(grid)
    soft = roi.sample(bone.astype(np.float32), lps) < 0.5
    soft &= ts[None, None, :] > front[None, :, None]
    inside = roi.sample(inside_roi.astype(np.float32), lps) >= 0.5
    soft &= inside
    # every level's regions labelled at once, connected within the level only (one call, not one per
    # level: a label belongs to one level); a level is open when a label touches both columns
    within_level = np.zeros((3, 3, 3), dtype=bool)
    within_level[1] = ndimage.generate_binary_structure(2, 1)
    labels, n = ndimage.label(soft, structure=within_level)
    open_ = np.zeros(len(vs), dtype=bool)
    if n:
        both = np.intersect1d(labels[:, 0, :], labels[:, -1, :])
        both = both[both > 0]
        open_ = np.asarray(np.isin(labels[:, 0, :], both).any(axis=1), dtype=bool)
    return open_, inside.reshape(len(vs), -1).mean(axis=1)
