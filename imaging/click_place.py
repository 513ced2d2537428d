"""Where a vertebra click lies, judged around the search (:func:`imaging.vertebra.find_vertebra`).

A click that is not in a vertebral body must be refused in the operator's words, never answered with a
body found from the wrong place. Session 19 QA: a click in the spinal canal behind chest T10 (CSF, 23 HU)
gave a 30.7 mL "body" holding the real canal, a "canal" 20 mm behind it in the muscles and a pedicle
across the transverse process, with no warning (F1); a click in lung (-834 HU) or in the aorta (12 HU)
was refused as "the body found is 68 mm tall ... thin discs, dense bone?" (F7). Three judgements, on the
click's region (:class:`imaging.vertebra_roi.LpsRoi`, 1 mm, HU) and its bone
(:class:`imaging.bony_masks.BonyMasks`):

- :func:`refuse_click_in_canal`, before the search: the point lies in the spinal canal when the canal
  found from a point in front of it (``CANAL_LOOK_FROM_FRONT_MM`` anterior, the way the search finds the
  canal behind a click in a body) holds it, the point is not in front of that canal's front edge as it
  runs on most sections (the posterior wall's line: a lytic lesion that opens the wall joins the canal
  on its own sections), a vertebral body lies in front of that canal (bone, a cortex's enclosed
  interior, or trabecular bone reading above ``SOFT_BELOW_HU``, at least ``MIN_BODY_DEPTH_MM`` deep
  along the antero-posterior line), and no canal enclosed
  by bone lies behind the point. A point inside the bony solid (bone, or a dark region bone encloses in
  a coronal or sagittal plane: a lytic lesion or an osteoporotic interior inside its shell) is never
  judged so: the canal runs on up and down the spine and no bone closes it in those planes. The last
  condition keeps an osteoporotic body whose interior reads like the canal (lumbar-ct-labels L3: 41 HU
  at its centre, an axial hole the canal search from in front takes for a canal, with the body's
  anterior half in front of it) from being refused: its canal lies behind it. A hole behind the point
  counts as a canal only where it is at least ``MIN_CANAL_ACROSS_MM`` across both ways on a section: a
  narrower hole enclosed by bone in the arch (8 mm wide behind the 3 mm abdomen's L1 canal, 6 mm behind
  its L2's) let canal clicks through before (session 20). Still let through: canal clicks behind which
  the canal search finds the same canal on sections further up or down (a canal tilted by the lordosis
  lies 8 mm or more behind the point there), or a canal-sized hole beside it (chest T7: a hole 16 mm
  wide, 24 mm to the side), and those where the body in front reads shallower than MIN_BODY_DEPTH_MM.
- :func:`refuse_body_in_canal`, after the body search: a "body" whose centroid lies in the spinal canal
  (the same judgement at the centroid) is refused; said as behind the canal when the point lies behind it
  (session 21 QA F3: clicks behind the 3 mm abdomen's L3 canal found a 28-38 mL "body" in the canal).
- :func:`refuse_body_away_from_click`, after the body search: a point in air, lung or fat
  (:func:`click_tissue`) that the body found does not hold (more than ``CLICK_IN_BODY_MM`` from it) is
  refused, saying what the point is in before anything about that body.
- :func:`tissue_refusal`: when the search refuses a point in air, lung or fat, that is said instead of
  what the search ran into; :func:`with_tissue`: a point reading soft tissue or fluid is said to, before
  the search's reason. Soft-tissue HU alone refuses nothing: a lytic lesion inside a body reads so.

Positions LPS mm; HU.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.bony_masks import BonyMasks
from imaging.vertebra_canal import CANAL_MIN_POSTERIOR_MM, CanalResult, find_canal
from imaging.vertebra_discs import MIN_BODY_HEIGHT_MM
from imaging.vertebra_errors import ClickNotInBodyError, VertebraNotFoundError
from imaging.vertebra_roi import LpsRoi, sample_source_hu
from imaging.vertebra_steps import CLICK_IN_BODY_MM, RING_CLOSING_MM
from imaging.volume import Volume

__all__ = [
    "AIR_BELOW_HU",
    "CANAL_LOOK_FROM_FRONT_MM",
    "CLICK_IN_BODY_MM",
    "FAT_BELOW_HU",
    "MIN_BODY_DEPTH_MM",
    "MIN_CANAL_ACROSS_MM",
    "SOFT_BELOW_HU",
    "TISSUE_RADIUS_MM",
    "ClickTissue",
    "Tissue",
    "click_tissue",
    "refuse_body_away_from_click",
    "refuse_body_in_canal",
    "refuse_click_in_canal",
    "tissue_refusal",
    "with_tissue",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: the point's HU is the median within this radius (mm), as the lesion tool's seed (imaging.lesion)
TISSUE_RADIUS_MM = 2.0
#: below this the point holds air: lung reads about -700 to -900 HU, fat about -100 (common CT values,
#: not in CLINICAL.md); half way between fat and lung's densest parts
AIR_BELOW_HU = -300.0
#: below this (and above AIR_BELOW_HU) the point is fat: the lesion tool's fat limit (imaging.lesion:
#: half way between lytic tissue's 0 HU and fat's -100)
FAT_BELOW_HU = -50.0
#: below this (and above FAT_BELOW_HU) the point reads soft tissue or fluid: CLINICAL.md's soft-tissue
#: density of lytic lesions, roughly 0-100 HU (osteoporotic trabecular bone, 89 +- 38 HU at 90+, reads
#: within it too: never a reason to refuse on its own)
SOFT_BELOW_HU = 100.0
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
#: gaps up to this long (mm) in the bone in front of the canal are crossed (a blurred posterior wall
#: between the canal's half-maximum edge and the body)
BODY_GAP_MM = 2.0


class Tissue(StrEnum):
    """What a point reads by its HU."""

    AIR = "air or lung"
    FAT = "fat"
    SOFT = "soft tissue or fluid"
    BONE = "bone or denser"


@dataclass(frozen=True)
class ClickTissue:
    """The point's median HU within ``TISSUE_RADIUS_MM`` and what that reads as."""

    median_hu: float
    tissue: Tissue

    def words(self) -> str:
        """E.g. ``"air or lung (-834 HU)"``."""
        return f"{self.tissue.value} ({self.median_hu:.0f} HU)"


