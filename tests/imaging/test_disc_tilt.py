"""The body's discs read along a tilted axis only where that axis shows them more clearly than the given one.

imaging.disc_tilt reads the discs above and below a point along axes tilted around the canal's line when
the line bounds no plausible body. The line can bound none for a reason that has nothing to do with
tilt: a point on an endplate, past its ridge (imaging.vertebra_discs.body_slab takes no disc the point is
on as a bound). bone-lesions case1's "click" lies 2.5 mm below its body's upper endplate ridge on the
canal's line, which body_slab once took for too near: the discs there scored 298 and 312 HU, yet a 38
degree tilt whose discs scored 138 and 340 was taken, and the body cut along it turned the left
pedicle's axis 6 degrees off the images' midline; that disc now bounds the body along the line.
Synthetic layers of bodies, endplates and discs on a 1 mm LPS grid: HU, positions LPS mm, angles degrees.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from imaging.body_height import MAX_ADULT_BODY_HEIGHT_MM
from imaging.disc_tilt import TILT_STEP_DEG, tilted_body_slab
from imaging.vertebra_discs import body_slab
from imaging.vertebra_roi import LpsRoi

#: columns along the layers' normal (mm): lumbar-like bodies 24 mm tall between 8 mm discs, upper
#: thoracic ones 20 mm between 4 mm discs (3-6 mm, imaging.disc_tilt), each body face a 1.5 mm endplate;
#: HU of trabecular bone, disc and endplate cortex
LUMBAR_MM = (24.0, 8.0)
THORACIC_MM = (20.0, 4.0)
ENDPLATE_MM = 1.5
BODY_HU, DISC_HU, ENDPLATE_HU = 150.0, 60.0, 600.0
#: a blastic lesion in the thoracic body: a ball this far above the body's middle along the normal (mm),
#: its radius (mm) and HU, reaching the upper endplate
LESION_UP_MM, LESION_RADIUS_MM, LESION_HU = 5.0, 5.0, 700.0
#: the ROI: 1 mm voxels, wide enough for the profile (45 mm each way) at the largest tilt tried
SHAPE_ZYX = (121, 81, 81)


def _column(normal_lps: np.ndarray, body_mm: float, disc_mm: float) -> tuple[LpsRoi, np.ndarray]:
    """Layers square to ``normal_lps``; the ROI's centre, LPS (0, 0, 0), lies in a body's middle."""
    n = normal_lps / np.linalg.norm(normal_lps)
    origin = -0.5 * (np.array(SHAPE_ZYX[::-1], dtype=np.float64) - 1.0)  # the ROI's centre at (0, 0, 0)
    k, j, i = np.indices(SHAPE_ZYX, dtype=np.float64)
    h = (i + origin[0]) * n[0] + (j + origin[1]) * n[1] + (k + origin[2]) * n[2]
    # phase 0 at a body's middle: the body spans +-body_mm / 2, the disc above it the next disc_mm
    phase = np.mod(h + 0.5 * body_mm, body_mm + disc_mm) - 0.5 * body_mm
    in_body = np.abs(phase) <= 0.5 * body_mm
    hu = np.where(in_body, BODY_HU, DISC_HU)
    hu = np.where(in_body & (np.abs(phase) > 0.5 * body_mm - ENDPLATE_MM), ENDPLATE_HU, hu)
    hu = ndimage.gaussian_filter(hu, 0.7).astype(np.float32)  # the scanner's blur
    roi = LpsRoi(hu, origin, 1.0, np.ones(SHAPE_ZYX, dtype=bool))
    return roi, n


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(abs(a @ b) / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))))


def test_point_near_an_endplate_is_bounded_along_the_line() -> None:
    """Discs square to the given axis, the point 2.5 mm below the upper endplate's ridge (case1's click;
    the chest CT's clicks 5 mm from the disc's centre): the disc above bounds the body along the line
    itself, one body tall (before: no disc within 3 mm of the point was taken, and the slab ran to the
    next disc beyond, or a tilted axis stood in)."""
    roi, n = _column(np.array([0.0, 0.0, 1.0]), *LUMBAR_MM)
    ridge_mm = 0.5 * LUMBAR_MM[0] - 0.5 * ENDPLATE_MM  # the upper endplate's middle above the body's middle
    point = (ridge_mm - 2.5) * n
    for slab in (body_slab(roi, roi.array, point, n), tilted_body_slab(roi, roi.array, point, n)):
        assert slab is not None
        assert _angle_deg(slab.axis_lps, n) < 1.0
        # the body's faces (+-12 mm from its middle), each within 1.5 mm (the blur's half-maximum edge)
        bottom, top = (float(point @ n) + e for e in (slab.inferior_mm, slab.superior_mm))
        assert abs(bottom + 0.5 * LUMBAR_MM[0]) <= 1.5 and abs(top - 0.5 * LUMBAR_MM[0]) <= 1.5, (bottom, top)


def test_point_past_an_endplate_is_not_read_along_a_tilt() -> None:
    """The point 1 mm past the upper endplate's ridge, on the disc's side: the line bounds no plausible
    body (no disc on the point's side of the disc it is on), and no tilted axis may stand in for it
    (before: a slab along an axis 30 degrees off, its discs smeared, was returned)."""
    roi, n = _column(np.array([0.0, 0.0, 1.0]), *LUMBAR_MM)
    ridge_mm = 0.5 * LUMBAR_MM[0] - 0.5 * ENDPLATE_MM
    point = (ridge_mm + 1.0) * n
    along = body_slab(roi, roi.array, point, n)
    assert along is None or along.height_mm > MAX_ADULT_BODY_HEIGHT_MM  # the premise: none along the line
    slab = tilted_body_slab(roi, roi.array, point, n)
    assert slab is None or _angle_deg(slab.axis_lps, n) < 1.0, (
        f"slab along an axis {_angle_deg(slab.axis_lps, n):.0f} deg off the discs' normal"
    )


def test_discs_tilted_against_the_line_are_read_along_their_normal() -> None:
    """Thin discs whose normal is tilted 30 degrees forwards against the given axis (bone-lesions case7:
    23-30 degrees) and a blastic lesion under the upper endplate (case7's lesion 2): along the given axis
    no body is bounded; the slab is read along the discs' normal (within the search's half step), one
    body tall. The behaviour the check above must keep."""
    t = np.radians(30.0)
    roi, n = _column(np.array([0.0, -np.sin(t), np.cos(t)]), *THORACIC_MM)
    pts = roi.voxel_points_lps(np.ones(roi.shape, dtype=bool)).reshape(*roi.shape, 3)
    lesion = (np.linalg.norm(pts - LESION_UP_MM * n, axis=-1) <= LESION_RADIUS_MM) & (
        np.abs(pts @ n) <= 0.5 * THORACIC_MM[0]
    )
    hu = np.where(lesion, LESION_HU, roi.array).astype(np.float32)
    given = np.array([0.0, 0.0, 1.0])
    assert body_slab(roi, hu, np.zeros(3), given) is None  # the premise: refused along the line
    slab = tilted_body_slab(roi, hu, np.zeros(3), given)
    assert slab is not None
    assert _angle_deg(slab.axis_lps, n) <= 0.5 * TILT_STEP_DEG + 1.0
    assert slab.height_mm == pytest.approx(THORACIC_MM[0], abs=2.0)
