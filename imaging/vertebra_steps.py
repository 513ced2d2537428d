"""The steps of :func:`imaging.vertebra.find_vertebra` from the canal to the posterior wall.

On the click's LPS region (:class:`imaging.vertebra_roi.LpsRoi`, 1 mm grid, HU): the spinal canal behind
the click (:func:`canal_at_click`, from :mod:`imaging.click_canal`); the vertebral body anterior to it, found
twice, in the click's frame and then in the body's own (:func:`body_at_click`); the checks that refuse a
body that is not one vertebra's (:func:`check_body_size`, :func:`refuse_sacrum`); the body's frame for the
pedicles (:func:`body_frame`); its posterior wall (:func:`posterior_wall`) and what the wall and the image's
noise add to the notes (:func:`wall_notes`). Positions LPS mm, lengths mm. A step that cannot go on raises
:class:`imaging.vertebra_errors.VertebraNotFoundError` (:class:`OnSacrumError` on the sacrum) with the
reason in plain words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from imaging.body_height import height_note
from imaging.click_canal import CANAL_ENCLOSED, RING_CLOSING_MM, canal_at_click
from imaging.image_noise import noise_note, noise_sd_near
from imaging.level_anatomy import refusal_hint
from imaging.level_sacrum import is_sacrum
from imaging.vertebra_body import (
    BodyMethod,
    BodyResult,
    BonyMasks,
    PosteriorCut,
    cut_from_canal,
    find_body,
    roi_vessels,
)
from imaging.vertebra_canal import CanalResult, canal_from_mask
from imaging.vertebra_discs import MIN_BODY_HEIGHT_MM
from imaging.vertebra_errors import OnSacrumError, VertebraNotFoundError
from imaging.vertebra_pedicles import VertebraFrame
from imaging.vertebra_roi import LpsRoi, perpendicular_pair
from imaging.vertebra_wall import WallResult, find_posterior_wall
from imaging.volume import Volume

__all__ = [
    "CANAL_ENCLOSED",
    "CLICK_IN_BODY_MM",
    "CUT_FALLBACK_HALF_HEIGHTS_MM",
    "FIRST_PASS_HALF_HEIGHT_MM",
    "MAX_BODY_HEIGHT_MM",
    "MAX_BODY_WIDTH_MM",
    "RING_CLOSING_MM",
    "WALL_NOT_ASSESSED_NOTE",
    "WALL_WIDTH_FRACTION",
    "body_at_click",
    "body_frame",
    "canal_at_click",
    "check_body_size",
    "posterior_wall",
    "refuse_sacrum",
    "wall_notes",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: first pass: canal slices within this distance of the click bound the body (mm); lumbar bodies are
#: 25-30 mm tall, thoracic about 20 mm, so this stays within the clicked body's height
FIRST_PASS_HALF_HEIGHT_MM = 8.0
#: the posterior wall is probed across this fraction of the canal's width (the rest meets pedicles)
WALL_WIDTH_FRACTION = 0.7
#: the note for a wall the search could not probe (planning's vertebra_figures reads it)
WALL_NOT_ASSESSED_NOTE = "posterior wall could not be assessed"
#: a body taller than this spans more than one vertebra (adult bodies are up to about 32 mm tall,
#: L5 included): refused rather than reported wrong (mm)
MAX_BODY_HEIGHT_MM = 40.0
#: a body wider than this across its axis has run out of the bone (mm): adult bodies are up to about
#: 50-55 mm wide (L5)
MAX_BODY_WIDTH_MM = 62.0
#: a click this far from the body found is not in it (mm): the body's surface is known to about one
#: voxel of a 3 mm section
CLICK_IN_BODY_MM = 3.0
#: wider slabs tried when the canal is not enclosed within the body's own height (mm)
CUT_FALLBACK_HALF_HEIGHTS_MM = (16.0, 25.0)


def body_at_click(
    roi: LpsRoi,
    masks: BonyMasks,
    canal: CanalResult,
    click: FloatArray,
    *,
    notes: list[str],
    step: Callable[[float], None],
) -> tuple[BodyResult, CanalResult]:
    """The vertebral body at the click, bounded by the canal's front, and the canal outside it.

    Found first in the click's frame (the canal's front near the click), then again from that body's
    centroid in its own frame; ``step(0.4)`` is called between the two. A note on how the cut was made
    is appended to ``notes``.

    Parameters
    ----------
    roi, masks
        The click's region and its bone (:func:`imaging.vertebra_body.bony_solid`).
    canal
        The canal behind the click (:func:`canal_at_click`).
    click
        The click, LPS mm.
    notes
        The search's notes, appended to.
    step
        Reports progress and stops a cancelled search (raises).

    Returns
    -------
    tuple of BodyResult and CanalResult
        The body, and the canal outside it (the canal as given when nothing of it is left outside).

    Raises
    ------
    VertebraNotFoundError
        When no body is there, the bone there is thinner than a body, or the canal lies at the click
        or inside the body.
    """
    canal_pts = roi.voxel_points_lps(canal.mask)
    up = np.array([0.0, 0.0, 1.0])
    cc = canal.centroid_at(click, up)
    posterior = _perpendicular(cc - click, up)
    if posterior is None:
        raise VertebraNotFoundError("the canal found lies at the point itself", click)
    # first pass in the click's frame: the body anterior to the canal's front (the median front over
    # the enclosed slices near the click, so a slice where the canal leaks into the body through a
    # gap in the posterior wall does not move it)
    cut = _cut(
        canal_pts,
        click,
        (posterior, np.cross(posterior, up), up),
        FIRST_PASS_HALF_HEIGHT_MM,
        None,
    )
    vessels = roi_vessels(roi)  # once for both body searches on this ROI
    body = (
        find_body(
            roi,
            click,
            masks=masks,
            cut=cut,
            axis_hint=canal.line_direction_lps,
            vessels=vessels,
        )
        if cut is not None
        else None
    )
    if body is None:
        raise VertebraNotFoundError("no vertebral body (bone enclosed by cortex) at the point", click)
    if body.caps_in_view and body.height_mm < MIN_BODY_HEIGHT_MM:
        raise VertebraNotFoundError(
            f"the point is not in a vertebral body: the bone there is {body.height_mm:.1f} mm tall, "
            f"thinner than any vertebral body ({MIN_BODY_HEIGHT_MM:.0f} mm; a rib, the sternum, or a "
            "disc's edge?); click inside a vertebral body",
            click,
        )
    step(0.4)
    # the canal outside that body, and the body again, limited by the canal's front, in its own frame
    clean = canal_from_mask(roi, canal.mask & ~body.body)
    if clean is not None:
        canal = clean
    canal_pts = roi.voxel_points_lps(canal.mask)
    axis = body.axis_lps
    cc = canal.centroid_at(body.centroid_lps, axis)
    posterior = _perpendicular(cc - body.centroid_lps, axis)
    if posterior is None:
        raise VertebraNotFoundError("the canal found lies inside the body", click)
    left = np.cross(posterior, axis)
    cut = _cut(
        canal_pts,
        body.centroid_lps,
        (posterior, left, axis),
        0.5 * body.height_mm - 2.0,
        notes,
    )
    # from the first body's centroid, not the click: the result should not depend on where in the
    # body the click fell (near the cortex, rays from the click run out through the nearest gap);
    # the centroid of a body cut by the field of view is not its centre, though
    inside = body.body[tuple(np.rint(roi.lps_to_index(body.centroid_lps)).astype(int))]
    start = body.centroid_lps if inside and not roi.reaches_view_edge(body.body) else click
    refined = (
        find_body(
            roi,
            start,
            masks=masks,
            cut=cut,
            axis_hint=axis,
            slab_hint=body.slab,
            vessels=vessels,
        )
        if cut is not None
        else None
    )
    # a body traced to its cortex by rays is not given up for the opened bony solid (which follows
    # bone around the canal wherever the refined cut lets it)
    if refined is not None and (refined.method is BodyMethod.RAYS or body.method is not BodyMethod.RAYS):
        body = refined
    return body, canal


def check_body_size(roi: LpsRoi, body: BodyResult, click: FloatArray, notes: list[str]) -> None:
    """Refuse a body taller than one vertebra or wider than a body; note a tall one in plain words.

    Raises
    ------
    VertebraNotFoundError
        When the body is taller than ``MAX_BODY_HEIGHT_MM`` or wider than ``MAX_BODY_WIDTH_MM``.
    """
    if body.height_mm > MAX_BODY_HEIGHT_MM:
        raise VertebraNotFoundError(
            f"the body found is {body.height_mm:.0f} mm tall, more than one vertebra "
            f"({MAX_BODY_HEIGHT_MM:.0f} mm): its end plates were not seen (thin discs, dense bone?)",
            click,
        )
    # taller than any adult body (up to MAX_BODY_HEIGHT_MM): warned in plain words (imaging.body_height)
    tall = height_note(body.height_mm)
    if tall is not None:
        notes.append(tall)
    width = _across_extent_mm(roi, body)
    if width > MAX_BODY_WIDTH_MM:
        raise VertebraNotFoundError(
            f"the body found is {width:.0f} mm across, wider than a vertebral body "
            f"({MAX_BODY_WIDTH_MM:.0f} mm): it ran out through a gap in the cortex (rib head, thin cortex?)",
            click,
        )


def refuse_sacrum(volume: Volume, roi: LpsRoi, body: BodyResult, click: FloatArray) -> None:
    """Refuse a body found on the sacrum, with the S1 suggestion.

    A body found on the sacrum (its S1 segment, or S1 with the L5-S1 disc) is not a vertebral body to
    measure: refused as where nothing is found. So is a click on the sacrum from which the search ran
    into the body of L5 (a body away from the click).

    Raises
    ------
    OnSacrumError
        When the body's centroid (or, for a body away from the click, the click) is on the sacrum.
    """
    sacrum = is_sacrum(volume, body.centroid_lps)
    if not sacrum.is_sacrum and _distance_mm(roi, body.body, click) > CLICK_IN_BODY_MM:
        sacrum = is_sacrum(volume, click)
    if sacrum.is_sacrum:
        raise OnSacrumError(
            "the bone found there is the sacrum, which has no vertebral body to measure; "
            + str(refusal_hint(volume, click, finding=sacrum)),
            click,
        )


def body_frame(
    roi: LpsRoi, body: BodyResult, canal: CanalResult, click: FloatArray
) -> tuple[VertebraFrame, FloatArray]:
    """The body's frame (axis, posterior towards the canal, left) with the canal's place and width in
    it, and the canal's centroid at the body's level (LPS mm).

    Raises
    ------
    VertebraNotFoundError
        When the canal's centroid lies inside the body.
    """
    axis = body.axis_lps
    centroid = body.centroid_lps
    cc = canal.centroid_at(centroid, axis)
    posterior = _perpendicular(cc - centroid, axis)
    if posterior is None:
        raise VertebraNotFoundError("the canal found lies inside the body", click)
    left = np.cross(posterior, axis)
    rel = roi.voxel_points_lps(canal.mask) - centroid
    u = rel @ left
    u_lo, u_hi = np.percentile(u, [2.0, 98.0])
    u_c = float((cc - centroid) @ left)
    bpts = roi.voxel_points_lps(body.body) - centroid
    bu, bv, bt = bpts @ left, bpts @ axis, bpts @ posterior
    midline = (np.abs(bu - u_c) <= 3.0) & (np.abs(bv) <= 5.0)
    wall_t = float(bt[midline].max()) if midline.any() else float(bt.max())
    frame = VertebraFrame(
        centroid_lps=centroid,
        axis=axis,
        posterior=posterior,
        left=left,
        canal_center_u_mm=u_c,
        canal_half_width_mm=float(0.5 * (u_hi - u_lo)),
        wall_t_mm=wall_t,
        body_back_t_mm=float(bt.max()),
        canal_t_mm=float((cc - centroid) @ posterior),
        height_mm=body.height_mm,
    )
    return frame, cc


def posterior_wall(volume: Volume, roi: LpsRoi, body: BodyResult, frame: VertebraFrame) -> WallResult:
    """The body's posterior wall between the pedicles (:func:`imaging.vertebra_wall.find_posterior_wall`)."""
    # the wall proper lies between the pedicles: the canal's central width
    u_lo = frame.canal_center_u_mm - WALL_WIDTH_FRACTION * frame.canal_half_width_mm
    u_hi = frame.canal_center_u_mm + WALL_WIDTH_FRACTION * frame.canal_half_width_mm
    return find_posterior_wall(
        roi,
        body.body,
        smoothed=body.smoothed_hu,
        trabecular_hu=body.trabecular_hu,
        body_cortex_hu=body.cortex_hu,
        centroid_lps=frame.centroid_lps,
        axis=frame.axis,
        posterior=frame.posterior,
        canal_u_range_mm=(u_lo, u_hi),
        height_mm=body.height_mm,
        source_voxel_mm=float(max(volume.spacing_mm)),
        # gaps found there are followed out to the canal's whole width
        canal_full_u_range_mm=(
            frame.canal_center_u_mm - frame.canal_half_width_mm,
            frame.canal_center_u_mm + frame.canal_half_width_mm,
        ),
    )


