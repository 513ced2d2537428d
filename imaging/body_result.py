"""The vertebral body found on a ROI, and its measures: axis, height, endplates, bone levels.

:class:`BodyResult` is what :func:`imaging.vertebra_body.find_body` returns; :func:`describe_body`
builds it from the body's mask. The body axis is the mean outward normal of its upper and lower faces
(the endplates); the height is the body's extent along that axis near its centre (or, when the body
was traced by rays, the rays along the axis); the endplates are the body's surface layers facing up
and down. Works on an :class:`imaging.vertebra_roi.LpsRoi` grid; positions LPS mm, lengths mm, HU.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_discs import BodySlab
from imaging.vertebra_roi import LpsRoi, perpendicular_pair
from imaging.vertebra_star import StarBody

__all__ = [
    "ENDPLATE_LAYER_MM",
    "HEIGHT_RADIUS_MM",
    "HEIGHT_RAY_COS",
    "BodyMethod",
    "BodyResult",
    "body_axis",
    "describe_body",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: thickness of the endplate layer (mm)
ENDPLATE_LAYER_MM = 2.0
#: radius around the body axis in which the height is measured (mm)
HEIGHT_RADIUS_MM = 8.0
#: rays within this cosine of the body axis measure the height (about 18 degrees)
HEIGHT_RAY_COS = 0.95
#: body voxels within this many ROI voxels of the scan's edge touch it (as
#: :meth:`imaging.vertebra_roi.LpsRoi.reaches_view_edge` counts it)
VIEW_EDGE_VOXELS = 2
#: an end of the body is cut by the scan's edge when the body's section on the edge is at least this
#: fraction of its mean cross-section (its volume over its height): an endplate's rim grazing the edge
#: touches it along a thin ring, a cut face over most of the section
VIEW_CUT_FRACTION = 0.3
#: ... and lies further than this fraction of the height from the centroid along the axis (an end, not
#: a side)
VIEW_CUT_END_FRACTION = 0.25


class BodyMethod(StrEnum):
    """How the body was delineated."""

    RAYS = "rays"  # star-shaped region to the cortex, rays from inside (imaging.vertebra_star)
    OPENED_SOLID = "opened-solid"  # bony solid opened with a ball (when no cortex could be traced)


@dataclass(frozen=True, eq=False)
class BodyResult:
    """The vertebral body found on a ROI."""

    solid: BoolArray  # bony solid (bone with its enclosed holes), posterior elements included
    bone: BoolArray  # thresholded bone
    smoothed_hu: npt.NDArray[np.float32]
    body: BoolArray
    centroid_lps: FloatArray
    axis_lps: FloatArray  # unit vector, superior
    height_mm: float
    superior_endplate: BoolArray
    inferior_endplate: BoolArray
    method: BodyMethod
    trabecular_hu: float  # median HU of the body's core
    cortex_hu: float  # typical cortical peak HU around the body
    caps_in_view: bool  # both endplates were seen (not cut by the field of view)
    slab: BodySlab | None = None  # the body between its discs, when they were found
    #: the body's ends cut by the edge of the scan ("superior", "inferior"): there the body's face is the
    #: scan's edge, not an endplate, and its height and volume are partial
    cut_by_view: tuple[str, ...] = ()
    #: the share of the body's surface filled from its neighbours where metal or its streaks hid it
    inferred_fraction: float = 0.0


def describe_body(
    roi: LpsRoi,
    body: BoolArray,
    *,
    solid: BoolArray,
    bone: BoolArray,
    smoothed: npt.NDArray[np.float32],
    method: BodyMethod,
    cortex_hu: float,
    star: StarBody | None = None,
    slab: BodySlab | None = None,
    unknown: BoolArray | None = None,
) -> BodyResult:
    """The body's result from its mask: centroid, axis, height, endplates and trabecular level.

    Parameters
    ----------
    roi
        The ROI the masks are on.
    body
        The body's mask on the ROI grid (not empty).
    solid, bone, smoothed
        The bony solid, thresholded bone and smoothed HU of :func:`imaging.bony_masks.bony_solid`,
        carried into the result.
    method
        How the body was delineated.
    cortex_hu
        The typical cortical peak around the body (HU).
    star
        The traced star when the body came from rays: its rays along the axis give the height to
        the endplates' half-maximum edges, and tell whether both endplates were in view.
    slab
        The body's extent between its discs, when found, carried into the result.
    unknown
        Voxels hidden by metal or its streaks (ROI grid), left out of the trabecular level; or None.

    Returns
    -------
    BodyResult
        The body and its measures; the trabecular level is the median smoothed HU deeper than 5 mm
        inside the body (or of the whole body when none is that deep).
    """
    sp = roi.spacing_mm
    pts = roi.voxel_points_lps(body)
    centroid = pts.mean(axis=0)
    # work in the body's box (plus a margin) for the surface analysis
    idx = np.argwhere(body)
    lo = np.maximum(idx.min(axis=0) - 3, 0)
    hi = np.minimum(idx.max(axis=0) + 4, body.shape)
    box = body[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    axis = body_axis(box, sp)
    rel = pts - centroid
    along = rel @ axis
    radial = np.linalg.norm(rel - along[:, None] * axis, axis=1)
    central = along[radial <= HEIGHT_RADIUS_MM]
    if len(central) < 10:
        central = along
    height = float(np.percentile(central, 99.5) - np.percentile(central, 0.5) + sp)
    caps_in_view = True
    if star is not None:
        # sub-voxel: the rays along the axis end at the endplates' half-maximum edges
        cos = star.directions @ axis
        for sign in (1.0, -1.0):
            cap = sign * cos > HEIGHT_RAY_COS
            if cap.any() and star.out_of_view[cap].mean() > 0.5:
                caps_in_view = False
        heights = []
        for sign in (1.0, -1.0):
            cap = sign * cos > HEIGHT_RAY_COS
            if cap.sum() >= 3:
                heights.append(float(np.median(star.radii_mm[cap] * sign * cos[cap])))
        if len(heights) == 2:
            offset = float((star.centre_lps - centroid) @ axis)
            height = heights[0] + heights[1] if abs(offset) < 0.5 * sum(heights) else height

    normals, sidx = _surface_normals(box, sp)
    depth = ndimage.distance_transform_edt(box, sampling=sp)
    layer = box & (depth <= ENDPLATE_LAYER_MM)
    surface = box & ~ndimage.binary_erosion(box)
    _, nearest = ndimage.distance_transform_edt(~surface, return_indices=True)
    facing = np.zeros(box.shape, dtype=np.float32)
    facing[tuple(sidx.astype(np.int64).T)] = normals @ axis
    facing_layer = facing[nearest[0], nearest[1], nearest[2]]
    superior = np.zeros_like(body)
    inferior = np.zeros_like(body)
    sl = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    superior[sl] = layer & (facing_layer > 0.7)
    inferior[sl] = layer & (facing_layer < -0.7)
    # a face on the scan's edge is where the scan stops, not an endplate (abdomen T12: its "superior
    # endplate" was the last slice): not reported as one
    cut = _cut_by_view(roi, body, pts, centroid=centroid, axis=axis, height_mm=height)
    for name in cut:
        (superior if name == "superior" else inferior)[:] = False
    caps_in_view = caps_in_view and not cut
    core = depth >= 5.0
    if unknown is not None and (core & ~unknown[sl]).any():
        core &= ~unknown[sl]
    sm_box = smoothed[sl]
    trab = float(np.median(sm_box[core])) if core.any() else float(np.median(sm_box[box]))
    return BodyResult(
        solid=solid,
        bone=bone,
        smoothed_hu=smoothed,
        body=body,
        centroid_lps=centroid,
        axis_lps=axis,
        height_mm=height,
        superior_endplate=superior,
        inferior_endplate=inferior,
        method=method,
        cortex_hu=cortex_hu,
        caps_in_view=caps_in_view,
        trabecular_hu=trab,
        slab=slab,
        cut_by_view=cut,
        inferred_fraction=star.inferred_fraction if star is not None else 0.0,
    )


def _cut_by_view(
    roi: LpsRoi, body: BoolArray, pts: FloatArray, *, centroid: FloatArray, axis: FloatArray, height_mm: float
) -> tuple[str, ...]:
    """The body's ends ("superior", "inferior") cut by the scan's edge.

    An end is cut when the body's voxels next to the scan's edge cover at least ``VIEW_CUT_FRACTION`` of
    its mean cross-section (its volume over its height) and lie on that end's side of the centroid,
    more than ``VIEW_CUT_END_FRACTION`` of the height along the axis (a body cut at its side is not).
    """
    if roi.inside.all():
        return ()
    edge = ndimage.binary_dilation(~roi.inside, iterations=VIEW_EDGE_VOXELS)
    touching = body & edge
    if not touching.any():
        return ()
    section_mm2 = len(pts) * roi.spacing_mm**3 / max(height_mm, roi.spacing_mm)
    rel = roi.voxel_points_lps(touching) - centroid
    along = rel @ axis
    e1, e2 = perpendicular_pair(axis)
    cut: list[str] = []
    for name, sign in (("superior", 1.0), ("inferior", -1.0)):
        end = sign * along > VIEW_CUT_END_FRACTION * height_mm
        # the area they cover across the axis: their projections, counted once per square of the grid
        across = np.rint(np.stack([rel[end] @ e1, rel[end] @ e2], axis=1) / roi.spacing_mm)
        area_mm2 = len(np.unique(across, axis=0)) * roi.spacing_mm**2 if end.any() else 0.0
        if area_mm2 >= VIEW_CUT_FRACTION * section_mm2:
            cut.append(name)
    return tuple(cut)


def body_axis(mask: BoolArray, spacing_mm: float) -> FloatArray:
    """Superior unit axis of a body: the mean normal of its faces that look up or down."""
    normals, _ = _surface_normals(mask, spacing_mm)
    axis = np.array([0.0, 0.0, 1.0])
    for _ in range(2):
        cos = normals @ axis
        caps = np.abs(cos) > 0.7
        if caps.sum() < 10:
            break
        mean = (normals[caps] * np.sign(cos[caps])[:, None]).sum(axis=0)
        axis = mean / np.linalg.norm(mean)
    return axis


def _surface_normals(mask: BoolArray, spacing_mm: float) -> tuple[FloatArray, FloatArray]:
    """Outward unit normals (LPS, ``(N, 3)``) at the mask's surface voxels, and those voxels' indices."""
    soft = ndimage.gaussian_filter(mask.astype(np.float32), sigma=1.5 / spacing_mm)
    gz, gy, gx = np.gradient(soft)
    surface = mask & ~ndimage.binary_erosion(mask)
    idx = np.argwhere(surface)
    g = -np.stack([gx[surface], gy[surface], gz[surface]], axis=1).astype(np.float64)
    norm = np.linalg.norm(g, axis=1)
    ok = norm > 1e-6
    normals: FloatArray = g[ok] / norm[ok, None]
    return normals, idx[ok].astype(np.float64)
