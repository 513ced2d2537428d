"""The spinal canal behind a vertebral body: the dark hole that body, pedicles and lamina enclose.

Works on an :class:`imaging.vertebra_roi.LpsRoi` (LPS-aligned, isotropic). In each axial ROI slice
the holes of the bony solid are candidates; the canal is the one posterior to the click, nearest to
it, of canal size and fluid / soft-tissue density (behind: its centroid at least ``CANAL_MIN_POSTERIOR_MM``
behind the click, or, on a section with no such hole, for a click on the bone bounding it in front, a
posterior wall, its front edge within ``WALL_CLICK_MM`` behind the click). The ring is closed only at the
levels of the
pedicles (elsewhere the neural foramina open it), so the canal is found on those slices; slices
whose hole lies more than ``CANAL_CONSISTENCY_MM`` from the median centre are another hole. When a
whole hole of disc or bone brightness passes that test (a disc space closed by bone, a pocket of the
body: nearer a click in the body's centre than the canal, on enough slices to pull the median), the
median is taken over the canal-dark holes only. The centre line is a straight fit through the
remaining slice centroids. Positions LPS mm, areas mm^2.

Where the posterior wall shows no cortex (osteoporotic bone on thick slices: the HU steps straight
from trabecular bone at ~110 HU to the canal's ~10 HU), the hole runs into the body's interior; the
canal is then the part of the hole darker than the midpoint between the canal's contents and the
trabecular bone at the click, plus whatever of the hole lies behind that part's front.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from skimage.morphology import convex_hull_image

from imaging.bony_masks import BONE_THRESHOLD_HU
from imaging.vertebra_roi import LpsRoi

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
#: slices searched above and below the click (mm)
CANAL_SEARCH_HALF_HEIGHT_MM = 25.0
#: half-width of the bone whose convex hull may hold an open canal (mm): pedicles, laminae
HULL_HALF_WIDTH_MM = 30.0
#: slices searched must lie at least this much inside the field of view (fraction of the slice)
MIN_SLICE_IN_VIEW = 0.5
#: slice centroids further than this from the median centre line are discarded (mm)
CANAL_CONSISTENCY_MM = 6.0
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


@dataclass(frozen=True, eq=False)
class CanalResult:
    """The canal found on a ROI."""

    mask: BoolArray  # ROI grid, the enclosed slices only
    slice_centroids_lps: FloatArray  # (n, 3), one per slice where the canal is enclosed
    slice_areas_mm2: FloatArray  # (n,), axial areas
    line_point_lps: FloatArray
    line_direction_lps: FloatArray  # unit, superior

    def centroid_at(self, plane_point_lps: FloatArray, plane_normal: FloatArray) -> FloatArray:
        """Where the canal's centre line crosses a plane."""
        d = self.line_direction_lps
        denom = float(d @ plane_normal)
        if abs(denom) < 1e-6:
            return self.line_point_lps.copy()
        s = float((plane_point_lps - self.line_point_lps) @ plane_normal) / denom
        out: FloatArray = self.line_point_lps + s * d
        return out

    def area_near(self, z_lps: float) -> float:
        """Area (mm^2) perpendicular to the centre line, from the enclosed slice nearest ``z_lps``."""
        k = int(np.argmin(np.abs(self.slice_centroids_lps[:, 2] - z_lps)))
        cos_tilt = abs(float(self.line_direction_lps[2]))
        return float(self.slice_areas_mm2[k] * cos_tilt)


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


def _close_2d(plane: BoolArray, radius_px: float) -> BoolArray:
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


