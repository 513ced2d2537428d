"""The spinal canal's candidate on one axial section of a click's region (:mod:`imaging.vertebra_canal`
runs it section by section and keeps the sections that agree).

On an :class:`imaging.vertebra_roi.LpsRoi` (LPS-aligned, isotropic) the holes of the section's bony solid
are candidates; the canal is the one posterior to the click, nearest to it, of canal size and fluid /
soft-tissue density (behind: its centroid at least ``CANAL_MIN_POSTERIOR_MM`` behind the click, or, on a
section with no such hole, for a click on the bone bounding it in front, a posterior wall, its front edge
within ``WALL_CLICK_MM`` behind the click). The last resort is a dark pocket inside the convex hull of the
bone near the click (a canal whose lamina the section misses is open behind). The hole found is grown to
the half-maximum of its bony rim.

Where the posterior wall shows no cortex (osteoporotic bone on thick slices: the HU steps straight
from trabecular bone at ~110 HU to the canal's ~10 HU), the hole runs into the body's interior; the
canal is then the part of the hole darker than the midpoint between the canal's contents and the
trabecular bone at the click, plus whatever of the hole lies behind that part's front. Positions LPS mm,
areas mm^2.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from skimage.morphology import convex_hull_image

from imaging.bony_masks import BONE_THRESHOLD_HU
from imaging.vertebra_roi import LpsRoi

__all__ = [
    "CANAL_AREA_RANGE_MM2",
    "CANAL_CONTENT_HU",
    "CANAL_DARK_FLOOR_HU",
    "CANAL_MAX_DISTANCE_MM",
    "CANAL_MAX_MEAN_HU",
    "CANAL_MIN_POSTERIOR_MM",
    "HULL_HALF_WIDTH_MM",
    "TRABECULAR_REFERENCE_RADIUS_MM",
    "WALL_CLICK_MM",
    "WALL_EDGE_HU",
    "best_hole",
    "close_2d",
    "dark_limit_hu",
    "grow_to_half_maximum",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: canal cross-sections accepted (mm^2): adult canals are about 150-350 mm^2; partial holes smaller
CANAL_AREA_RANGE_MM2 = (40.0, 900.0)
#: the canal holds CSF, cord, fat and ligament: its mean HU stays below this on the smoothed ROI
CANAL_MAX_MEAN_HU = 120.0
#: the canal centroid lies at least this far behind the click along y (mm), and within reach of it
CANAL_MIN_POSTERIOR_MM = 8.0
CANAL_MAX_DISTANCE_MM = 55.0
#: a canal nearer the click counts when the click lies on the bone bounding its front (a click on the
#: posterior wall) and its front edge lies within this distance behind the click (mm): the wall is a cortex
#: about 1 mm thick, blurred over one voxel of a 3 mm section. QA s21 F2: a click on the 3 mm abdomen's
#: L3 wall lies 6 mm in front of the canal's centroid; the canal was passed over for a foramen 26 mm aside
WALL_CLICK_MM = 3.0
#: half-width of the bone whose convex hull may hold an open canal (mm): pedicles, laminae
HULL_HALF_WIDTH_MM = 30.0
#: the canal's contents read about water: CSF 0-15 HU, cord and roots 30-40 HU, epidural fat below 0
CANAL_CONTENT_HU = 0.0
#: a voxel counts as canal only below the midpoint between the canal's contents and the body's
#: trabecular bone (a faint posterior wall on thick slices lets the hole run into the body), but this
#: limit never falls below the cord's and roots' 30-40 HU (a lytic click reads like soft tissue)
CANAL_DARK_FLOOR_HU = 45.0
#: a hole's voxel reading above this is the blurred edge of the bone around it (the half-way point between
#: the bone threshold and the canal's contents): on the 3 mm abdomen's L3 the posterior wall's smoothed
#: peak reads 140-160 HU, the voxel behind it 105-120 and the next 59-72 (inside the canal)
WALL_EDGE_HU = 0.5 * (BONE_THRESHOLD_HU + CANAL_CONTENT_HU)
#: trabecular reference: median smoothed HU within this radius of the click (mm)
TRABECULAR_REFERENCE_RADIUS_MM = 5.0


def grow_to_half_maximum(hole: BoolArray, hu: npt.NDArray[np.float32], sp: float) -> BoolArray:
    """Grow a hole found with a low bone threshold out to the half-maximum of its bony rim."""
    reach = max(1, round(2.0 / sp))
    rows, cols = np.nonzero(hole)
    lo = np.maximum([rows.min() - 2 * reach - 2, cols.min() - 2 * reach - 2], 0)
    hi = np.minimum([rows.max() + 2 * reach + 3, cols.max() + 2 * reach + 3], hole.shape)
    box = hole[lo[0] : hi[0], lo[1] : hi[1]]
    h = hu[lo[0] : hi[0], lo[1] : hi[1]]
    peak = ndimage.maximum_filter(h, size=2 * reach + 1)
    low = ndimage.minimum_filter(h, size=2 * reach + 1)
    below = h < 0.5 * (peak + low)
    grown = box.copy()
    for _ in range(reach):  # step by step, so growth stops at the cortical peak
        grown |= ndimage.binary_dilation(grown) & below
    out = np.zeros_like(hole)
    out[lo[0] : hi[0], lo[1] : hi[1]] = grown
    return out


def close_2d(plane: BoolArray, radius_px: float) -> BoolArray:
    r = max(1, round(radius_px))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    disk = yy**2 + xx**2 <= r * r
    padded = np.pad(plane, r + 1)
    closed = ndimage.binary_closing(padded, structure=disk)
    out: BoolArray = closed[r + 1 : -(r + 1), r + 1 : -(r + 1)] | plane
    return out


def _near_click(roi: LpsRoi, plane: BoolArray, k: int, click: FloatArray) -> BoolArray:
    """The plane's bone within ``CANAL_MAX_DISTANCE_MM`` of the click, laterally within 30 mm."""
    rows, cols = np.indices(plane.shape)
    lps = roi.index_to_lps(np.stack([np.full(plane.shape, float(k)), rows, cols], axis=-1))
    dx = lps[..., 0] - click[0]
    dy = lps[..., 1] - click[1]
    out: BoolArray = (
        plane & (np.abs(dx) <= HULL_HALF_WIDTH_MM) & (dy >= -10.0) & (dy <= CANAL_MAX_DISTANCE_MM)
    )
    return out


