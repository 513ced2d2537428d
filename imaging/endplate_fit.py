"""An end plate's plane, read on the CT where it can be, and how far its tilt can be trusted.

The plane comes from the first of these that gives one:

1. the CT's edge column by column (:mod:`imaging.endplate_edge`), where the end plate's fall into the disc
   stands out of one column's noise over at least half of the body's middle;
2. the edge on the columns' mean profile lined up along the plate (:mod:`imaging.endplate_mean_edge`), where
   the fall is too faint for single columns (a thin disc between thick slices: abdomen T12 / L1);
3. the middle of the end plate layer of the body's mask (:func:`imaging.endplate_plane.endplate_plane`): the
   mask's slice steps, whose tilt moves with the click by up to 20 degrees on 3 mm slices
   (tests/benchmarks/endplate_click_spread.py, session 25): no uncertainty is given, the tilt is uncertain.
   But not when the CT's edge, on the columns that show one, lies inside the layer's plane: the mask then
   ran past the end plate into the disc (or beyond) and its layer's tilt is that of whatever it ran into,
   not the end plate's: the tilt is not measured (:class:`TiltNotMeasured`). Chest T12's body from the click
   3 mm behind its centre ran through the 2 mm-slice disc to the scan's lower end (z -165 against -157 at
   the other seven clicks); two thirds of its columns then read past the scan's end, the mean profile left
   the scan, and the layer, a dome over the disc, read sagittal -7.4 against +7.2..+7.3 from the CT's edge
   at the other clicks; the edge read on its other columns lay 2.7 mm inside that layer's plane (median).

The uncertainty is a block jackknife: the plate's footprint is cut into 3 x 3 blocks of about equal numbers of
columns (:func:`imaging.endplate_mean_edge.plate_blocks`) and the plane fitted again with each block left
out; the standard error of a tilt is sqrt((m - 1) / m * sum((tilt_k - mean)^2)) over the m fits. Blocks, not
single columns, are left out because neighbouring columns share the same voxels and the same slice steps,
so their errors are not independent. The uncertainty said is twice the larger standard error of the
sagittal and coronal tilts (about 95 % when the errors are near normal).

A plane read on the mean profile is also read again with its columns tipped by :data:`AXIS_TIP_DEG` each way
across the body's axis, and its uncertainty is at least the largest change of its tilts between those reads.
The columns run along the body's axis, which comes from the mask's faces and moves with the click; the mean
edge's sharpness is flat near its best (abdomen T12 inferior: 0.5 % lower 1 degree away), so the tilt read
follows the columns' direction in part, and the jackknife, which keeps the axis, does not see that: T12
inferior's +0.6 mm click (axis leaning 6.7 degrees sagittally against 3.7 at the body's click) read +19.5
with a jackknife of ±0.6, 1.6 from the label reference along the axis (+17.9) and 2.4 from the clicks'
median (tests/imaging/test_endplate_click_spread.py). Column-edge planes follow the columns' own points and
are not re-read: their jackknife covered their error at every click measured
(tests/imaging/test_endplate_reference.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from imaging.endplate_edge import column_edges, edge_points, endplate_edge_points, plate_columns
from imaging.endplate_mean_edge import BLOCKS_PER_SIDE, mean_edge_plane, plate_blocks
from imaging.endplate_plane import (
    MIN_ENDPLATE_POINTS,
    TILT_FROM_EDGE,
    TILT_FROM_MEAN_EDGE,
    EndplatePlane,
    endplate_plane,
)
from imaging.vertebra_roi import LpsRoi, perpendicular_pair
from imaging.volume import Volume

__all__ = [
    "AXIS_TIP_DEG",
    "LAYER_PAST_EDGE_WORDS",
    "UNCERTAINTY_SES",
    "TiltNotMeasured",
    "fit_endplate",
    "layer_past_edge_mm",
    "tilt_uncertainty_deg",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: the uncertainty said is this many standard errors (about 95 % for a near normal error)
UNCERTAINTY_SES = 2.0
#: how far a mean-edge plane's columns are tipped from the body's axis to see how its tilt follows them
#: (degrees): the axis, read from the mask's faces on 3 mm slices, moved by 3.0 degrees between clicks a
#: slice apart in one body (abdomen T12, five clicks of tests/imaging/test_endplate_click_spread.py:
#: sagittal lean +3.7..+6.7), about one slice step across the body's width (atan(3 / 57 mm))
AXIS_TIP_DEG = 3.0
#: the layer's plane is not the end plate's when it lies outwards of the CT's edge, where columns read one, by
#: more than this (mm: the edge's median distance inside the plane along its outward normal). The layer is the
#: mask's outer 2 mm (imaging.body_result.ENDPLATE_LAYER_MM), so its plane lies about 1 mm inside the mask's
#: end, and the mask ends near the bone's half-maximum edge: the end plate's edge lies outwards of the plane.
#: Measured at the 8 clicks of tests/benchmarks/endplate_click_spread.py on chest T7-T12 (2 mm slices, both
#: plates, tests/benchmarks/endplate_layer_check.py): the edge lay 0.6-3.8 mm outwards of every layer's plane
#: (T7 superior, whose plane is the layer's: 3.7-3.8), but 2.7 mm inside it on T12 inferior's one layer that
#: ran through the disc (the module's docstring)
LAYER_PAST_EDGE_MM = 0.0
#: why the tilt of such a layer is not said
LAYER_PAST_EDGE_WORDS = (
    "the body's outline runs past the end plate's edge on the CT (into the disc), so its layer's tilt is "
    "not the end plate's"
)


@dataclass(frozen=True)
class TiltNotMeasured:
    """An end plate found as a layer of the body's mask whose tilt cannot be said, and why."""

    reason: str


