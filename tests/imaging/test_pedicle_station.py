"""imaging.pedicle_station: a pedicle's width across its axis is read where its section is widest.

Phantom (by construction): a pedicle-like elliptic tube along +y, ``HALF_WIDTH_MM`` x ``HALF_HEIGHT_MM``,
a ``CORTEX_MM`` cortex round a marrow, imaged with 1 mm pixels and ``SLICE_MM`` slices (the abdomen
CT's), resampled onto the anatomy's 1 mm ROI and thresholded into its bony solid as imaging.vertebra
does. An axis crossing the section ``AXIS_LOW_MM`` below its middle (less than two slices: abdomen L2's
traced axis lay 2-5 mm below its pedicle's middle) meets it where the ellipse's chord across is
``2 a sqrt(1 - (h / b)^2)``; the section is ``2 a`` wide at mid-height.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.bony_masks import bony_solid
from imaging.pedicle_profile import edges_across
from imaging.pedicle_station import STATION_REACH_VOXELS, widest_edges
from imaging.vertebra_roi import LpsRoi, resample_roi
from imaging.volume import Volume, affine_from_geometry

HALF_WIDTH_MM = 4.5
HALF_HEIGHT_MM = 7.0
CORTEX_MM = 1.5
CORTEX_HU = 900.0
MARROW_HU = 250.0
SOFT_HU = 40.0
BLUR_MM = 0.8
SLICE_MM = 3.0
#: the axis's height below the section's middle (mm): 2 mm from its lower edge, where the line across
#: at the axis's height reads 7.4 mm on these slices
AXIS_LOW_MM = 5.0
#: half-maximum edges of a 1.5 mm cortex blurred by 0.8 mm and read on 3 mm slices, and the two-of-three
#: rule over 1 mm heights near the oval's middle: within 1 mm of its width
WIDTH_TOLERANCE_MM = 1.0


def _tube() -> tuple[Volume, LpsRoi, npt.NDArray[np.bool_]]:
    """The tube at x = z = 0 on 1 mm pixels and 3 mm slices, its ROI and bony solid."""
    xy = np.arange(-20.0, 20.0 + 1e-9, 1.0)
    zs = np.arange(-21.0, 21.0 + 1e-9, SLICE_MM)
    fine = np.arange(-21.5, 21.5 + 1e-9, 0.25)  # the slices integrate the tube over their thickness
    x = xy[None, :]
    z = fine[:, None]
    outer = (x / HALF_WIDTH_MM) ** 2 + (z / HALF_HEIGHT_MM) ** 2 <= 1.0
    inner = (x / (HALF_WIDTH_MM - CORTEX_MM)) ** 2 + (z / (HALF_HEIGHT_MM - CORTEX_MM)) ** 2 <= 1.0
    plane = np.where(inner, MARROW_HU, np.where(outer, CORTEX_HU, SOFT_HU))  # (fine z, x)
    plane = ndimage.gaussian_filter(plane, (BLUR_MM / 0.25, BLUR_MM))
    thick = np.array([plane[np.abs(fine - zc) <= 0.5 * SLICE_MM].mean(axis=0) for zc in zs])  # (z, x)
    values = np.repeat(thick[:, None, :], len(xy), axis=1).astype(np.float32)  # [slice, row (y), col (x)]
    volume = Volume(values, affine_from_geometry((-20.0, -20.0, -21.0), (SLICE_MM, 1.0, 1.0), np.eye(3)))
    roi = resample_roi(volume, np.zeros(3), np.array([15.0, 15.0, 15.0]), 1.0)
    return volume, roi, bony_solid(roi).arch_bone


def test_width_is_read_where_the_section_is_widest() -> None:
    volume, roi, solid = _tube()
    across, up = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
    point = np.array([0.0, 0.0, -AXIS_LOW_MM])
    # heights within 2.5 slices of the axis reach past the section's middle
    assert AXIS_LOW_MM <= STATION_REACH_VOXELS * SLICE_MM
    chord = 2.0 * HALF_WIDTH_MM * np.sqrt(1.0 - (AXIS_LOW_MM / HALF_HEIGHT_MM) ** 2)
    at_axis = edges_across(volume, roi, solid, point=point, across=across, up=up)
    # the premise: at the axis's own height the line reads less than the section's width
    assert at_axis is None or at_axis[1] - at_axis[0] < 2.0 * HALF_WIDTH_MM - WIDTH_TOLERANCE_MM
    edges = widest_edges(volume, roi, solid, point=point, across=across, up=up)
    assert edges is not None
    width = edges[1] - edges[0]
    assert abs(width - 2.0 * HALF_WIDTH_MM) <= WIDTH_TOLERANCE_MM, (
        f"{width:.2f} mm, the section is {2 * HALF_WIDTH_MM:.0f} mm wide (chord at the axis {chord:.1f} mm)"
    )


def test_no_width_where_the_axis_is_not_in_the_pedicle() -> None:
    """A point above the section, beyond a step from its top, has no width, though the section lies
    within reach below it: the axis is not in this pedicle there."""
    volume, roi, solid = _tube()
    across, up = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
    point = np.array([0.0, 0.0, HALF_HEIGHT_MM + 3.0])
    assert widest_edges(volume, roi, solid, point=point, across=across, up=up) is None