def click_tissue(volume: Volume, click_lps: npt.ArrayLike) -> ClickTissue:
    """The median HU of the source CT within ``TISSUE_RADIUS_MM`` of the point, and its tissue.

    Sampled on a 1 mm lattice of points in the ball (trilinear), so the ball is the same in mm on any
    grid; points outside the scan are left out (a point whose whole ball is outside reads air).
    """
    click = np.asarray(click_lps, dtype=np.float64)
    r = int(np.ceil(TISSUE_RADIUS_MM))
    offsets = np.indices((2 * r + 1,) * 3).reshape(3, -1).T.astype(np.float64) - r
    offsets = offsets[np.linalg.norm(offsets, axis=1) <= TISSUE_RADIUS_MM]
    points = click + offsets
    index = volume.lps_to_index_points(points)
    upper = np.asarray(volume.shape, dtype=np.float64) - 0.5
    inside = np.all((index >= -0.5) & (index <= upper), axis=1)
    values = sample_source_hu(volume, points[inside]) if inside.any() else np.array([-1000.0])
    hu = float(np.median(values))
    if hu < AIR_BELOW_HU:
        kind = Tissue.AIR
    elif hu < FAT_BELOW_HU:
        kind = Tissue.FAT
    elif hu < SOFT_BELOW_HU:
        kind = Tissue.SOFT
    else:
        kind = Tissue.BONE
    return ClickTissue(median_hu=hu, tissue=kind)


def refuse_click_in_canal(roi: LpsRoi, masks: BonyMasks, click: FloatArray, tissue: ClickTissue) -> None:
    """Refuse a click in the spinal canal (see the module's notes).

    Raises
    ------
    ClickNotInBodyError
        When the point lies in the canal found from in front of it, with a vertebral body in front.
    """
    if _canal_holding(roi, masks, click) is None:
        return
    raise ClickNotInBodyError(
        f"the point lies in the spinal canal ({tissue.median_hu:.0f} HU near it), not in a vertebral body: "
        "click in the body in front of it",
        click,
    )


def refuse_body_in_canal(
    roi: LpsRoi, masks: BonyMasks, body_centroid: FloatArray, click: FloatArray, tissue: ClickTissue
) -> None:
    """Refuse a "body" found in the spinal canal: its centroid lies in the canal as a click there would
    (:func:`refuse_click_in_canal`'s judgement, at the centroid).

    QA s21 F3: clicks 7-16 mm behind the 3 mm abdomen's L3 canal, in the arch or the soft tissue between
    its parts (47 HU), found a canal-like pocket further back and, in front of it, a 28-38 mL "body"
    centred in the canal, its end plates tilted 33-35 degrees; nothing said so. A body found from a click
    in a body holds bone at its centroid, or lies in front of any canal found from in front of it.

    Raises
    ------
    ClickNotInBodyError
        When the body's centroid lies in the canal found from in front of it, with a vertebral body in
        front of that canal; the words say where the point lies: behind the canal, in it, or (a lesion
        opening the wall into the canal) neither.
    """
    canal = _canal_holding(roi, masks, body_centroid)
    if canal is None:
        return
    hu = f"{tissue.median_hu:.0f} HU near it"
    at = _on_nearest_section(roi, canal, click)
    k, row, col = at
    in_column = np.flatnonzero(canal.mask[k, :, col])
    back = in_column.max() if len(in_column) else np.flatnonzero(canal.mask[k].any(axis=1)).max()
    if row > back:  # ROI rows run posterior
        reason = (
            f"the point ({hu}) lies behind the spinal canal, in the vertebral arch (lamina, spinous process) "
            "or the soft tissue between its parts, not in a vertebral body: the body found from it lies in "
            "the canal; click in the body in front of the canal"
        )
    elif canal.mask[at] and not _in_front_of_the_wall_line(roi, canal, at):
        reason = (
            f"the point lies in the spinal canal ({hu}), not in a vertebral body: click in the body in "
            "front of it"
        )
    else:
        # chest T8 and T9 with a lytic sphere painted on the posterior wall (click_place_figures lytic):
        # the lesion joins the canal, and the body found was centred in the canal, 35 mm tall
        reason = (
            f"the body found from the point ({hu}) lies in the spinal canal, not in front of it (a lesion "
            "opening the posterior wall into the canal, or a point outside the body?): click inside the "
            "body, away from its back wall"
        )
    raise ClickNotInBodyError(reason, click)


