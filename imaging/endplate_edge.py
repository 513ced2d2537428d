"""An end plate's surface read from the CT's own edge, column by column across the body.

The body's mask on the 1 mm ROI is a staircase of the scan's slices (3 mm on the abdomen), and the end plate
layer cut from it (:mod:`imaging.body_result`) takes its points from how the mask's top was cut and which of
its voxels face the body's axis: clicks a voxel apart in one body of the 3 mm abdomen gave layers whose planes
lay 20 degrees apart (QA s25 E1). Here the surface is read from the CT itself: for each column through the
body's central footprint, along the body's axis, the HU profile of the source volume (trilinear, every
0.25 mm) from inside the body out into the disc, and the point where it falls half way from the end plate's
brightest value to the disc's darkest. The edge of a partial volume slice lies between slice centres, so the
point has sub-voxel precision along the axis, and where the mask's top was cut (within the search reach)
does not move it. The plane through these points (:func:`imaging.endplate_plane.endplate_plane`) is the
end plate's.

Columns: the body's voxels grouped into 1 mm columns along its axis; kept are those holding the body over
at least 60 % of the median column height (not its sloping rim) and within 70 % of the largest distance of
such a column from their centre (as the truth planes of tests/benchmarks/endplate_click_spread.py are
measured on the model's bodies). Positions LPS mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_roi import OUTSIDE_HU, LpsRoi, perpendicular_pair, sample_source_hu
from imaging.volume import Volume

__all__ = ["PlateColumns", "column_edges", "edge_points", "endplate_edge_points", "plate_columns"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: a column is kept when the body fills at least this fraction of the median column height (the body's
#: rim slopes into its sides: its columns are short and their tops are the sides, not the end plate)
FULL_COLUMN_FRACTION = 0.6
#: ... and it lies within this fraction of the largest distance of a kept column from their centre
CORE_RADIUS_FRACTION = 0.7
#: the profile is read from this far inside the mask's end (mm): a 3 mm slice's staircase and the mask's
#: own cut put the mask's end up to a slice (3 mm) from the edge, and the end plate's cortex lies within
#: the outer 2 mm (imaging.body_result.ENDPLATE_LAYER_MM)
INSIDE_REACH_MM = 6.0
#: ... to this far outside it (mm): the disc's darkest value lies within (lumbar discs are 8-12 mm tall;
#: half of the thinnest thoracic ones, 4 mm, plus the slice the mask may stop short of the edge)
OUTSIDE_REACH_MM = 6.0
#: the end plate's brightest value is looked for up to this far outside the mask's end (mm): the mask ends
#: at the body's half-maximum edge on the 1 mm ROI, so the bone's brightest lies inside it, within a voxel
PEAK_REACH_MM = 1.0
#: profile step (mm)
STEP_MM = 0.25
#: smoothing of the profile along its column (mm, Gaussian sigma)
PROFILE_SIGMA_MM = 1.0
#: smallest fall from the end plate to the disc read as an edge (HU): about three times the noise of a
#: smoothed soft tissue profile on these scans (20-30 HU SD); flatter columns (a fused level, a bridging
#: osteophyte, the scan's edge) give no point
MIN_EDGE_FALL_HU = 80.0
#: a column's edge further than this many robust standard deviations (1.4826 median absolute deviations)
#: from the plane through the others is another structure's: the usual outlier rule
OUTLIER_SDS = 3.0
ROBUST_SD_PER_MAD = 1.4826
#: rounds of leaving the outliers out and fitting again
OUTLIER_ROUNDS = 3
#: the edge must be read (and agree with the plane) on at least half of the kept columns (on the cases of
#: tests/benchmarks/endplate_click_spread.py any value from 0.4 to 0.6 keeps and drops the same planes)
MIN_COVERED_FRACTION = 0.5
#: fewer edge points than this give no plane (imaging.endplate_plane.MIN_ENDPLATE_POINTS is the same)
MIN_EDGE_POINTS = 10


@dataclass(frozen=True)
class PlateColumns:
    """The body's 1 mm columns along its axis over the central footprint, for one end plate.

    ``uv`` (n, 2) mm across the axis (along ``e1``, ``e2``) from the body's voxel mean ``centre``; ``end``
    (n,) mm along the axis of each column's last body voxel on this end plate's side; ``sign`` +1 for the
    superior end plate (outwards is along ``axis``), -1 for the inferior one. Positions LPS mm.
    """

    centre: FloatArray
    axis: FloatArray
    e1: FloatArray
    e2: FloatArray
    uv: FloatArray
    end: FloatArray
    sign: float
    spacing_mm: float

    def points(self, uv: FloatArray, along: FloatArray) -> FloatArray:
        """LPS points at ``uv`` across the axis and ``along`` (mm, signed along the axis)."""
        out: FloatArray = (
            self.centre + uv[:, 0:1] * self.e1 + uv[:, 1:2] * self.e2 + along[:, None] * self.axis[None, :]
        )
        return out


def plate_columns(
    roi: LpsRoi, body: BoolArray, axis_lps: npt.ArrayLike, *, superior: bool
) -> PlateColumns | None:
    """The body's central columns for the superior (True) or inferior end plate, or None when too few."""
    axis = np.asarray(axis_lps, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    pts = roi.voxel_points_lps(body)
    if len(pts) < MIN_EDGE_POINTS:
        return None
    centre = pts.mean(axis=0)
    e1, e2 = perpendicular_pair(axis)
    rel = pts - centre
    sp = roi.spacing_mm
    cols = np.rint(np.c_[rel @ e1, rel @ e2] / sp).astype(np.int64)
    along = rel @ axis
    keys, inverse = _unique_rows(cols)
    top = np.full(len(keys), -np.inf)
    bottom = np.full(len(keys), np.inf)
    np.maximum.at(top, inverse, along)
    np.minimum.at(bottom, inverse, along)
    height = top - bottom
    full = height >= FULL_COLUMN_FRACTION * float(np.median(height))
    uv = keys[full].astype(np.float64) * sp
    if len(uv) < MIN_EDGE_POINTS:
        return None
    radius = np.linalg.norm(uv - uv.mean(axis=0), axis=1)
    core = radius <= CORE_RADIUS_FRACTION * float(radius.max())
    end = (top if superior else bottom)[full][core]
    return PlateColumns(centre, axis, e1, e2, uv[core], end, 1.0 if superior else -1.0, sp)


def _unique_rows(cols: IntArray) -> tuple[IntArray, IntArray]:
    """``np.unique(cols, axis=0, return_inverse=True)`` of ``(n, 2)`` integer rows, the same rows in the same
    (lexicographic) order and the same inverse: read as one integer per row, whose order is the rows' (a
    sort of integers, where the rows' own took 40 ms for a body's 20,000 voxels)."""
    low = cols.min(axis=0)
    width = int(cols[:, 1].max() - low[1]) + 1
    key = (cols[:, 0] - low[0]) * width + (cols[:, 1] - low[1])
    uniq, inverse = np.unique(key, return_inverse=True)
    keys: IntArray = np.stack([uniq // width + low[0], uniq % width + low[1]], axis=1)
    return keys, inverse.reshape(-1)


def column_edges(volume: Volume, cols: PlateColumns) -> FloatArray:
    """``(n,)`` where each column's profile falls into the disc (mm along the axis, outwards from the column's
    end), NaN where it shows no edge (a fall too small, or the profile leaving the scan).

    Parameters
    ----------
    volume
        The source CT (the edge is read on it, not on the ROI).
    cols
        The body's central columns for this end plate (:func:`plate_columns`).
    """
    t = np.arange(-INSIDE_REACH_MM, OUTSIDE_REACH_MM + 0.5 * STEP_MM, STEP_MM)
    # each column's profile from inside the body out through its end: t runs outwards
    line = (
        cols.points(cols.uv, cols.end)[:, None, :] + cols.sign * t[None, :, None] * cols.axis[None, None, :]
    )
    hu = sample_source_hu(volume, line)
    # a profile's single voxels' noise would pick the brightest and darkest samples: smoothed along it over
    # about a millimetre, which moves a step's half way point by no more than the step's own blur
    inside = np.all(hu > OUTSIDE_HU + 1.0, axis=1)
    hu = ndimage.gaussian_filter1d(hu, PROFILE_SIGMA_MM / STEP_MM, axis=1, mode="nearest")
    hu[~inside] = OUTSIDE_HU
    return np.array([_edge(profile, t) for profile in hu], dtype=np.float64)


def edge_points(cols: PlateColumns, edges: FloatArray) -> FloatArray:
    """``(m, 3)`` LPS points of the columns' edges read (:func:`column_edges`; NaN ones left out)."""
    ok = np.isfinite(edges)
    # the column's end point moved along the axis (as the edge was read: the block jackknife's bands split
    # the points at their own coordinates, so a last-digit change moves a point between blocks)
    base = cols.points(cols.uv[ok], cols.end[ok])
    out: FloatArray = base + cols.sign * edges[ok, None] * cols.axis[None, :]
    return out


def endplate_edge_points(
    volume: Volume, cols: PlateColumns, edges: FloatArray | None = None
) -> FloatArray | None:
    """``(N, 3)`` LPS points of an end plate's edge over the body's central footprint, or None when too few.

    Parameters
    ----------
    volume
        The source CT (the edge is read on it, not on the ROI).
    cols
        The body's central columns for this end plate (:func:`plate_columns`).
    edges
        The columns' edges when already read (:func:`column_edges`), else they are read here.
    """
    uv, end, sign, sp = cols.uv, cols.end, cols.sign, cols.spacing_mm
    edges = column_edges(volume, cols) if edges is None else edges
    ok = np.isfinite(edges)
    if ok.sum() < MIN_EDGE_POINTS:
        return None
    # the end plate's surface over the columns, a plane in the body's frame: columns whose edge lies far
    # off it read another edge (the posterior rim curving into the wall, a vessel's contrast beside the
    # body, an osteophyte) and are left out, a few times over
    u, v = uv[ok, 0], uv[ok, 1]
    height_at = end[ok] + sign * edges[ok]
    keep = np.ones(len(u), dtype=bool)
    for _ in range(OUTLIER_ROUNDS):
        design = np.c_[u[keep], v[keep], np.ones(int(keep.sum()))]
        coef, *_ = np.linalg.lstsq(design, height_at[keep], rcond=None)
        resid = height_at - np.c_[u, v, np.ones(len(u))] @ coef
        spread = ROBUST_SD_PER_MAD * float(np.median(np.abs(resid[keep] - np.median(resid[keep]))))
        new_keep = np.abs(resid) <= max(OUTLIER_SDS * spread, sp)
        if new_keep.sum() < MIN_EDGE_POINTS or np.array_equal(new_keep, keep):
            break
        keep = new_keep
    # an edge read over part of the end plate only (the rest flat: a thin disc, a Schmorl's node, dense
    # bone) gives that part's plane, not the end plate's: chest T10's superior one, read on a third of its
    # columns at the back, swung 7 degrees with the click; the layer's plane is kept then
    if keep.sum() < MIN_COVERED_FRACTION * len(end):
        return None
    out: FloatArray = edge_points(cols, edges)[keep]
    return out


def _edge(profile: FloatArray, t: FloatArray) -> float:
    """Where the profile (inside to outside) falls half way from its brightest value to the darkest beyond
    it (linear between samples), or NaN when it leaves the scan or falls too little."""
    if np.any(profile <= OUTSIDE_HU + 1.0):
        return float("nan")
    # the brightest point inside the mask's end (the end plate's cortex or, with none, the bone): beyond it
    # a thin disc's far side may hold the next vertebra's brighter end plate (chest T10 from 6 mm: sagittal
    # tilts 10 degrees apart over clicks)
    inner = int(np.searchsorted(t, PEAK_REACH_MM, side="right"))
    peak = int(np.argmax(profile[:inner]))
    dark = peak + int(np.argmin(profile[peak:]))
    fall = float(profile[peak] - profile[dark])
    if fall < MIN_EDGE_FALL_HU:
        return float("nan")
    level = float(profile[peak]) - 0.5 * fall
    below = np.nonzero(profile[peak : dark + 1] < level)[0]
    if len(below) == 0:
        return float("nan")
    j = peak + int(below[0])
    a, b = float(profile[j - 1]), float(profile[j])
    return float(t[j - 1] + (a - level) / (a - b) * (t[j] - t[j - 1]))
