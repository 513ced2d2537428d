"""imaging.pedicle_axis_choice: of candidate axes, the one centred in the pedicle's bone is chosen.

Phantom (by construction): a pedicle-like elliptic tube, ``HALF_WIDTH_MM`` x ``HALF_HEIGHT_MM`` with a
``CORTEX_MM`` cortex round a marrow, running in the axial plane at ``TUBE_DEG`` from the posterior
direction (+y), on 1 mm voxels, thresholded into its bony solid as imaging.vertebra does. Its axis
passes through the origin, where its waist's chord runs across it. A line through the same middle at
``ARCH_DEG`` (bone-lesions case7 right: the sections' line along the arch behind the pedicle, -11..-3
degrees, against the pedicle's 26) leaves the tube's middle within a few millimetres either side of the
waist; so does the true axis moved sideways by half the tube's half width.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.bony_masks import bony_solid
from imaging.pedicle_axis_choice import best_centred, bridge_centring
from imaging.pedicle_waist import WaistChord
from imaging.vertebra_pedicle_sections import VertebraFrame
from imaging.vertebra_roi import LpsRoi, resample_roi
from imaging.volume import Volume, affine_from_geometry

HALF_WIDTH_MM = 4.5
HALF_HEIGHT_MM = 7.0
CORTEX_MM = 1.5
CORTEX_HU = 900.0
MARROW_HU = 250.0
SOFT_HU = 40.0
BLUR_MM = 0.8
TUBE_DEG = 26.0
ARCH_DEG = -10.0
MIN_POSTERIOR = 0.5


def _unit(deg: float) -> npt.NDArray[np.float64]:
    """The axial direction ``deg`` from +y (posterior) towards +x (left)."""
    r = np.radians(deg)
    return np.array([np.sin(r), np.cos(r), 0.0])


def _tube() -> tuple[Volume, LpsRoi, npt.NDArray[np.bool_]]:
    g = np.arange(-25.0, 25.0 + 1e-9, 1.0)
    z, y, x = np.meshgrid(g, g, g, indexing="ij")
    d = _unit(TUBE_DEG)
    across = np.array([d[1], -d[0], 0.0])
    w = x * across[0] + y * across[1]
    outer = (w / HALF_WIDTH_MM) ** 2 + (z / HALF_HEIGHT_MM) ** 2 <= 1.0
    inner = (w / (HALF_WIDTH_MM - CORTEX_MM)) ** 2 + (z / (HALF_HEIGHT_MM - CORTEX_MM)) ** 2 <= 1.0
    values = np.where(inner, MARROW_HU, np.where(outer, CORTEX_HU, SOFT_HU))
    values = ndimage.gaussian_filter(values, BLUR_MM).astype(np.float32)  # [slice (z), row (y), col (x)]
    volume = Volume(values, affine_from_geometry((-25.0, -25.0, -25.0), (1.0, 1.0, 1.0), np.eye(3)))
    roi = resample_roi(volume, np.zeros(3), np.array([20.0, 20.0, 20.0]), 1.0)
    return volume, roi, bony_solid(roi).arch_bone


def _frame() -> VertebraFrame:
    return VertebraFrame(
        centroid_lps=np.zeros(3),
        axis=np.array([0.0, 0.0, 1.0]),
        posterior=np.array([0.0, 1.0, 0.0]),
        left=np.array([1.0, 0.0, 0.0]),
        canal_center_u_mm=-15.0,
        canal_half_width_mm=8.0,
        wall_t_mm=-10.0,
        body_back_t_mm=-8.0,
        canal_t_mm=5.0,
        height_mm=20.0,
    )


def test_the_tubes_own_axis_is_best_centred() -> None:
    volume, roi, solid = _tube()
    frame = _frame()
    d = _unit(TUBE_DEG)
    across = np.array([d[1], -d[0], 0.0])
    chord = WaistChord(-HALF_WIDTH_MM * across, HALF_WIDTH_MM * across, 2.0 * HALF_WIDTH_MM)
    axis = (d, np.zeros(3))
    arch = (_unit(ARCH_DEG), np.zeros(3))
    aside = (d, 0.5 * HALF_WIDTH_MM * across)
    (chosen, _), scores = best_centred(
        [arch, aside, axis],
        volume=volume,
        roi=roi,
        solid=solid,
        frame=frame,
        chord=chord,
        min_posterior=MIN_POSTERIOR,
    )
    assert chosen is axis[0], f"scores arch/aside/axis {scores}"
    # centred throughout: the tube's own axis reads near 1, the others clearly less
    assert scores[2] >= 0.9, scores
    assert max(scores[0], scores[1]) <= scores[2] - 0.2, scores


def test_a_line_outside_bone_scores_zero() -> None:
    volume, roi, solid = _tube()
    d = _unit(TUBE_DEG)
    across = np.array([d[1], -d[0], 0.0])
    score = bridge_centring(
        volume,
        roi,
        solid,
        point=3.0 * HALF_WIDTH_MM * across,
        direction=d,
        frame=_frame(),
        t_range_mm=(-8.0, 8.0),
        min_posterior=MIN_POSTERIOR,
    )
    assert score == 0.0