def refuse_body_away_from_click(
    roi: LpsRoi, body: npt.NDArray[np.bool_], click: FloatArray, tissue: ClickTissue
) -> None:
    """Refuse a point in air, lung or fat that the body found (a ROI mask) does not hold.

    A point reading soft tissue is left alone: a lytic lesion reads so, and the body search may leave
    one out of the body (painted lytic spheres in chest-ct-dicom T7 and T8, 8 mm behind or in front of
    the centroid: the body found 4-5 mm from the click); the body is then reported as before.

    Raises
    ------
    ClickNotInBodyError
        When the point reads air, lung or fat and lies more than ``CLICK_IN_BODY_MM`` from the body.
    """
    if tissue.tissue not in (Tissue.AIR, Tissue.FAT):
        return  # soft tissue away from the body found may be a lytic lesion the body search left out
    pts = roi.voxel_points_lps(body)
    away = float(np.linalg.norm(pts - click, axis=1).min()) if len(pts) else float("inf")
    if away <= CLICK_IN_BODY_MM:
        return
    raise ClickNotInBodyError(
        f"the point is in {tissue.words()}, not in bone, and no vertebral body holds it (the nearest body "
        f"found is {away:.0f} mm away): click inside a vertebral body",
        click,
    )


def tissue_refusal(tissue: ClickTissue, click: FloatArray) -> ClickNotInBodyError | None:
    """The refusal of a point in air, lung or fat (which no vertebral body holds), else None."""
    if tissue.tissue not in (Tissue.AIR, Tissue.FAT):
        return None
    return ClickNotInBodyError(
        f"the point is in {tissue.words()}, not in bone: click inside a vertebral body", click
    )


def with_tissue(tissue: ClickTissue, refused: VertebraNotFoundError) -> VertebraNotFoundError | None:
    """A refusal of a point reading soft tissue or fluid that says so first, else None.

    Not a reason on its own (a lytic lesion inside a body reads so too), but said before what the search
    ran into (QA session 19: a click in the aorta was refused for a body "44 mm tall ... thin discs?").
    """
    if tissue.tissue is not Tissue.SOFT:
        return None
    return VertebraNotFoundError(
        f"the point reads {tissue.median_hu:.0f} HU near it, soft tissue or fluid, not bone (outside the "
        f"bone, or a lytic lesion); {refused.reason}",
        refused.click_lps,
    )


def _canal_holding(roi: LpsRoi, masks: BonyMasks, point: FloatArray) -> CanalResult | None:
    """The spinal canal that holds the point, found from in front of it with a vertebral body in front,
    else None (the judgement of :func:`refuse_click_in_canal`, see the module's notes)."""
    at = np.rint(roi.lps_to_index(point)).astype(np.int64)
    if np.any(at < 0) or np.any(at >= roi.shape) or masks.solid[tuple(at)]:
        return None  # in bone or in a bony shell's enclosed interior: never the canal
    front = point - np.array([0.0, CANAL_LOOK_FROM_FRONT_MM, 0.0])
    canal = find_canal(roi, masks.arch_solid, masks.smoothed, front)
    if canal is None:
        return None
    at_section = _on_nearest_section(roi, canal, point)
    if not canal.mask[at_section]:
        return None
    if _in_front_of_the_wall_line(roi, canal, at_section):
        return None  # a lytic lesion that opened the posterior wall into the canal: the point is in the body
    if _depth_in_front_mm(roi, masks, canal, at_section) < MIN_BODY_DEPTH_MM:
        return None  # no body in front: the "canal" is a body's dark interior behind its anterior cortex
    if _canal_behind(roi, masks, point):
        return None  # a canal enclosed by bone behind the point: the point is in a body's dark interior
    return canal


