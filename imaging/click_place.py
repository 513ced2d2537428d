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
- What the point reads, and the refusals said by that alone (air, lung, fat; soft tissue said first), are
  :mod:`imaging.click_tissue`'s; the canal judgement these refusals share (the canal holding a point, a
  body in front of it, a canal behind it) is :mod:`imaging.canal_holding`'s.

Positions LPS mm; HU.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.bony_masks import BONE_THRESHOLD_HU, BonyMasks
from imaging.canal_holding import body_in_front, canal_behind, canal_holding
from imaging.canal_point import (
    UP_LPS,
    behind_the_canal,
    behind_the_wall_line_mm,
    beside_the_canal_mm,
    beside_the_outline_mm,
    centre_row,
    in_front_of_the_wall_line,
    on_nearest_section,
)
from imaging.click_tissue import ClickTissue, Tissue
from imaging.vertebra_canal import CanalResult, find_canal
from imaging.vertebra_errors import ClickNotInBodyError, PlacedAtCanalError
from imaging.vertebra_roi import LpsRoi
from imaging.vertebra_steps import CLICK_IN_BODY_MM

__all__ = [
    "refuse_body_in_canal",
    "refuse_click_behind_canal",
    "refuse_click_in_canal",
]

FloatArray = npt.NDArray[np.float64]


