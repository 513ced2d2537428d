"""The spinal canal behind a vertebral body: the dark hole that body, pedicles and lamina enclose.

Works on an :class:`imaging.vertebra_roi.LpsRoi` (LPS-aligned, isotropic). On each axial ROI section the
candidate is :func:`imaging.canal_holes.best_hole`'s: a hole of the bony solid posterior to the click,
nearest to it, of canal size and fluid / soft-tissue density (behind: its centroid at least
``CANAL_MIN_POSTERIOR_MM`` behind the click, or, on a section with no such hole, for a click on the bone
bounding it in front, a posterior wall); as a last resort a dark pocket inside the convex hull of the
bone near the click. The ring is closed only at the levels of the pedicles (elsewhere the neural
foramina open it), so the canal is found on those sections; sections whose hole lies more than
``CANAL_CONSISTENCY_MM`` from the median centre are another hole. The median is taken over the
canal-dark holes enclosed by bone when there are any beside pockets in the hull (those count only where
they agree: the soft tissue behind the laminae lies inside the hull too). Otherwise, when a whole hole
of disc or bone brightness passes that test (a disc space closed by bone, a pocket of the body: nearer a
click in the body's centre than the canal, on enough sections to pull the median), the median is taken
over the canal-dark holes only. The centre line is a straight fit through the remaining section
centroids (:func:`imaging.canal_result.canal_from_mask`). Positions LPS mm, areas mm^2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.canal_holes import (
    CANAL_MIN_POSTERIOR_MM,
    WALL_EDGE_HU,
    best_hole,
    close_2d,
    dark_limit_hu,
    grow_to_half_maximum,
)
from imaging.canal_result import CanalResult, canal_from_mask, sections_of
from imaging.vertebra_roi import LpsRoi

__all__ = [
    "CANAL_CONSISTENCY_MM",
    "CANAL_MIN_POSTERIOR_MM",
    "CANAL_SEARCH_HALF_HEIGHT_MM",
    "MIN_SLICE_IN_VIEW",
    "CanalResult",
    "canal_from_mask",
    "find_canal",
    "find_canal_by_rule_and_wall",
    "sections_of",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: slices searched above and below the click (mm)
CANAL_SEARCH_HALF_HEIGHT_MM = 25.0
#: slices searched must lie at least this much inside the field of view (fraction of the slice)
MIN_SLICE_IN_VIEW = 0.5
#: slice centroids further than this from the median centre line are discarded (mm)
CANAL_CONSISTENCY_MM = 6.0


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
    dark_hu = dark_limit_hu(roi, smoothed, click)
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
        hit, is_dark = best_hole(roi, plane, smoothed[k], k, click, dark_hu=dark_hu)
        if hit is None and ring_closing_mm > 0.0:
            closed = close_2d(plane, ring_closing_mm / sp)
            hit, is_dark = best_hole(roi, closed, smoothed[k], k, click, dark_hu=dark_hu)
        in_hull = False
        if hit is None and hull:
            hit, is_dark = best_hole(roi, plane, smoothed[k], k, click, hull=True, dark_hu=dark_hu)
            in_hull = hit is not None
        into = found
        if hit is None and wall_click:
            hit, is_dark = best_hole(roi, plane, smoothed[k], k, click, dark_hu=dark_hu, wall_click=True)
            into = at_wall
        if hit is not None:
            hole = grow_to_half_maximum(hit, smoothed[k], sp)
            com_px = np.argwhere(hole).mean(axis=0)
            c_lps = roi.index_to_lps(np.array([float(k), com_px[0], com_px[1]]))
            # canal-dark: found among the dark voxels, or a whole hole whose contents read below the limit
            reads_dark = is_dark or float(smoothed[k][hit].mean()) < dark_hu
            into.append(_Section(k, hole, c_lps, is_dark, in_hull, reads_dark))
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


@dataclass(frozen=True, eq=False)
class _Section:
    """The canal candidate found on one ROI section."""

    k: int
    hole: BoolArray
    centroid_lps: FloatArray
    dark: bool  # found among the canal-dark voxels, not as a whole hole
    in_hull: bool = False  # a dark pocket inside the bone's convex hull, not a hole enclosed by bone
    reads_dark: bool = False  # its voxels read below the dark limit on average (canal contents)


def _consistent(found: list[_Section]) -> list[_Section]:
    """The sections whose hole lies within ``CANAL_CONSISTENCY_MM`` of the median centre.

    A pocket inside the convex hull of the bone near the click is the last resort on a section: where
    canal-dark holes enclosed by bone (with or without their ring's gaps closed; their voxels below the
    dark limit on average) were found too, the median is theirs, and a pocket counts only where it agrees
    with them. The soft tissue between the arch's processes (the laminar gutters beside the spinous
    process, behind the laminae) lies inside that hull by its construction, and where the canal lies
    nearer a click on the posterior wall than ``CANAL_MIN_POSTERIOR_MM`` it is the pocket behind the
    click on more sections than the canal is enclosed (chest T10 clicked 2 mm in front of its posterior
    wall: 19 sections of fat 18-22 mm behind the canal, against the canal enclosed on 8; the body cut
    there held two levels, session 26). A hole enclosed by bone that reads brighter (a 91-100 HU hole
    in the arch, found from the 3 mm abdomen's L5 right transverse process) does not set the median.
    """
    if not found:
        return []
    cents = np.array([f.centroid_lps for f in found])
    dark_slices = np.array([f.dark for f in found], dtype=bool)
    in_hull = np.array([f.in_hull for f in found], dtype=bool)
    enclosed_dark = np.array([f.reads_dark for f in found], dtype=bool) & ~in_hull
    if in_hull.any() and enclosed_dark.any():
        med = np.median(cents[enclosed_dark, :2], axis=0)
        keep = np.linalg.norm(cents[:, :2] - med, axis=1) <= CANAL_CONSISTENCY_MM
        return [f for f, ok in zip(found, keep, strict=True) if ok]
    med = np.median(cents[:, :2], axis=0)
    keep = np.linalg.norm(cents[:, :2] - med, axis=1) <= CANAL_CONSISTENCY_MM
    if (keep & ~dark_slices).any() and dark_slices.any():
        # a whole hole of disc or bone brightness kept (a disc space closed by bone, a pocket of the
        # body: the hole nearest a click in the body's centre on many slices) has pulled the median
        # off the canal: the median of the canal-dark slices only
        med = np.median(cents[dark_slices, :2], axis=0)
        keep = np.linalg.norm(cents[:, :2] - med, axis=1) <= CANAL_CONSISTENCY_MM
    return [f for f, ok in zip(found, keep, strict=True) if ok]