def best_hole(
    roi: LpsRoi,
    plane: BoolArray,
    hu: npt.NDArray[np.float32],
    k: int,
    click: FloatArray,
    *,
    hull: bool = False,
    dark_hu: float | None = None,
    wall_click: bool = False,
) -> tuple[BoolArray | None, bool]:
    """The canal candidate among one axial plane's holes: canal-sized, dark, behind and nearest the click;
    and whether it was found among the voxels darker than ``dark_hu`` (canal-dark), not a whole hole.

    With ``hull`` the holes are the dark pockets inside the convex hull of the bone near the click
    (a canal whose lamina the slice misses is open behind, but still inside that hull). With
    ``dark_hu`` only voxels darker than it count first (a hole that runs into the body through a
    faint posterior wall is split from it); the whole hole is the fallback. With ``wall_click`` a hole
    nearer the click than ``CANAL_MIN_POSTERIOR_MM`` counts too when the click lies on the bone just in
    front of it (:func:`_behind_the_wall_clicked`): the last resort on a section, as a body's dark
    interior behind a click in front of it would pass that test too.
    """
    if hull:
        near = _near_click(roi, plane, k, click)
        if near.sum() < 3:
            return None, False
        hull_mask: BoolArray = np.asarray(convex_hull_image(near), dtype=np.bool_)  # type: ignore[no-untyped-call]
        limit = CANAL_MAX_MEAN_HU if dark_hu is None else min(dark_hu, CANAL_MAX_MEAN_HU)
        pockets = ndimage.binary_opening(hull_mask & ~plane & (hu < limit))
        pocket = _pick(roi, pockets, hu, k, click, wall=None)
        return pocket, dark_hu is not None
    holes = ndimage.binary_fill_holes(plane) & ~plane
    if dark_hu is not None:
        # the wall's back, blurred by thick sections, lies inside the hole: counted as wall where it reads
        # nearer bone than the canal's contents
        wall = plane | (holes & (hu >= WALL_EDGE_HU)) if wall_click else None
        hit = _pick(roi, ndimage.binary_opening(holes & (hu < dark_hu)), hu, k, click, wall=wall)
        if hit is not None:
            return _with_back(hit, holes, plane, roi.spacing_mm), True
    return _pick(roi, holes, hu, k, click, wall=plane if wall_click else None), False