def _best_hole(
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


def _dark_limit_hu(roi: LpsRoi, smoothed: npt.NDArray[np.float32], click: FloatArray) -> float:
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


def find_canal(
    roi: LpsRoi,
    solid: BoolArray,
    smoothed: npt.NDArray[np.float32],
    click_lps: npt.ArrayLike,
    *,
    ring_closing_mm: float = 0.0,
    hull: bool = False,
    half_height_mm: float = CANAL_SEARCH_HALF_HEIGHT_MM,
) -> CanalResult | None:
    """The spinal canal behind the clicked vertebral body, or None when no enclosed canal is seen.

    By the rule only; :func:`find_canal_by_rule_and_wall` gives the canal found from a click on the
    posterior wall too.

    Parameters
    ----------
    roi
        LPS ROI around the click.
    solid
        Bony solid on the ROI (bone plus holes filled in coronal and sagittal planes).
    smoothed
        Smoothed HU on the ROI.
    click_lps
        The click in the vertebral body, LPS mm.
    ring_closing_mm
        When a slice has no enclosed canal, close its bone with a disk of this radius (mm) and look
        again (thick slices blur a thin lamina into a gap); 0 does not.
    hull
        Last resort per slice: the dark pocket inside the convex hull of the bone near the click.
    half_height_mm
        Sections searched above and below the click (mm).

    Returns
    -------
    CanalResult or None
    """
    by_rule, _ = find_canal_by_rule_and_wall(
        roi,
        solid,
        smoothed,
        click_lps,
        ring_closing_mm=ring_closing_mm,
        hull=hull,
        half_height_mm=half_height_mm,
    )
    return by_rule


def find_canal_by_rule_and_wall(
    roi: LpsRoi,
    solid: BoolArray,
    smoothed: npt.NDArray[np.float32],
    click_lps: npt.ArrayLike,
    *,
    ring_closing_mm: float = 0.0,
    hull: bool = False,
    wall_click: bool = False,
    half_height_mm: float = CANAL_SEARCH_HALF_HEIGHT_MM,
) -> tuple[CanalResult | None, CanalResult | None]:
    """The canal found by the rule (centroid ``CANAL_MIN_POSTERIOR_MM`` behind the click), and the one
    found with the holes just behind a click on a posterior wall too (None without ``wall_click``, when
    the click does not read as a wall, or when no section needed them). Other arguments as
    :func:`find_canal`.

    ``wall_click``: the click may lie on the canal's posterior wall. When it reads nearer bone than the
    canal's contents (``WALL_EDGE_HU``), on sections where nothing else is found a hole just behind it
    counts (:func:`_behind_the_wall_clicked`); the caller takes that canal where it is found along more
    sections (:func:`imaging.vertebra_steps.canal_at_click`). Only for the search's own click in a body:
    a point in the canal would find the canal "behind" it wherever its column meets bone on another
    section. A click reading soft tissue (a lytic lesion, an osteoporotic interior) is not on a wall.
    """
    click = np.asarray(click_lps, dtype=np.float64)
    sp = roi.spacing_mm
    k_click = roi.lps_to_index(click)[0]
    half = half_height_mm / sp
    k_lo = max(0, int(np.floor(k_click - half)))
    k_hi = min(roi.shape[0], int(np.ceil(k_click + half)) + 1)
    dark_hu = _dark_limit_hu(roi, smoothed, click)
    if wall_click:
        at = np.rint(roi.lps_to_index(click)).astype(np.int64)
        inside = bool(np.all(at >= 0) and np.all(at < roi.shape))
        wall_click = inside and float(smoothed[tuple(at)]) >= WALL_EDGE_HU
    found: list[_Section] = []
    at_wall: list[_Section] = []  # sections where only a click on the posterior wall finds a hole
    for k in range(k_lo, k_hi):
        if roi.inside[k].mean() < MIN_SLICE_IN_VIEW:
            continue  # beyond the field of view the ROI only repeats its edge
        plane = solid[k] & roi.inside[k]
        if not plane.any():
            continue
        hit, is_dark = _best_hole(roi, plane, smoothed[k], k, click, dark_hu=dark_hu)
        if hit is None and ring_closing_mm > 0.0:
            closed = _close_2d(plane, ring_closing_mm / sp)
            hit, is_dark = _best_hole(roi, closed, smoothed[k], k, click, dark_hu=dark_hu)
        in_hull = False
        if hit is None and hull:
            hit, is_dark = _best_hole(roi, plane, smoothed[k], k, click, hull=True, dark_hu=dark_hu)
            in_hull = hit is not None
        into = found
        if hit is None and wall_click:
            hit, is_dark = _best_hole(roi, plane, smoothed[k], k, click, dark_hu=dark_hu, wall_click=True)
            into = at_wall
        if hit is not None:
            hole = grow_to_half_maximum(hit, smoothed[k], sp)
            com_px = np.argwhere(hole).mean(axis=0)
            c_lps = roi.index_to_lps(np.array([float(k), com_px[0], com_px[1]]))
            into.append(_Section(k, hole, c_lps, is_dark, in_hull))
    kept = _consistent(found)
    with_wall: list[_Section] = []
    if at_wall:
        # a click on the posterior wall finds the canal only where its centroid lies nearer than
        # CANAL_MIN_POSTERIOR_MM (QA s21 F2: 6 sections, while the rule found a foramen on 1); a body's
        # dark interior behind a click in front of it is found so too, on fewer sections than the canal
        # behind it (bone-lesions case1: 4 against 6): the canal is the one found along more of the spine
        with_wall = _consistent(sorted(found + at_wall, key=lambda f: f.k))
    return _canal_of(roi, kept), _canal_of(roi, with_wall)


def _canal_of(roi: LpsRoi, sections: list[_Section]) -> CanalResult | None:
    if not sections:
        return None
    mask = np.zeros(roi.shape, dtype=bool)
    for section in sections:
        mask[section.k] = section.hole
    return canal_from_mask(roi, mask)


def sections_of(canal: CanalResult | None) -> int:
    """How many ROI sections a canal was found on (0 for None)."""
    return 0 if canal is None else len(canal.slice_areas_mm2)


@dataclass(frozen=True, eq=False)
class _Section:
    """The canal candidate found on one ROI section."""

    k: int
    hole: BoolArray
    centroid_lps: FloatArray
    dark: bool  # found among the canal-dark voxels, not as a whole hole
    in_hull: bool = False  # a dark pocket inside the bone's convex hull, not a hole enclosed by bone


def _consistent(found: list[_Section]) -> list[_Section]:
    """The sections whose hole lies within ``CANAL_CONSISTENCY_MM`` of the median centre.

    The median is taken over the holes enclosed by bone (with or without their ring's gaps closed) when
    there are any: a pocket inside the convex hull of the bone near the click is the last resort on a
    section, and counts only where it agrees with them. The soft tissue between the arch's processes
    (the laminar gutters beside the spinous process, behind the laminae) lies inside that hull by its
    construction, and where the canal lies nearer a click on the posterior wall than
    ``CANAL_MIN_POSTERIOR_MM`` it is the pocket behind the click on more sections than the canal is
    enclosed (chest T10 clicked 2 mm in front of its posterior wall: 19 sections of fat 18-22 mm behind
    the canal, against the canal enclosed on 8; the body cut there held two levels, session 26).
    """
    if not found:
        return []
    cents = np.array([f.centroid_lps for f in found])
    dark_slices = np.array([f.dark for f in found], dtype=bool)
    enclosed = np.array([not f.in_hull for f in found], dtype=bool)
    if not enclosed.any():
        enclosed[:] = True  # only pockets in the hull: they are all there is to go by
    med = np.median(cents[enclosed, :2], axis=0)
    keep = np.linalg.norm(cents[:, :2] - med, axis=1) <= CANAL_CONSISTENCY_MM
    if (keep & ~dark_slices).any() and (dark_slices & enclosed).any():
        # a whole hole of disc or bone brightness kept (a disc space closed by bone, a pocket of the
        # body: the hole nearest a click in the body's centre on many slices) has pulled the median
        # off the canal: the median of the canal-dark slices only
        med = np.median(cents[dark_slices & enclosed, :2], axis=0)
        keep = np.linalg.norm(cents[:, :2] - med, axis=1) <= CANAL_CONSISTENCY_MM
    return [f for f, ok in zip(found, keep, strict=True) if ok]


def canal_from_mask(roi: LpsRoi, mask: BoolArray) -> CanalResult | None:
    """Per-slice centroids and areas and the centre line of a canal mask (None when empty)."""
    slices = np.flatnonzero(mask.any(axis=(1, 2)))
    if len(slices) == 0:
        return None
    sp = roi.spacing_mm
    cents_l: list[FloatArray] = []
    areas_l: list[float] = []
    for k in slices:
        px = np.argwhere(mask[k]).mean(axis=0)
        cents_l.append(roi.index_to_lps(np.array([float(k), px[0], px[1]])))
        areas_l.append(float(mask[k].sum()) * sp**2)
    cents = np.array(cents_l)
    areas = np.array(areas_l)
    point = cents.mean(axis=0)
    direction = np.array([0.0, 0.0, 1.0])
    if len(cents) >= 4 and np.ptp(cents[:, 2]) >= 4.0:
        _, _, vt = np.linalg.svd(cents - point)
        d = vt[0] if vt[0][2] >= 0 else -vt[0]
        # a canal is within 45 degrees of the scanner axis in the spine segments planned here
        if d[2] > np.cos(np.radians(45.0)):
            direction = d / np.linalg.norm(d)
    return CanalResult(
        mask=mask,
        slice_centroids_lps=cents,
        slice_areas_mm2=areas,
        line_point_lps=point,
        line_direction_lps=direction,
    )
