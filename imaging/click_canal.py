"""The spinal canal behind a click, the first step of :func:`imaging.vertebra.find_vertebra` (re-exported by
:mod:`imaging.vertebra_steps`).

On the click's LPS region (:class:`imaging.vertebra_roi.LpsRoi`, 1 mm grid, HU) the canal is looked for by the
rule, with the holes just behind a clicked posterior wall too (:func:`imaging.vertebra_canal.
find_canal_by_rule_and_wall` on the arch's bony solid); where that finds nothing, or a canal that is no tube
the CT shows (:func:`_not_a_tube`), again with the bony ring closed over gaps and inside the bone's convex
hull; the canal found along more sections is taken (in place of one that is no tube, only a canal that reads
like a canal's contents). Positions LPS mm.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.bony_masks import BonyMasks
from imaging.canal_holes import WALL_EDGE_HU, dark_limit_hu
from imaging.vertebra_canal import CanalResult, find_canal_by_rule_and_wall, sections_of
from imaging.vertebra_errors import VertebraNotFoundError
from imaging.vertebra_roi import LpsRoi

__all__ = ["CANAL_ENCLOSED", "RING_CLOSING_MM", "canal_at_click"]

FloatArray = npt.NDArray[np.float64]

#: how a canal enclosed by bone behind the click is said (the first finding of :func:`canal_at_click`)
CANAL_ENCLOSED = "enclosed by bone"
#: when no canal is enclosed, gaps in its bony ring up to twice this are closed (mm)
RING_CLOSING_MM = 3.0


def canal_at_click(
    roi: LpsRoi, masks: BonyMasks, click: FloatArray, *, slice_mm: float = 0.0
) -> tuple[CanalResult, str]:
    """The spinal canal behind the click and how it was found (words for the notes).

    Parameters
    ----------
    roi
        The click's region.
    masks
        Its bone (:func:`imaging.vertebra_body.bony_solid`).
    click
        The click, LPS mm.
    slice_mm
        The CT's coarsest voxel size (mm; its slice spacing): a canal enclosed by bone along less than that
        is no tube the CT shows when it reads brighter than the canal's contents (:func:`_not_a_tube`), and
        the ring-closing and hull search is tried too, its canal taken where it reads like a canal's
        contents and is found along more sections; 0 never.

    Returns
    -------
    tuple of CanalResult and str
        The canal, and "enclosed by bone" or how its ring was closed.

    Raises
    ------
    VertebraNotFoundError
        When no canal is enclosed by bone behind the click, even with its ring's gaps closed.
    """
    # the rule's canal, as the search has always found it; a click on the posterior wall (QA s21 F2) may
    # find the canal only through the holes just behind it: that canal is taken when it is found along
    # more sections than the rule's. Both passes of the rule are compared with it: on the three-slice
    # feet-first series the first pass finds nothing by the rule but a pocket in the body just behind a
    # click in it, while the second pass finds the real canal 15 mm further back
    canal, wall = find_canal_by_rule_and_wall(roi, masks.arch_solid, masks.smoothed, click, wall_click=True)
    canal_how = wall_how = CANAL_ENCLOSED
    first = wall if sections_of(wall) > sections_of(canal) else canal  # what the first pass gives
    thin = canal is not None and _not_a_tube(roi, masks, first, click, slice_mm)
    if canal is None or thin:
        hull_how = "found with its bony ring closed over gaps or, where open, inside the bone's convex hull"
        # thick slices and overlapping laminae can close the canal in coronal planes too, so that the
        # coronal fill hides it: look for it in the unfilled bone
        closed, wall_hull = find_canal_by_rule_and_wall(
            roi,
            masks.closed,
            masks.smoothed,
            click,
            ring_closing_mm=RING_CLOSING_MM,
            hull=True,
            wall_click=True,
        )
        if thin:
            # a thin bright hole is given up only for a canal that reads like a canal's contents: chest T11
            # clicked on its back finds one section at 79 HU and, with its ring closed, 4 sections at 92 HU
            # (both 8-11 mm below the click), which moved the canal 4.3 -> 5.7 mm off the body click's
            closed = None if _reads_bright(roi, masks, closed, click) else closed
            wall_hull = None if _reads_bright(roi, masks, wall_hull, click) else wall_hull
        if sections_of(closed) > sections_of(canal):
            canal, canal_how = closed, hull_how
        if sections_of(wall_hull) > sections_of(wall):
            wall, wall_how = wall_hull, hull_how
    if sections_of(wall) > sections_of(canal):
        canal, canal_how = wall, wall_how
    if canal is None:
        raise VertebraNotFoundError("no spinal canal enclosed by bone behind the point", click)
    return canal, canal_how


def _not_a_tube(
    roi: LpsRoi, masks: BonyMasks, canal: CanalResult | None, click: FloatArray, slice_mm: float
) -> bool:
    """Whether the first pass's canal is no evidence of a tube along the spine: enclosed by bone on fewer of
    the region's sections than one CT slice spans, and reading brighter than a canal's contents, both
    against the bone at the click (:func:`imaging.canal_holes.dark_limit_hu`) and as the blurred edge of
    bone (``WALL_EDGE_HU``, half-way between the bone threshold and the canal's contents).

    Chest T9 clicked on its posterior wall (2 mm slices): one 1 mm section of a 130 HU hole 22 mm to the
    side and 18 mm below (dark limit 61 HU), while 0.05 mm away the second pass found the canal on 5
    sections. Judged on the canal the first pass gives, wall holes included: the 3 mm abdomen's L3 clicked
    2 mm in front of its back finds its canal by the rule on 2 sections but with the holes behind the wall
    on 7, and the second pass (23 sections) would move it 6.2 mm (session 28). A thin hole that reads like
    a canal's contents is kept: the abdomen's L2 right lamina's 1-section pocket reads 122 HU against a
    dark limit of 226 (session 27); chest T7 clicked 1 mm in front of its back finds the canal on one
    section 15 mm below, at 51 HU (dark limit 45), and the second pass only on 4 sections there too, which
    moved the canal 2.4 -> 3.7 mm off the body click's (session 29)."""
    if canal is None or sections_of(canal) * roi.spacing_mm >= slice_mm:
        return False
    return _reads_bright(roi, masks, canal, click)


def _reads_bright(roi: LpsRoi, masks: BonyMasks, canal: CanalResult | None, click: FloatArray) -> bool:
    """Whether a canal's voxels read brighter on average than a canal's contents: above both the limit set
    by the bone at the click (:func:`imaging.canal_holes.dark_limit_hu`) and ``WALL_EDGE_HU`` (False for
    None)."""
    if canal is None:
        return False
    contents_below = max(dark_limit_hu(roi, masks.smoothed, click), WALL_EDGE_HU)
    return float(masks.smoothed[canal.mask].mean()) >= contents_below
