"""Where a vertebra click lies, judged around the search (:func:`imaging.vertebra.find_vertebra`).

A click that is not in a vertebral body must be refused in the operator's words, never answered with a
body found from the wrong place. Session 19 QA: a click in the spinal canal behind chest T10 (CSF, 23 HU)
gave a 30.7 mL "body" holding the real canal, a "canal" 20 mm behind it in the muscles and a pedicle
across the transverse process, with no warning (F1); a click in lung (-834 HU) or in the aorta (12 HU)
was refused as "the body found is 68 mm tall ... thin discs, dense bone?" (F7). Three judgements, on the
click's region (:class:`imaging.vertebra_roi.LpsRoi`, 1 mm, HU) and its bone
(:class:`imaging.bony_masks.BonyMasks`); what the point reads is :mod:`imaging.click_tissue`'s:

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
  The body in front of that canal may read on any of its sections that holds the centroid, and a canal
  behind the centroid counts only when it is another canal, not the same one found further up or down
  (session 25: clicks in the canal behind lumbar-ct-labels' cut L2 gave 34-41 mL "bodies" centred in the
  top of L3's canal, where the section nearest the centroid read 6 mm of bone in front of it).
- :func:`refuse_click_behind_canal`, after the body search: a point behind the centre line of the canal
  found from the body's centroid (as a click there finds it) is in the back of the canal or behind it, in
  the arch, not in the body: refused (session 22: from there the search takes a pocket in the arch for
  the canal, and the body in front of it, right or not, is reported with that wrong canal).
- :func:`refuse_body_away_from_click`, after the body search: a point in air, lung or fat
  (:func:`click_tissue`) that the body found does not hold (more than ``CLICK_IN_BODY_MM`` from it) is
  refused, saying what the point is in before anything about that body.
- :func:`tissue_refusal`: when the search refuses a point in air, lung or fat, that is said instead of
  what the search ran into; :func:`with_tissue`: a point reading soft tissue or fluid is said to, before
  the search's reason. Soft-tissue HU alone refuses nothing: a lytic lesion inside a body reads so.

Positions LPS mm; HU.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.bony_masks import BonyMasks
from imaging.canal_point import (
    behind_the_canal,
    beside_the_canal_mm,
    beside_the_outline_mm,
    depth_in_front_mm,
    in_front_of_the_wall_line,
    on_nearest_section,
    on_section,
)
from imaging.click_tissue import (
    AIR_BELOW_HU,
    FAT_BELOW_HU,
    SOFT_BELOW_HU,
    TISSUE_RADIUS_MM,
    ClickTissue,
    Tissue,
    click_tissue,
)
from imaging.vertebra_canal import CANAL_CONSISTENCY_MM, CANAL_MIN_POSTERIOR_MM, CanalResult, find_canal
from imaging.vertebra_discs import MIN_BODY_HEIGHT_MM
from imaging.vertebra_errors import ClickNotInBodyError, PlacedAtCanalError, VertebraNotFoundError
from imaging.vertebra_roi import LpsRoi
from imaging.vertebra_steps import CLICK_IN_BODY_MM

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
    "body_in_front",
    "canal_wide_enough",
    "click_tissue",
    "refuse_body_away_from_click",
    "refuse_body_in_canal",
    "refuse_click_behind_canal",
    "refuse_click_in_canal",
    "tissue_refusal",
    "with_tissue",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Section = tuple[int, int, int]

_UP = np.array([0.0, 0.0, 1.0])

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


def refuse_click_in_canal(roi: LpsRoi, masks: BonyMasks, click: FloatArray, tissue: ClickTissue) -> None:
    """Refuse a click in the spinal canal (see the module's notes).

    Raises
    ------
    ClickNotInBodyError
        When the point lies in the canal found from in front of it, with a vertebral body in front.
    """
    canal = _canal_holding(roi, masks, click)
    if canal is None:
        return
    raise ClickNotInBodyError(_in_canal_words(roi, canal, click, tissue), click)


def refuse_body_in_canal(
    roi: LpsRoi, masks: BonyMasks, body_centroid: FloatArray, click: FloatArray, tissue: ClickTissue
) -> None:
    """Refuse a "body" found in the spinal canal: its centroid lies in the canal as a click there would
    (:func:`refuse_click_in_canal`'s judgement, at the centroid).

    QA s21 F3: clicks 7-16 mm behind the 3 mm abdomen's L3 canal, in the arch or the soft tissue between
    its parts (47 HU), found a canal-like pocket further back and, in front of it, a 28-38 mL "body"
    centred in the canal, its end plates tilted 33-35 degrees; nothing said so. A body found from a click
    in a body holds bone at its centroid, or lies in front of any canal found from in front of it.

    A canal enclosed by bone behind the centroid keeps it from being judged (a body's dark interior, see
    the module's notes); when the point lies behind the canal that holds the centroid, only a canal
    straight behind the centroid does: from behind the canal the search found "bodies" centred in the
    canal, 7-10 mm up or down, with only a hole 24 mm to the side behind them (chest T7 and T8, 10 and 13
    mm behind the canal's centroid, 19-25 mL; session 22). That canal must be another canal than the one
    holding the centroid (:func:`_canal_behind`), and the body in front of the holding canal is read on
    any of its sections that holds the centroid (:func:`_body_in_front_where_held`; session 25).

    Raises
    ------
    ClickNotInBodyError
        When the body's centroid lies in the canal found from in front of it, with a vertebral body in
        front of that canal; the words say where the point lies: behind the canal, in it, or (a lesion
        opening the wall into the canal) neither.
    """
    canal = _canal_holding(roi, masks, body_centroid, unless_canal_behind=False, any_section=True)
    if canal is None:
        return
    hu = f"{tissue.median_hu:.0f} HU near it"
    at = on_nearest_section(roi, canal, click)
    behind = behind_the_canal(canal, at)
    if _canal_behind(roi, masks, body_centroid, straight=behind, other_than=canal):
        return  # a canal enclosed by bone behind the centroid: the "canal" is a body's dark interior
    if behind:
        reason = (
            f"{_behind_words(hu)}: the body found from it lies in the canal; click in the body in front of "
            "the canal"
        )
    elif canal.mask[at] and not in_front_of_the_wall_line(roi, canal, at):
        reason = _in_canal_words(roi, canal, click, tissue)
    else:
        # chest T8 and T9 with a lytic sphere painted on the posterior wall (click_place_figures lytic):
        # the lesion joins the canal, and the body found was centred in the canal, 35 mm tall
        reason = (
            f"the body found from the point ({hu}) lies in the spinal canal, not in front of it (a lesion "
            "opening the posterior wall into the canal, or a point outside the body?): click inside the "
            "body, away from its back wall"
        )
    raise ClickNotInBodyError(reason, click)


def refuse_click_behind_canal(
    roi: LpsRoi,
    masks: BonyMasks,
    body_centroid: FloatArray,
    click: FloatArray,
    tissue: ClickTissue,
    *,
    spinal: CanalResult | None = None,
) -> None:
    """Refuse a point behind the spinal canal of the body found from it.

    The canal is looked for from the body's centroid, as from a click there (:func:`find_canal`); a click
    in a body lies in front of that canal's centre line, a click in the arch behind it, by more than
    ``CLICK_IN_BODY_MM`` (a wall click may be one coarse voxel off). From behind the canal the search
    takes a pocket in the arch, or the soft tissue behind it, for the canal, and the body in front of that
    for the vertebra's: QA s21 and session 22's wall study (tests/benchmarks/wall_click_figures.py), 7-13 mm
    behind the canal's centroid: bodies of Dice 0.08-0.93 against the centroid click's, each with a
    "canal" 20-32 mm behind the real one, and nothing said. The canal so found counts only with a body
    in front of it at least ``MIN_BODY_DEPTH_MM`` deep (not a body's dark interior behind its cortex).

    With ``spinal``, the spinal canal found in front of the body (:func:`imaging.canal_recheck.
    canal_in_front_of_body`: the "body" lies behind it, in the arch), the point is judged against that
    canal instead, and refused wherever it lies.

    Raises
    ------
    ClickNotInBodyError
        When the point lies behind the back edge of the canal found from the body's centroid, or
        ``spinal`` is given.
    """
    canal = find_canal(roi, masks.arch_solid, masks.smoothed, body_centroid) if spinal is None else spinal
    if canal is None:
        return
    at = on_nearest_section(roi, canal, click)
    k, row, _ = at
    if (row - _centre_row(roi, canal, k)) * roi.spacing_mm <= CLICK_IN_BODY_MM:
        # in front of the canal's centre line, or within one coarse voxel of it: the line is fitted
        # straight, and where the spine curves it runs up to a few mm off at the body's level (the 3 mm
        # abdomen's L5: a click on the posterior wall lay 1.3 mm behind it)
        if spinal is not None:
            raise PlacedAtCanalError(
                f"the bone found from the point ({tissue.median_hu:.0f} HU near it) lies behind the spinal "
                "canal, in the vertebral arch, not in a vertebral body: click in the body in front of the "
                "canal",
                click,
            )
        return
    centre = on_nearest_section(roi, canal, canal.centroid_at(body_centroid, _UP))
    if not body_in_front(roi, masks, canal, centre):
        return  # no body in front: not the canal
    hu = f"{tissue.median_hu:.0f} HU near it"
    aside_mm = beside_the_canal_mm(roi, canal, at)
    if aside_mm <= CLICK_IN_BODY_MM:
        # within the section's span, but at a foramen's level the section spreads sideways: beside the canal
        # as it runs on most sections is beside it (chest right T8-T9 rib head, 20 mm from the canal's
        # centre, was said to lie "in the back of the spinal canal" inside its 36 mm section; median 19 mm)
        aside_mm = beside_the_outline_mm(roi, canal, at)
    if aside_mm > CLICK_IN_BODY_MM and not behind_the_canal(canal, at):
        # abdomen L5's right transverse process (session 22) was said to lie on the lamina only; the canal
        # found from the body may itself be a hole beside the real one (lumbar-ct-labels L4, 13 mm behind its
        # canal: 19 mm out from the hole's side edge), so both are said
        reason = (
            f"the point ({hu}) lies beside the spinal canal, {aside_mm:.0f} mm out from its side edge and "
            "behind its front (on a pedicle, a transverse process or a rib head), or on the vertebral arch "
            "(lamina) behind it, not in a vertebral body"
        )
    elif behind_the_canal(canal, at):
        reason = _behind_words(hu)
    else:
        reason = (
            f"the point ({hu}) lies in the back of the spinal canal, or on the vertebral arch (lamina) at "
            "its back edge, not in a vertebral body"
        )
    raise PlacedAtCanalError(f"{reason}: click in the body in front of the canal", click)


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


def _canal_holding(
    roi: LpsRoi,
    masks: BonyMasks,
    point: FloatArray,
    *,
    unless_canal_behind: bool = True,
    any_section: bool = False,
) -> CanalResult | None:
    """The spinal canal that holds the point, found from in front of it with a vertebral body in front,
    else None (the judgement of :func:`refuse_click_in_canal`, see the module's notes); with
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
    if unless_canal_behind and _canal_behind(roi, masks, point):
        return None  # a canal enclosed by bone behind the point: the point is in a body's dark interior
    return canal


def _in_canal_words(roi: LpsRoi, canal: CanalResult, point: FloatArray, tissue: ClickTissue) -> str:
    """The refusal's words for a point the canal's mask holds: in the canal or, reading bone behind its
    centre line, on the arch at its back (the mask holds the blurred edge of the lamina; QA s21: the 3 mm
    abdomen's L2, 10 and 13 mm behind the canal's centroid, 231-254 HU, was said to be "in the spinal
    canal")."""
    hu = f"{tissue.median_hu:.0f} HU near it"
    k, row, _ = on_nearest_section(roi, canal, point)
    if tissue.tissue is Tissue.BONE and row > _centre_row(roi, canal, k):
        return (
            f"the point ({hu}) lies on the vertebral arch (lamina) at the back of the spinal canal, not in a "
            "vertebral body: click in the body in front of the canal"
        )
    return (
        f"the point lies in the spinal canal ({hu}), not in a vertebral body: click in the body in front of "
        "it"
    )


def _centre_row(roi: LpsRoi, canal: CanalResult, k: int) -> float:
    """The ROI row (front to back) of the canal's centre line on section ``k``."""
    return float(roi.lps_to_index(canal.centroid_at(roi.index_to_lps(np.array([k, 0.0, 0.0])), _UP))[1])


def _behind_words(hu: str) -> str:
    """The words for a point behind the spinal canal (``hu``: what it reads)."""
    return (
        f"the point ({hu}) lies behind the spinal canal, in the vertebral arch (lamina, spinous process) "
        "or the soft tissue between its parts, not in a vertebral body"
    )


def _canal_behind(
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
    apart = behind.centroid_at(point, _UP) - other_than.centroid_at(point, _UP)
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