def fit_endplate(
    volume: Volume,
    roi: LpsRoi,
    body: BoolArray,
    layer: BoolArray,
    axis_lps: npt.ArrayLike,
    *,
    superior: bool,
) -> EndplatePlane | TiltNotMeasured | None:
    """The end plate's plane with its tilt's uncertainty and what it was read from, :class:`TiltNotMeasured`
    when only the mask's layer is left and the CT's edge contradicts it, or None when the layer is too small
    for a plane (see the module).

    Parameters
    ----------
    volume
        The source CT.
    roi, body, layer
        The ROI, the body's mask and its end plate layer on it.
    axis_lps
        The body's superior unit axis (LPS).
    superior
        True for the superior end plate, False for the inferior one.
    """
    axis = np.asarray(axis_lps, dtype=np.float64)
    cols = plate_columns(roi, body, axis, superior=superior)
    read = np.empty((0, 3))
    if cols is not None:
        edges = column_edges(volume, cols)
        read = edge_points(cols, edges)
        edge = endplate_edge_points(volume, cols, edges)
        if edge is not None:
            rel = edge - cols.centre
            blocks = plate_blocks(np.c_[rel @ cols.e1, rel @ cols.e2])
            left_out = [edge[blocks != k] for k in range(BLOCKS_PER_SIDE**2)]
            plane = _with_spread(edge, left_out, axis, superior, TILT_FROM_EDGE)
            if plane is not None:
                return plane
        mean = mean_edge_plane(volume, cols)
        if mean is not None:
            plane = _with_spread(mean.points, mean.left_out, axis, superior, TILT_FROM_MEAN_EDGE)
            if plane is not None:
                moved = _tipped_change_deg(volume, roi, body, axis, plane, superior=superior)
                spread = plane.tilt_uncertainty_deg
                return replace(plane, tilt_uncertainty_deg=max(moved, math.inf if spread is None else spread))
    plane = endplate_plane(roi.voxel_points_lps(layer), axis, superior=superior)
    if plane is not None and layer_past_edge_mm(plane, read) > LAYER_PAST_EDGE_MM:
        return TiltNotMeasured(LAYER_PAST_EDGE_WORDS)
    return plane


def layer_past_edge_mm(plane: EndplatePlane, edge: FloatArray) -> float:
    """How far the layer's plane lies outwards of the CT's edge points ``edge`` ((n, 3) LPS mm, those the
    columns read, :func:`imaging.endplate_edge.edge_points`): minus their median distance along its outward
    normal (mm; negative when the edge lies outwards, as it should); -inf when too few points to tell."""
    if len(edge) < MIN_ENDPLATE_POINTS:
        return -math.inf
    out = (edge - np.asarray(plane.center_lps)) @ np.asarray(plane.normal_lps)
    return -float(np.median(out))


def tilt_uncertainty_deg(whole: EndplatePlane, left_out: list[EndplatePlane]) -> float:
    """:data:`UNCERTAINTY_SES` block-jackknife standard errors of the sagittal or coronal tilt, the larger."""
    m = len(left_out)
    if m < 2:
        return math.inf
    worst = 0.0
    for tilts in (
        np.array([p.sagittal_tilt_deg for p in left_out]),
        np.array([p.coronal_tilt_deg for p in left_out]),
    ):
        worst = max(worst, math.sqrt((m - 1) / m * float(np.sum((tilts - tilts.mean()) ** 2))))
    return UNCERTAINTY_SES * worst


def _with_spread(
    points: FloatArray, left_out: list[FloatArray], axis: FloatArray, superior: bool, source: str
) -> EndplatePlane | None:
    plane = endplate_plane(points, axis, superior=superior, middle_only=False)
    if plane is None:
        return None
    fits = [
        p
        for pts in left_out
        if len(pts) >= MIN_ENDPLATE_POINTS
        and (p := endplate_plane(pts, axis, superior=superior, middle_only=False)) is not None
    ]
    return replace(plane, tilt_from=source, tilt_uncertainty_deg=tilt_uncertainty_deg(plane, fits))


def _tipped_change_deg(
    volume: Volume, roi: LpsRoi, body: BoolArray, axis: FloatArray, plane: EndplatePlane, *, superior: bool
) -> float:
    """The largest change of the mean-edge plane's sagittal or coronal tilt when its columns are tipped by
    :data:`AXIS_TIP_DEG` each way about the two directions across the axis (tipped reads that find no mean
    edge are left out; 0 when none finds one)."""
    worst = 0.0
    tip = math.radians(AXIS_TIP_DEG)
    for across in perpendicular_pair(axis):
        for sign in (-1.0, 1.0):
            # the axis turned by the tip about ``across`` (perpendicular to it): Rodrigues' rotation
            tipped = axis * math.cos(tip) + sign * np.cross(across, axis) * math.sin(tip)
            cols = plate_columns(roi, body, tipped, superior=superior)
            mean = None if cols is None else mean_edge_plane(volume, cols, jackknife=False)
            other = (
                None
                if mean is None
                else endplate_plane(mean.points, tipped, superior=superior, middle_only=False)
            )
            if other is not None:
                worst = max(
                    worst,
                    abs(other.sagittal_tilt_deg - plane.sagittal_tilt_deg),
                    abs(other.coronal_tilt_deg - plane.coronal_tilt_deg),
                )
    return worst