def _with_back(dark: BoolArray, holes: BoolArray, plane: BoolArray, sp: float) -> BoolArray:
    """The dark canal given back the rest of its hole that is canal, not body (ROI rows run posterior).

    Splitting at the dark limit cuts the body's interior off in front, but also the canal's brighter
    back (ligamentum flavum, lamina blurred by thick slices) and its rim where a cortex blurs into it.
    Given back: what lies behind the dark front, column by column, in the same hole; and the hole's
    voxels within 2 mm of both the dark part and the bone (a cortex's blur, out to where the hole
    ends without the split; the trabecular bone behind a faint wall is further from any bone).
    """
    labels, _ = ndimage.label(holes)
    own = np.unique(labels[dark])
    hole = np.isin(labels, own[own > 0])
    cols = dark.any(axis=0)
    front = np.where(cols, np.argmax(dark, axis=0), dark.shape[0])
    behind = np.arange(dark.shape[0])[:, None] >= front[None, :]
    reach_mm = 2.0
    near_bone = ndimage.distance_transform_edt(~plane, sampling=sp) <= reach_mm
    rim = ndimage.binary_dilation(dark, iterations=max(1, round(reach_mm / sp)), mask=hole & near_bone)
    out: BoolArray = dark | rim | (hole & behind)
    return out


def _pick(
    roi: LpsRoi,
    holes: BoolArray,
    hu: npt.NDArray[np.float32],
    k: int,
    click: FloatArray,
    *,
    wall: BoolArray | None,
) -> BoolArray | None:
    """The component of ``holes`` that is canal-sized and dark, behind the click, and nearest to it.

    Behind means its centroid lies ``CANAL_MIN_POSTERIOR_MM`` or more behind the click, or, given
    ``wall`` (the section's bone and the blur of its edge), the click lies on it just in front of the
    component (:func:`_behind_the_wall_clicked`).
    """
    sp = roi.spacing_mm
    min_px = CANAL_AREA_RANGE_MM2[0] / sp**2
    max_px = CANAL_AREA_RANGE_MM2[1] / sp**2
    labels, n = ndimage.label(holes)
    if n == 0:
        return None
    index = np.arange(1, n + 1)
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index)
    means = ndimage.mean(hu, labels, index)
    coms = ndimage.center_of_mass(holes, labels, index)
    best: tuple[float, int] | None = None
    for lab, size, mean, com in zip(index, sizes, means, coms, strict=True):
        if not (min_px <= size <= max_px) or mean > CANAL_MAX_MEAN_HU:
            continue
        c_lps = roi.index_to_lps(np.array([float(k), com[0], com[1]]))
        dy = c_lps[1] - click[1]
        dist = float(np.hypot(c_lps[0] - click[0], dy))
        if dist > CANAL_MAX_DISTANCE_MM:
            continue
        if dy < CANAL_MIN_POSTERIOR_MM and (
            wall is None or not _behind_the_wall_clicked(roi, labels == lab, wall, click)
        ):
            continue
        if best is None or dist < best[0]:
            best = (dist, int(lab))
    if best is None:
        return None
    out: BoolArray = labels == best[1]
    return out


def _behind_the_wall_clicked(roi: LpsRoi, hole: BoolArray, wall: BoolArray, click: FloatArray) -> bool:
    """Whether the click lies on the section's ``wall`` right in front of the hole: in the click's column
    (ROI rows run posterior) the hole begins behind the click's row, within ``WALL_CLICK_MM``.

    The canal's centroid lies about half its depth (8-12 mm in adults) behind the posterior wall, so a
    click on the wall can be nearer it than ``CANAL_MIN_POSTERIOR_MM``. A body's dark interior (an
    unfilled hole in the bony solid) behind a click in front of it passes this test too: it is asked
    only on sections where no hole lies that far behind the click.
    """
    _, row, col = np.rint(roi.lps_to_index(click)).astype(np.int64)
    if not (0 <= row < wall.shape[0] and 0 <= col < wall.shape[1]) or not wall[row, col]:
        return False
    in_column = np.flatnonzero(hole[:, col])
    if len(in_column) == 0 or in_column[0] <= row:
        return False
    return bool((in_column[0] - row) * roi.spacing_mm <= WALL_CLICK_MM)


def dark_limit_hu(roi: LpsRoi, smoothed: npt.NDArray[np.float32], click: FloatArray) -> float:
    """Midpoint between the canal's contents and the trabecular bone at the click (HU), floored."""
    sp = roi.spacing_mm
    r = max(1, round(TRABECULAR_REFERENCE_RADIUS_MM / sp))
    c = np.rint(roi.lps_to_index(click)).astype(int)
    lo = np.maximum(c - r, 0)
    hi = np.minimum(c + r + 1, roi.shape)
    box = smoothed[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    inside = roi.inside[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    grid = np.indices(box.shape).reshape(3, -1).T + lo - c
    ball = (np.linalg.norm(grid, axis=1) <= r).reshape(box.shape) & inside
    if not ball.any():
        return CANAL_DARK_FLOOR_HU
    reference = float(np.median(box[ball]))
    return max(CANAL_DARK_FLOOR_HU, 0.5 * (reference + CANAL_CONTENT_HU))
