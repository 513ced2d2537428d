"""The spinal canal looked for again, where the search's first finding is not it (session 24).

Two findings of the vertebra search (:func:`imaging.vertebra.find_vertebra`) measured wrong, both silent:

- :func:`canal_behind_dark_interior`, after :func:`imaging.vertebra_steps.canal_at_click`: the hole found
  behind a click in a body with a dark, osteoporotic interior may be that interior, not the canal.
  lumbar-ct-labels L3 (41 HU at its centre) clicked 5 mm in front of its centroid: the search found a hole
  8 mm behind the click, enclosed by bone on 7 sections, cut the body at it and answered with its front
  and left part (23.1 mL against 36.7 from the centroid, the "canal" 55 degrees aside). A body's dark
  interior has the spinal canal straight behind it; the spinal canal has only the arch behind it, whose
  gaps between laminae are narrower than a canal (the 3 mm abdomen's L1: 8 mm; session 20) and short
  along the spine. So when, from the hole's centre, the canal search finds another canal enclosed by
  bone, more than ``CANAL_CONSISTENCY_MM`` further back (not the same canal found on other sections), at
  least ``MIN_CANAL_ACROSS_MM`` across both ways on a section that holds the hole's column (straight
  behind it), along at least as many sections as the hole, with a vertebral body at least
  ``MIN_BODY_DEPTH_MM`` deep in front of it (:func:`imaging.canal_holding.body_in_front`), that canal
  is the spinal canal and the hole is the body's interior.
- :func:`canal_in_front_of_body`, for :func:`imaging.click_place.refuse_click_behind_canal`: a point
  behind the spinal canal, on the lamina, finds no canal enclosed by bone behind it, or a gap in the arch
  further back; the "body" cut in front of that gap is the lamina and spinous process, and the canal
  found from that "body" is the same gap (lumbar-ct-labels L2, 10 mm behind its canal: a 7.7 mL "body"
  in the L2 spinous process, its "canal" 20 mm behind the real one) or nothing (the vertebra phantom's
  lamina: a 5.9 mL "body"). A vertebral body is the front of the spine: no spinal canal lies in front
  of it. The canal is looked for from ``CANAL_LOOK_FROM_FRONT_MM`` in front of the body's front edge (as
  from in front of a click; the canal's centre lies up to half its depth in front of its back edge, which
  is where the lamina's front is); found there, with its centre line in front of the body's front edge
  and a vertebral body at least ``MIN_BODY_DEPTH_MM`` deep in front of it, it is the spinal canal, and
  the "body" lies behind it. In front of a real body the canal search finds its canal behind it, or a
  dark interior inside it, or nothing within its reach.

On the click's region (:class:`imaging.vertebra_roi.LpsRoi`, 1 mm, HU; rows run posterior) and its bone
(:class:`imaging.bony_masks.BonyMasks`). Positions LPS mm.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.bony_masks import BonyMasks
from imaging.canal_holding import CANAL_LOOK_FROM_FRONT_MM, body_in_front, canal_wide_enough
from imaging.canal_point import UP_LPS, on_nearest_section
from imaging.vertebra_canal import CANAL_CONSISTENCY_MM, CanalResult, find_canal, sections_of
from imaging.vertebra_roi import LpsRoi

__all__ = ["canal_behind_dark_interior", "canal_in_front_of_body"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def canal_behind_dark_interior(
    roi: LpsRoi, masks: BonyMasks, hole: CanalResult, click: FloatArray
) -> CanalResult | None:
    """The spinal canal straight behind the hole found behind the click, when that hole is a body's dark
    interior (see the module's notes), else None.

    Parameters
    ----------
    roi, masks
        The click's region and its bone.
    hole
        The canal the search found behind the click.
    click
        The click, LPS mm.
    """
    centre = hole.centroid_at(click, UP_LPS)
    # searched over the hole's own sections: an interior lies within its body's height, and so does the
    # canal's enclosed level at the pedicles; the canal behind is found along at least as many of them
    z = hole.slice_centroids_lps[:, 2]
    middle = hole.centroid_at(np.array([0.0, 0.0, 0.5 * float(z.min() + z.max())]), UP_LPS)
    half_mm = 0.5 * float(z.max() - z.min()) + 0.5 * roi.spacing_mm
    behind = find_canal(roi, masks.arch_solid, masks.smoothed, middle, half_height_mm=half_mm)
    whole: CanalResult | None = None
    if behind is not None and sections_of(behind) < sections_of(hole):
        # a tall interior outruns the canal's enclosed level at the pedicles on its own sections
        # (lumbar-ct-labels L3 from its front cortex: a hole along 13 sections, the canal 21 mm behind it
        # along 9 of them): compared over the search's whole height, as the hole was found
        behind = whole = find_canal(roi, masks.arch_solid, masks.smoothed, centre)
    if behind is None or sections_of(behind) < sections_of(hole):
        return None
    if float(np.linalg.norm(behind.centroid_at(click, UP_LPS) - centre)) <= CANAL_CONSISTENCY_MM:
        return None  # the same canal, found on sections further up or down (a tilted canal)
    if not canal_wide_enough(roi, behind, centre):  # straight behind the hole
        return None
    at = on_nearest_section(roi, behind, behind.centroid_at(click, UP_LPS))
    if not body_in_front(roi, masks, behind, at):
        return None  # no vertebral body in front of it: not the spinal canal
    # the canal as a click in the body finds it, over the search's whole height
    if whole is None:
        whole = find_canal(roi, masks.arch_solid, masks.smoothed, centre)
    return whole if whole is not None else behind


def canal_in_front_of_body(
    roi: LpsRoi, masks: BonyMasks, body: BoolArray, centroid: FloatArray
) -> CanalResult | None:
    """The spinal canal in front of the "body" found (a ROI mask with its centroid, LPS mm), else None
    (see the module's notes)."""
    _, _, col = np.rint(roi.lps_to_index(centroid)).astype(np.int64)
    col = int(np.clip(col, 0, roi.shape[2] - 1))
    rows = np.flatnonzero(body[:, :, col].any(axis=0))
    if len(rows) == 0:  # a body concave at its centroid's column: its frontmost row anywhere
        rows = np.flatnonzero(body.any(axis=(0, 2)))
    if len(rows) == 0:
        return None
    front_y = float(roi.index_to_lps(np.array([0.0, float(rows[0]), 0.0]))[1])
    look = np.array([centroid[0], front_y - CANAL_LOOK_FROM_FRONT_MM, centroid[2]])
    canal = find_canal(roi, masks.arch_solid, masks.smoothed, look)
    if canal is None or float(canal.centroid_at(centroid, UP_LPS)[1]) >= front_y:
        return None  # none, or the body's own canal behind it, or a dark interior inside it
    at = on_nearest_section(roi, canal, canal.centroid_at(centroid, UP_LPS))
    if not body_in_front(roi, masks, canal, at):
        return None  # no vertebral body in front of it: not the spinal canal
    return canal