def _on_nearest_section(roi: LpsRoi, canal: CanalResult, click: FloatArray) -> tuple[int, int, int]:
    """The click carried along the canal's centre line to the nearest ROI section the canal was found on
    (the canal is enclosed only at the pedicles' level), as a ROI index."""
    k_click = float(roi.lps_to_index(click)[0])
    sections = np.flatnonzero(canal.mask.any(axis=(1, 2)))
    k = int(sections[np.argmin(np.abs(sections - k_click))])
    d = canal.line_direction_lps
    moved = click + d * ((k - k_click) * roi.spacing_mm / d[2])
    _, row, col = np.rint(roi.lps_to_index(moved)).astype(np.int64)
    row = int(np.clip(row, 0, roi.shape[1] - 1))
    col = int(np.clip(col, 0, roi.shape[2] - 1))
    return k, row, col


def _in_front_of_the_wall_line(roi: LpsRoi, canal: CanalResult, at: tuple[int, int, int]) -> bool:
    """Whether the point lies in front of the canal's front edge as it runs on most sections.

    The canal's front is the posterior wall; a lytic lesion that breaks the wall joins the canal on the
    sections it spans, and the canal found there reaches into the body. On each section the front edge
    at the point's column is taken relative to the canal's centre line (so a tilted spine does not
    move it); the wall's line is the median over the sections, and a point in front of it is in the body.
    """
    k, row, col = at
    rows = np.arange(roi.shape[1], dtype=np.float64)

    def line_row(section: int) -> float:
        d = canal.line_direction_lps
        s = (float(roi.index_to_lps(np.array([float(section), 0.0, 0.0]))[2]) - canal.line_point_lps[2]) / d[
            2
        ]
        return float(roi.lps_to_index(canal.line_point_lps + s * d)[1])

    fronts = [
        float(rows[canal.mask[kk, :, col]].min()) - line_row(int(kk))
        for kk in np.flatnonzero(canal.mask[:, :, col].any(axis=1))
    ]
    return bool(row - line_row(k) < float(np.median(fronts)))


def _depth_in_front_mm(roi: LpsRoi, masks: BonyMasks, canal: CanalResult, at: tuple[int, int, int]) -> float:
    """How deep (mm) bone, or what bone encloses on the section, runs in front of the canal at a column.

    On the canal's section, the bone with its axial holes filled (a body's osteoporotic interior counts
    as body) but without the canal, followed anteriorly (ROI rows run posterior) from the canal's front
    edge at the point's column, across gaps up to ``BODY_GAP_MM``. Trabecular bone reading above soft
    tissue (``SOFT_BELOW_HU``) counts too, though under the bone threshold: where the ring is open on
    the section nothing fills it (the 3 mm abdomen's L4 in front of its canal: 108-127 HU across 9 mm
    that neither the bone nor its fill held: the depth read 11 mm, now 39; session 20).
    """
    k, row, col = at
    plane = _closed_section(masks.arch_solid[k] & roi.inside[k], RING_CLOSING_MM / roi.spacing_mm)
    trabecular = masks.smoothed[k] >= SOFT_BELOW_HU  # denser than soft tissue: bone, if porous
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


def _canal_behind(roi: LpsRoi, masks: BonyMasks, click: FloatArray) -> bool:
    """Whether a canal enclosed by bone lies behind the point: the canal search from the point finds a
    hole at least ``MIN_CANAL_ACROSS_MM`` across, side to side and front to back, on one of its sections.

    A narrower hole is a gap in the arch (between laminae, at the spinous process' root), not the canal
    (abdomen L1: 8 mm wide on its one section, 20 mm behind a canal click; session 20 study).
    """
    behind = find_canal(roi, masks.arch_solid, masks.smoothed, click)
    if behind is None:
        return False
    least_px = MIN_CANAL_ACROSS_MM / roi.spacing_mm
    for k in np.flatnonzero(behind.mask.any(axis=(1, 2))):
        rows = np.flatnonzero(behind.mask[k].any(axis=1))
        cols = np.flatnonzero(behind.mask[k].any(axis=0))
        if rows[-1] - rows[0] + 1 >= least_px and cols[-1] - cols[0] + 1 >= least_px:
            return True
    return False


def _closed_section(plane: BoolArray, radius_px: float) -> BoolArray:
    """An axial section's bone closed with a disk (gaps up to twice the radius bridged), bone kept."""
    r = max(1, round(radius_px))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    padded = np.pad(plane, r + 1)
    closed = ndimage.binary_closing(padded, structure=yy**2 + xx**2 <= r * r)
    out: BoolArray = closed[r + 1 : -(r + 1), r + 1 : -(r + 1)] | plane
    return out