def refuse_click_in_canal(roi: LpsRoi, masks: BonyMasks, click: FloatArray, tissue: ClickTissue) -> None:
    """Refuse a click in the spinal canal (see the module's notes).

    Raises
    ------
    ClickNotInBodyError
        When the point lies in the canal found from in front of it, with a vertebral body in front.
    """
    canal = canal_holding(roi, masks, click)
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
    holding the centroid (:func:`imaging.canal_holding.canal_behind`), and the body in front of the
    holding canal is read on any of its sections that holds the centroid
    (:func:`imaging.canal_holding.canal_holding`; session 25).

    The canal behind is looked for from just behind the holding canal's back edge, not from the centroid:
    the search takes a hole at least ``CANAL_MIN_POSTERIOR_MM`` behind its point, so from a centroid a few
    mm in front of the real canal's centre it passes over that canal to a hole behind the arch (session 27,
    chest T12's "canal +10" click: a 24.2 mL "body" centred 5 mm in front of the canal's centre, a hole 17
    mm behind that centre taken for "another canal", the body accepted with Dice 0.036 against T12's). A
    body's dark interior still has the spinal canal behind its back edge.

    Raises
    ------
    ClickNotInBodyError
        When the body's centroid lies in the canal found from in front of it, with a vertebral body in
        front of that canal; the words say where the point lies: behind the canal, in it, or (a lesion
        opening the wall into the canal) neither.
    """
    canal = canal_holding(roi, masks, body_centroid, unless_canal_behind=False, any_section=True)
    if canal is None:
        return
    hu = f"{tissue.median_hu:.0f} HU near it"
    at = on_nearest_section(roi, canal, click)
    behind = behind_the_canal(canal, at)
    if canal_behind(
        roi, masks, _behind_back_edge(roi, canal, body_centroid), straight=behind, other_than=canal
    ):
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
    if spinal is not None:
        _refuse_behind(
            roi, masks, spinal, body_centroid=body_centroid, click=click, tissue=tissue, spinal=True
        )
        return
    canal = find_canal(roi, masks.arch_solid, masks.smoothed, body_centroid)
    if canal is not None:
        _refuse_behind(
            roi, masks, canal, body_centroid=body_centroid, click=click, tissue=tissue, spinal=False
        )


def _refuse_behind(
    roi: LpsRoi,
    masks: BonyMasks,
    canal: CanalResult,
    *,
    body_centroid: FloatArray,
    click: FloatArray,
    tissue: ClickTissue,
    spinal: bool,
) -> None:
    """:func:`refuse_click_behind_canal`'s judgement against one canal (``spinal``: the spinal canal found
    in front of the body, the point refused wherever it lies)."""
    at = on_nearest_section(roi, canal, click)
    k, row, _ = at
    if (row - centre_row(roi, canal, k)) * roi.spacing_mm <= CLICK_IN_BODY_MM:
        # in front of the canal's centre line, or within one coarse voxel of it: the line is fitted
        # straight, and where the spine curves it runs up to a few mm off at the body's level (the 3 mm
        # abdomen's L5: a click on the posterior wall lay 1.3 mm behind it)
        if spinal:
            raise PlacedAtCanalError(
                f"the bone found from the point ({tissue.median_hu:.0f} HU near it) lies behind the spinal "
                "canal, in the vertebral arch, not in a vertebral body: click in the body in front of the "
                "canal",
                click,
            )
        _refuse_bone_behind_the_wall_line(
            roi, masks, canal, body_centroid=body_centroid, click=click, tissue=tissue
        )
        return
    centre = on_nearest_section(roi, canal, canal.centroid_at(body_centroid, UP_LPS))
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


def _refuse_bone_behind_the_wall_line(
    roi: LpsRoi,
    masks: BonyMasks,
    canal: CanalResult,
    *,
    body_centroid: FloatArray,
    click: FloatArray,
    tissue: ClickTissue,
) -> None:
    """Refuse a point reading bone within the canal's side-to-side span, more than ``CLICK_IN_BODY_MM``
    behind its front edge (the posterior wall's line): the body lies in front of that line, so bone behind
    it, at the canal's side, is a pedicle or a lamina above or below the sections the canal was traced on.

    Session 26: the 3 mm abdomen's L2 right lamina (-5.2, -104.4, 345.7), 740 HU, 8.5 mm right of the
    canal's centre and 3 mm below its 4 traced sections, on its centre line's depth: accepted as a 53.2 mL
    "body" (Dice 0.78 against L2's) with a "canal" 26 mm behind the real one in the spinous process.
    """
    if tissue.tissue is not Tissue.BONE:
        return  # soft tissue there is the canal (refuse_click_in_canal's) or a lesion opening the wall
    at = on_nearest_section(roi, canal, click)
    if beside_the_canal_mm(roi, canal, at) > 0.0:
        return  # beside the canal's span: the body's posterolateral corner may reach back there
    behind_mm = behind_the_wall_line_mm(roi, canal, at)
    if behind_mm is None or behind_mm <= CLICK_IN_BODY_MM:
        return
    centre = on_nearest_section(roi, canal, canal.centroid_at(body_centroid, UP_LPS))
    if not body_in_front(roi, masks, canal, centre):
        return  # no body in front: not the spinal canal
    raise PlacedAtCanalError(
        f"the point ({tissue.median_hu:.0f} HU near it) lies on bone at the side of the spinal canal, "
        f"{behind_mm:.0f} mm behind its front edge (a pedicle or a lamina), not in a vertebral body: click "
        "in the body in front of the canal",
        click,
    )


def _in_canal_words(roi: LpsRoi, canal: CanalResult, point: FloatArray, tissue: ClickTissue) -> str:
    """The refusal's words for a point the canal's mask holds: in the canal or, reading bone behind its
    centre line, on the arch at its back (the mask holds the blurred edge of the lamina; QA s21: the 3 mm
    abdomen's L2, 10 and 13 mm behind the canal's centroid, 231-254 HU, was said to be "in the spinal
    canal")."""
    hu = f"{tissue.median_hu:.0f} HU near it"
    k, row, _ = on_nearest_section(roi, canal, point)
    if tissue.tissue is Tissue.BONE and row > centre_row(roi, canal, k):
        return (
            f"the point ({hu}) lies on the vertebral arch (lamina) at the back of the spinal canal, not in a "
            "vertebral body: click in the body in front of the canal"
        )
    if tissue.median_hu >= BONE_THRESHOLD_HU:
        # bone at the canal's edge, in its mask's blur on thick slices, is not "in the canal" (session 26: the
        # 3 mm abdomen's L3 right lamina, (-8.1, -112.6, 316.7), 494 HU, was said to be in it)
        return (
            f"the point ({hu}) lies on bone at the edge of the spinal canal (a lamina, a pedicle or the back "
            "wall of a body), not inside a vertebral body: click in the body in front of the canal"
        )
    return (
        f"the point lies in the spinal canal ({hu}), not in a vertebral body: click in the body in front of "
        "it"
    )


def _behind_words(hu: str) -> str:
    """The words for a point behind the spinal canal (``hu``: what it reads)."""
    return (
        f"the point ({hu}) lies behind the spinal canal, in the vertebral arch (lamina, spinous process) "
        "or the soft tissue between its parts, not in a vertebral body"
    )


def _behind_back_edge(roi: LpsRoi, canal: CanalResult, point: FloatArray) -> FloatArray:
    """The point moved straight back to just behind the canal's back edge, in its column on the canal's
    section nearest it (:func:`imaging.canal_point.on_nearest_section`); a point behind it stays."""
    k, row, col = on_nearest_section(roi, canal, point)
    in_column = np.flatnonzero(canal.mask[k, :, col])
    back = in_column.max() if len(in_column) else np.flatnonzero(canal.mask[k].any(axis=1)).max()
    moved: FloatArray = point + np.array([0.0, max(float(back + 1 - row), 0.0) * roi.spacing_mm, 0.0])
    return moved
