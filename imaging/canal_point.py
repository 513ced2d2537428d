"""Where a point lies against a spinal canal found on the click's region (:mod:`imaging.click_place`).

The canal (:class:`imaging.canal_result.CanalResult`) is enclosed by bone only at the pedicles' level,
so a point is first carried along the canal's centre line to the nearest section the canal was found on
(:func:`on_nearest_section`). On that section: whether the point lies in front of the canal's front edge
as it runs on most sections, the posterior wall's line (:func:`in_front_of_the_wall_line`); behind its
back edge (:func:`behind_the_canal`); and how deep a body runs in front of it (:func:`depth_in_front_mm`).
ROI rows run posterior (LPS y), sections superior; positions LPS mm, lengths mm.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.bony_masks import BonyMasks
from imaging.vertebra_canal import CanalResult
from imaging.vertebra_roi import LpsRoi
from imaging.vertebra_steps import RING_CLOSING_MM

__all__ = [
    "BODY_GAP_MM",
    "UP_LPS",
    "behind_the_canal",
    "behind_the_wall_line_mm",
    "beside_the_canal_mm",
    "beside_the_outline_mm",
    "centre_row",
    "closed_section",
    "depth_in_front_mm",
    "in_front_of_the_wall_line",
    "on_nearest_section",
    "on_section",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Section = tuple[int, int, int]
#: the scanner's superior axis (LPS): the axial sections the canal is read on lie square to it
UP_LPS = np.array([0.0, 0.0, 1.0])

#: gaps up to this long (mm) in the bone in front of the canal are crossed (a blurred posterior wall
#: between the canal's half-maximum edge and the body)
BODY_GAP_MM = 2.0


def on_nearest_section(roi: LpsRoi, canal: CanalResult, point: FloatArray) -> Section:
    """The point carried along the canal's centre line to the nearest ROI section the canal was found on
    (the canal is enclosed only at the pedicles' level), as a ROI index (section, row, column)."""
    k_point = float(roi.lps_to_index(point)[0])
    sections = np.flatnonzero(canal.mask.any(axis=(1, 2)))
    return on_section(roi, canal, point, int(sections[np.argmin(np.abs(sections - k_point))]))


def on_section(roi: LpsRoi, canal: CanalResult, point: FloatArray, k: int) -> Section:
    """The point carried along the canal's centre line to ROI section ``k``, as a ROI index (section, row,
    column)."""
    k_point = float(roi.lps_to_index(point)[0])
    d = canal.line_direction_lps
    moved = point + d * ((k - k_point) * roi.spacing_mm / d[2])
    _, row, col = np.rint(roi.lps_to_index(moved)).astype(np.int64)
    row = int(np.clip(row, 0, roi.shape[1] - 1))
    col = int(np.clip(col, 0, roi.shape[2] - 1))
    return k, row, col


def behind_the_canal(canal: CanalResult, at: Section) -> bool:
    """Whether the point (on the canal's section, :func:`on_nearest_section`) lies behind the canal's back
    edge: in the point's column, or, beside the canal, the section's hindmost canal row."""
    k, row, col = at
    in_column = np.flatnonzero(canal.mask[k, :, col])
    back = in_column.max() if len(in_column) else np.flatnonzero(canal.mask[k].any(axis=1)).max()
    return bool(row > back)


def beside_the_canal_mm(roi: LpsRoi, canal: CanalResult, at: Section) -> float:
    """How far (mm) the point (on the canal's section, :func:`on_nearest_section`) lies to the side of the
    canal's side-to-side span on that section; 0 within it."""
    k, _, col = at
    cols = np.flatnonzero(canal.mask[k].any(axis=0))
    return float(max(cols[0] - col, col - cols[-1], 0) * roi.spacing_mm)


def beside_the_outline_mm(roi: LpsRoi, canal: CanalResult, at: Section) -> float:
    """How far (mm) the point (on the canal's section, :func:`on_nearest_section`) lies to the side of the
    canal as it runs on most sections: its side edges taken from the centre line on each section, the
    median over the sections; 0 within.

    At a foramen's level the canal's section spreads sideways into the foramina (chest CT at z -56, the
    T8-T9 rib heads' level: 36 mm across, against a median of 19 mm over its 40 sections), and a point
    beside the canal there reads as inside the section's span (:func:`beside_the_canal_mm`).
    """
    k, _, col = at
    lefts, rights = [], []
    for kk in np.flatnonzero(canal.mask.any(axis=(1, 2))):
        cols = np.flatnonzero(canal.mask[kk].any(axis=0))
        centre = _line_col(roi, canal, int(kk))
        lefts.append(cols[0] - centre)
        rights.append(cols[-1] - centre)
    offset = col - _line_col(roi, canal, k)
    out_px = max(float(np.median(lefts)) - offset, offset - float(np.median(rights)), 0.0)
    return float(out_px * roi.spacing_mm)


def _line_col(roi: LpsRoi, canal: CanalResult, k: int) -> float:
    """The ROI column (side to side) of the canal's centre line on section ``k``."""
    d = canal.line_direction_lps
    z = float(roi.index_to_lps(np.array([float(k), 0.0, 0.0]))[2])
    return float(roi.lps_to_index(canal.line_point_lps + d * ((z - canal.line_point_lps[2]) / d[2]))[2])


def in_front_of_the_wall_line(roi: LpsRoi, canal: CanalResult, at: Section) -> bool:
    """Whether the point lies in front of the canal's front edge as it runs on most sections.

    The canal's front is the posterior wall; a lytic lesion that breaks the wall joins the canal on the
    sections it spans, and the canal found there reaches into the body. On each section the front edge
    at the point's column is taken relative to the canal's centre line (so a tilted spine does not
    move it); the wall's line is the median over the sections, and a point in front of it is in the body.
    """
    k, row, col = at
    front = _wall_line_rows(roi, canal, col)
    return front is not None and row - centre_row(roi, canal, k) < front


def behind_the_wall_line_mm(roi: LpsRoi, canal: CanalResult, at: Section) -> float | None:
    """How far (mm) the point lies behind the canal's front edge as it runs on most sections (the
    posterior wall's line, as in :func:`in_front_of_the_wall_line`), negative in front of it; None when
    the canal holds no voxel in the point's column on any section (the point lies beside it)."""
    k, row, col = at
    front = _wall_line_rows(roi, canal, col)
    return None if front is None else (row - centre_row(roi, canal, k) - front) * roi.spacing_mm


def _wall_line_rows(roi: LpsRoi, canal: CanalResult, col: int) -> float | None:
    """The posterior wall's line at ROI column ``col``: the median over the canal's sections of its front
    edge's row relative to the centre line's row (ROI rows); None when no section holds the column."""
    columns = canal.mask[:, :, col]
    sections = np.flatnonzero(columns.any(axis=1))
    if len(sections) == 0:
        return None
    fronts = [float(np.flatnonzero(columns[kk]).min()) - centre_row(roi, canal, int(kk)) for kk in sections]
    return float(np.median(fronts))


def centre_row(roi: LpsRoi, canal: CanalResult, k: int) -> float:
    """The ROI row (front to back) of the canal's centre line on section ``k``."""
    return float(roi.lps_to_index(canal.centroid_at(roi.index_to_lps(np.array([k, 0.0, 0.0])), UP_LPS))[1])


def depth_in_front_mm(
    roi: LpsRoi, masks: BonyMasks, canal: CanalResult, at: Section, *, porous_bone_above_hu: float
) -> float:
    """How deep (mm) bone, or what bone encloses on the section, runs in front of the canal at a column.

    On the canal's section, the bone with its axial holes filled (a body's osteoporotic interior counts
    as body) but without the canal, followed anteriorly (ROI rows run posterior) from the canal's front
    edge at the point's column, across gaps up to ``BODY_GAP_MM``. Trabecular bone reading above soft
    tissue (``porous_bone_above_hu``) counts too, though under the bone threshold: where the ring is open
    on the section nothing fills it (the 3 mm abdomen's L4 in front of its canal: 108-127 HU across 9 mm
    that neither the bone nor its fill held: the depth read 11 mm, now 39; session 20).
    """
    k, row, col = at
    plane = closed_section(masks.arch_solid[k] & roi.inside[k], RING_CLOSING_MM / roi.spacing_mm)
    trabecular = masks.smoothed[k] >= porous_bone_above_hu  # denser than soft tissue: bone, if porous
    filled = (ndimage.binary_fill_holes(plane) | masks.solid[k] | trabecular) & ~canal.mask[k]
    column = filled[:row, col][::-1]  # from the point forwards
    in_canal = canal.mask[k, :row, col][::-1]
    start = int(np.argmin(in_canal)) if not in_canal.all() else len(in_canal)
    gap_max = max(1, round(BODY_GAP_MM / roi.spacing_mm))
    depth = 0
    gap = 0
    seen = False
    for value in column[start:]:
        if value:
            depth += 1 + (gap if seen else 0)
            gap = 0
            seen = True
        else:
            gap += 1
            if gap > gap_max:
                break
    return float(depth) * roi.spacing_mm


def closed_section(plane: BoolArray, radius_px: float) -> BoolArray:
    """An axial section's bone closed with a disk (gaps up to twice the radius bridged), bone kept."""
    r = max(1, round(radius_px))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    padded = np.pad(plane, r + 1)
    closed = ndimage.binary_closing(padded, structure=yy**2 + xx**2 <= r * r)
    out: BoolArray = closed[r + 1 : -(r + 1), r + 1 : -(r + 1)] | plane
    return out
