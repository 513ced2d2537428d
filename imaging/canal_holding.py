"""Whether a point lies in the spinal canal, judged from in front of it: the canal found from a point in
front holds it, a vertebral body lies in front of that canal, and no other canal enclosed by bone lies
behind it (the judgements of :mod:`imaging.click_place`, :mod:`imaging.canal_recheck`,
:mod:`imaging.click_beside` and :mod:`imaging.spine_place`).

- :func:`canal_holding`: the spinal canal that holds a point, found from ``CANAL_LOOK_FROM_FRONT_MM`` in
  front of it, with a vertebral body in front (:func:`body_in_front`), the point not in front of the
  canal's wall line and, unless told otherwise, no canal behind it (:func:`canal_behind`).
- :func:`body_in_front`: bone, what bone encloses, or trabecular bone reading above ``SOFT_BELOW_HU`` at
  least ``MIN_BODY_DEPTH_MM`` deep in front of a canal.
- :func:`canal_wide_enough`: a hole at least ``MIN_CANAL_ACROSS_MM`` across both ways on a section.

Positions LPS mm; HU; the region's grid is :class:`imaging.vertebra_roi.LpsRoi` (1 mm).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.bony_masks import BonyMasks
from imaging.canal_point import (
    UP_LPS,
    depth_in_front_mm,
    in_front_of_the_wall_line,
    on_nearest_section,
    on_section,
)
from imaging.click_tissue import SOFT_BELOW_HU
from imaging.vertebra_canal import CANAL_CONSISTENCY_MM, CANAL_MIN_POSTERIOR_MM, CanalResult, find_canal
from imaging.vertebra_discs import MIN_BODY_HEIGHT_MM
from imaging.vertebra_roi import LpsRoi

__all__ = [
    "CANAL_LOOK_FROM_FRONT_MM",
    "MIN_BODY_DEPTH_MM",
    "MIN_CANAL_ACROSS_MM",
    "body_in_front",
    "canal_behind",
    "canal_holding",
    "canal_wide_enough",
]

FloatArray = npt.NDArray[np.float64]
Section = tuple[int, int, int]


#: the canal is looked for from a point this far in front of the click (mm): the canal search takes a
#: canal at least CANAL_MIN_POSTERIOR_MM (8 mm) behind its point, and a click may lie up to half an adult
#: canal's depth (about 12 mm of its up to about 23 mm antero-posterior diameter, lumbar) behind its centre
CANAL_LOOK_FROM_FRONT_MM = CANAL_MIN_POSTERIOR_MM + 12.0
#: bone (or a cortex's enclosed interior) in front of the canal at least this deep is a vertebral body
#: (mm): a body is deeper than it is tall, and no body is thinner than MIN_BODY_HEIGHT_MM (12 mm); an
#: anterior cortex in front of an osteoporotic interior is a few mm
MIN_BODY_DEPTH_MM = MIN_BODY_HEIGHT_MM
#: a canal behind the point is at least this wide, side to side and front to back (mm): an
#: antero-posterior diameter under 10 mm is absolute stenosis in the lumbar spine (the common radiological
#: definition); the canals holding the study's canal clicks measure 17-36 mm side to side and 15-23 mm
#: front to back (medians over their sections; tests/benchmarks/click_place_figures.py canal, session 20).
#: A narrower hole enclosed by bone behind the point is a gap in the arch
MIN_CANAL_ACROSS_MM = 10.0


def canal_holding(
    roi: LpsRoi,
    masks: BonyMasks,
    point: FloatArray,
    *,
    unless_canal_behind: bool = True,
    any_section: bool = False,
) -> CanalResult | None:
    """The spinal canal that holds the point, found from in front of it with a vertebral body in front,
    else None (the judgement of :func:`imaging.click_place.refuse_click_in_canal`, see its module's
    notes); with
    ``unless_canal_behind`` False, whether a canal lies behind the point is left to the caller; with
    ``any_section``, the body in front may be read on any of the canal's sections that holds the point
    (:func:`_body_in_front_where_held`)."""
    at = np.rint(roi.lps_to_index(point)).astype(np.int64)
    if np.any(at < 0) or np.any(at >= roi.shape) or masks.solid[tuple(at)]:
        return None  # in bone or in a bony shell's enclosed interior: never the canal
    front = point - np.array([0.0, CANAL_LOOK_FROM_FRONT_MM, 0.0])
    canal = find_canal(roi, masks.arch_solid, masks.smoothed, front)
    if canal is None:
        return None
    at_section = on_nearest_section(roi, canal, point)
    if not canal.mask[at_section]:
        return None
    if in_front_of_the_wall_line(roi, canal, at_section):
        return None  # a lytic lesion that opened the posterior wall into the canal: the point is in the body
    if not body_in_front(roi, masks, canal, at_section) and not (
        any_section and _body_in_front_where_held(roi, masks, canal, point)
    ):
        return None  # no body in front: the "canal" is a body's dark interior behind its anterior cortex
    if unless_canal_behind and canal_behind(roi, masks, point):
        return None  # a canal enclosed by bone behind the point: the point is in a body's dark interior
    return canal


def canal_behind(
    roi: LpsRoi,
    masks: BonyMasks,
    point: FloatArray,
    *,
    straight: bool = False,
    other_than: CanalResult | None = None,
) -> bool:
    """Whether a canal enclosed by bone lies behind the point: the canal search from the point finds a
    hole at least ``MIN_CANAL_ACROSS_MM`` across, side to side and front to back, on one of its sections;
    with ``straight``, one whose side-to-side span on such a section holds the point's column; with
    ``other_than`` (the canal holding the point), not that canal found again on other sections: centred
    within ``CANAL_CONSISTENCY_MM`` of it at the point's level, as :func:`imaging.canal_recheck.
    canal_behind_dark_interior` tells a second canal from the first. The search looks at least
    ``CANAL_MIN_POSTERIOR_MM`` behind the point, so from the front half of a deep canal it finds the same
    canal on a section further up or down (lumbar-ct-labels: a "body" centred 4.5 mm in front of L3's
    canal centre line, found from a click in the canal behind the cut L2, had the same canal 9 mm behind
    it one section above the canal's other sections: 4.5 mm from the canal holding it; session 25).

    A narrower hole is a gap in the arch (between laminae, at the spinous process' root), not the canal
    (abdomen L1: 8 mm wide on its one section, 20 mm behind a canal click; session 20 study). A body's
    dark interior has its canal straight behind it (lumbar-ct-labels L3, clicks on its posterior wall:
    the canal 21 mm behind the interior's centre, 1 mm aside); a "body" centred in the canal, found from
    behind it, may have only a hole beside it behind (chest T7, 10 mm behind the canal's centroid: a hole
    24 mm to the side; session 22).
    """
    behind = find_canal(roi, masks.arch_solid, masks.smoothed, point)
    if behind is None or not canal_wide_enough(roi, behind, point if straight else None):
        return False
    if other_than is None:
        return True
    apart = behind.centroid_at(point, UP_LPS) - other_than.centroid_at(point, UP_LPS)
    return float(np.linalg.norm(apart)) > CANAL_CONSISTENCY_MM


def _body_in_front_where_held(roi: LpsRoi, masks: BonyMasks, canal: CanalResult, point: FloatArray) -> bool:
    """Whether a vertebral body lies in front of the canal (:func:`body_in_front`) on one of the canal's
    sections that holds the point, carried there along its centre line.

    One section can read shallow in front of a canal that has a body in front: at the body's mid-height
    the basivertebral foramen opens the posterior wall, so nothing encloses the interior on that section,
    and a fatty osteoporotic interior reads under soft tissue (lumbar-ct-labels L3 at 1-60 HU, 6 mm of
    bone read in front of its canal on the section nearest a "body" centroid in that canal; 29 mm on two of
    the canal's other sections, where the cortex closes the ring).
    """
    for k in np.flatnonzero(canal.mask.any(axis=(1, 2))):
        at = on_section(roi, canal, point, int(k))
        if canal.mask[at] and body_in_front(roi, masks, canal, at):
            return True
    return False


def body_in_front(roi: LpsRoi, masks: BonyMasks, canal: CanalResult, at: Section) -> bool:
    """Whether a vertebral body lies in front of the canal at a point on its section (``at``,
    :func:`imaging.canal_point.on_nearest_section`): bone, what bone encloses on the section, or
    trabecular bone reading above ``SOFT_BELOW_HU``, at least ``MIN_BODY_DEPTH_MM`` deep
    (:func:`imaging.canal_point.depth_in_front_mm`). Shallower, the "canal" is a body's dark interior behind
    its anterior cortex, or a hole in the arch with no body in front."""
    depth = depth_in_front_mm(roi, masks, canal, at, porous_bone_above_hu=SOFT_BELOW_HU)
    return depth >= MIN_BODY_DEPTH_MM


def canal_wide_enough(roi: LpsRoi, canal: CanalResult, point: FloatArray | None = None) -> bool:
    """Whether the canal is at least ``MIN_CANAL_ACROSS_MM`` across, side to side and front to back, on
    one of its sections; with ``point``, on a section whose side-to-side span holds the point's column
    (the canal straight behind or in front of it)."""
    least_px = MIN_CANAL_ACROSS_MM / roi.spacing_mm
    col = None if point is None else round(float(roi.lps_to_index(point)[2]))
    for k in np.flatnonzero(canal.mask.any(axis=(1, 2))):
        rows = np.flatnonzero(canal.mask[k].any(axis=1))
        cols = np.flatnonzero(canal.mask[k].any(axis=0))
        if rows[-1] - rows[0] + 1 < least_px or cols[-1] - cols[0] + 1 < least_px:
            continue
        if col is None or cols[0] <= col <= cols[-1]:
            return True
    return False