def wall_notes(
    volume: Volume, click: FloatArray, wall: WallResult, notes: list[str]
) -> tuple[WallResult, str | None]:
    """The wall's notes appended to ``notes``; on a noisy image (:mod:`imaging.image_noise`) the wall
    with its defects called uncertain, and the noise warning (None on a quiet image)."""
    if not wall.assessed:
        notes.append(WALL_NOT_ASSESSED_NOTE)
    notes.extend(wall.notes)
    # on a noisy image noise reads as gaps in the wall: say so, and call no defect certain (session 17
    # QA: 60 HU noise gave two "destroyed" gaps with no lesion)
    noisy = noise_note(noise_sd_near(volume, click), volume.spacing_mm)
    if noisy is not None:
        said = tuple(
            replace(d, description=f"uncertain (noisy image): {d.description}") for d in wall.defects
        )
        wall = replace(wall, defects=said)
    return wall, noisy


def _cut(
    canal_pts: FloatArray,
    origin: FloatArray,
    frame: tuple[FloatArray, FloatArray, FloatArray],
    half_height_mm: float,
    notes: list[str] | None,
) -> PosteriorCut | None:
    """The body's posterior limit from the canal at the body's own level, else the nearest level.

    The canal is enclosed by bone only at the pedicles' level; when that level is outside the
    volume (a vertebra cut by the field of view) the front of the nearest enclosed level is used.
    """
    posterior, left, axis = frame
    for half in (half_height_mm, *CUT_FALLBACK_HALF_HEIGHTS_MM):
        cut = cut_from_canal(canal_pts, origin, posterior, left, axis=axis, half_height_mm=half)
        if cut is not None:
            if half != half_height_mm and notes is not None:
                notes.append(
                    f"canal not enclosed at this level; body limited by the canal front within {half:.0f} mm"
                )
            return cut
    return None


def _across_extent_mm(roi: LpsRoi, body: BodyResult) -> float:
    """The body's largest extent across its axis (mm), from its 1st to 99th percentile in 8 directions."""
    pts = roi.voxel_points_lps(body.body) - body.centroid_lps
    e1, e2 = perpendicular_pair(body.axis_lps)
    widest = 0.0
    for angle in np.radians(np.arange(0.0, 180.0, 22.5)):
        d = np.cos(angle) * e1 + np.sin(angle) * e2
        lo, hi = np.percentile(pts @ d, [1.0, 99.0])
        widest = max(widest, float(hi - lo) + roi.spacing_mm)
    return widest


def _distance_mm(roi: LpsRoi, mask: BoolArray, point: FloatArray) -> float:
    """Distance (mm) from ``point`` to the nearest voxel centre of a ROI mask (inf when empty)."""
    pts = roi.voxel_points_lps(mask)
    return float(np.linalg.norm(pts - point, axis=1).min()) if len(pts) else float("inf")


def _perpendicular(v: FloatArray, axis: FloatArray) -> FloatArray | None:
    w = v - (v @ axis) * axis
    n = float(np.linalg.norm(w))
    if n < 1.0:
        return None
    out: FloatArray = w / n
    return out
