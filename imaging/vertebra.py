"""Vertebral anatomy from one click in a vertebral body.

``find_vertebra(volume, click_lps)`` returns a :class:`imaging.vertebra_model.VertebraAnatomy`: the
body without posterior elements, the spinal canal (area and centroid at the body's mid-height), the
posterior wall (band, sampled points, gaps), both pedicles (axis, narrowest width at the isthmus),
the endplates and the body height. Positions are LPS mm, areas mm^2, volumes mL; masks lie on the
source volume's grid.

Everything is computed in a region of interest around the click, resampled onto an LPS-aligned 1 mm
grid (so any stored orientation works: axial, PIR, feet first, prone); pedicle widths are measured
on the source CT at full resolution. Steps: bony solid (:mod:`imaging.vertebra_body`), canal
(:mod:`imaging.vertebra_canal`), body cut at the canal's front and separated from the posterior
elements by an opening, frame (axis from the endplates, posterior towards the canal), posterior wall
(:mod:`imaging.vertebra_wall`), pedicles (:mod:`imaging.vertebra_pedicles`, in bone whose coronal
fill stops at the canal: :mod:`imaging.pedicle_solid`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from imaging.body_height import height_note
from imaging.canal_tube import body_canal_tube
from imaging.endplate_plane import endplate_plane
from imaging.image_noise import noise_note, noise_sd_near
from imaging.level_anatomy import refusal_hint
from imaging.level_sacrum import is_sacrum
from imaging.levels import normalize_level
from imaging.mask import Mask
from imaging.pedicle_solid import without_canal_fill
from imaging.pedicle_waist import WaistPlanes
from imaging.vertebra_body import (
    BodyMethod,
    BodyResult,
    PosteriorCut,
    bony_solid,
    cut_from_canal,
    find_body,
    roi_vessels,
)
from imaging.vertebra_canal import CanalResult, canal_from_mask, find_canal
from imaging.vertebra_discs import MIN_BODY_HEIGHT_MM
from imaging.vertebra_errors import AnatomyCancelledError, OnSacrumError, VertebraNotFoundError
from imaging.vertebra_metal import MetalFinding, find_metal
from imaging.vertebra_model import PedicleAxis, Side, VertebraAnatomy
from imaging.vertebra_pedicles import VertebraFrame, find_pedicle
from imaging.vertebra_refusal import better_refusal, body_across_disc
from imaging.vertebra_roi import LpsRoi, perpendicular_pair, resample_roi, roi_mask_to_source
from imaging.vertebra_wall import WallResult, find_posterior_wall
from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float, float]

#: ROI around the click, relative offsets (mm) along L, P, S: the body may be clicked anywhere in it
#: (bodies up to ~55 mm wide, ~40 mm deep) and the arch reaches ~60 mm behind the body's centre
ROI_LOW_MM = (-50.0, -45.0, -40.0)
ROI_HIGH_MM = (50.0, 65.0, 40.0)
#: ROI grid spacing (mm)
ROI_SPACING_MM = 1.0
#: first pass: canal slices within this distance of the click bound the body (mm); lumbar bodies are
#: 25-30 mm tall, thoracic about 20 mm, so this stays within the clicked body's height
FIRST_PASS_HALF_HEIGHT_MM = 8.0
#: the posterior wall is probed across this fraction of the canal's width (the rest meets pedicles)
WALL_WIDTH_FRACTION = 0.7
#: when no canal is enclosed, gaps in its bony ring up to twice this are closed (mm)
RING_CLOSING_MM = 3.0
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


def _point(v: FloatArray) -> Point:
    return (float(v[0]), float(v[1]), float(v[2]))


def find_vertebra(
    volume: Volume,
    click_lps: Sequence[float] | npt.ArrayLike,
    *,
    level_hint: str | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> VertebraAnatomy:
    """Find the vertebra whose body contains the click.

    Parameters
    ----------
    volume
        The CT (HU), any orientation.
    click_lps
        A point in the vertebral body, LPS mm.
    level_hint
        The level the operator named (e.g. ``"L3"``), stored on the result.
    progress
        Called with the fraction done (0-1).
    cancel
        When set, the search stops with :class:`AnatomyCancelledError`.

    Returns
    -------
    VertebraAnatomy

    Raises
    ------
    ValueError
        If ``click_lps`` is not three finite numbers or ``level_hint`` is not a level name.
    VertebraNotFoundError
        If the click is outside the volume, or no body / canal can be found there; its subclass
        :class:`OnSacrumError` when the body found there is the sacrum.
    AnatomyCancelledError
        If ``cancel`` was set.

    Notes
    -----
    The sacrum has no vertebral body with its canal in this sense and is refused, whether nothing is
    found at the click or the body found there is judged to be the sacrum
    (:func:`imaging.level_sacrum.is_sacrum` at its centroid: alae meeting the iliac bones, no disc
    below; the same judgement that would suggest S1 for it); the refusal then carries the S1
    suggestion (:func:`imaging.level_anatomy.refusal_hint`), for every caller. Elsewhere a click on an
    intervertebral disc (or its end plate) is refused as such (:func:`imaging.disc_click.disc_at_point`),
    whatever the search ran into from it; any other refusal names metal in the search region
    (:func:`imaging.vertebra_metal.find_metal`), which may be why.
    """
    click = np.asarray(click_lps, dtype=np.float64)
    if click.shape != (3,) or not np.all(np.isfinite(click)):
        raise ValueError(f'Argument "click_lps" must be 3 finite LPS values, got {click_lps!r}')
    level = normalize_level(level_hint) if level_hint is not None else None
    if not volume.contains_index(volume.lps_to_index_points(click)):
        raise VertebraNotFoundError("the point lies outside the volume", click)
    try:
        anatomy = _find(volume, click, level, progress, cancel)
    except OnSacrumError:
        raise
    except VertebraNotFoundError as exc:
        roi_half_mm = np.array([ROI_LOW_MM, ROI_HIGH_MM])
        said = better_refusal(volume, click, exc, roi_half_mm=roi_half_mm, roi_spacing_mm=ROI_SPACING_MM)
        if said is not None:
            raise said from exc
        raise
    on_disc = body_across_disc(volume, click, anatomy)
    if on_disc is not None:
        raise on_disc
    return anatomy


def _find(
    volume: Volume,
    click: FloatArray,
    level: str | None,
    progress: Callable[[float], None] | None,
    cancel: threading.Event | None,
) -> VertebraAnatomy:
    """:func:`find_vertebra` for a checked click inside the volume."""

    def step(fraction: float) -> None:
        if cancel is not None and cancel.is_set():
            raise AnatomyCancelledError()
        if progress is not None:
            progress(fraction)

    step(0.0)
    roi = resample_roi(volume, click, np.array([ROI_LOW_MM, ROI_HIGH_MM]), ROI_SPACING_MM)
    masks = bony_solid(roi)
    step(0.2)
    canal = find_canal(roi, masks.arch_solid, masks.smoothed, click)
    canal_how = "enclosed by bone"
    if canal is None:
        canal_how = "found with its bony ring closed over gaps or, where open, inside the bone's convex hull"
        # thick slices and overlapping laminae can close the canal in coronal planes too, so that the
        # coronal fill hides it: look for it in the unfilled bone
        canal = find_canal(
            roi, masks.closed, masks.smoothed, click, ring_closing_mm=RING_CLOSING_MM, hull=True
        )
    if canal is None:
        raise VertebraNotFoundError("no spinal canal enclosed by bone behind the point", click)
    canal_pts = roi.voxel_points_lps(canal.mask)
    up = np.array([0.0, 0.0, 1.0])
    cc = canal.centroid_at(click, up)
    posterior = _perpendicular(cc - click, up)
    if posterior is None:
        raise VertebraNotFoundError("the canal found lies at the point itself", click)
    notes: list[str] = []
    # first pass in the click's frame: the body anterior to the canal's front (the median front over
    # the enclosed slices near the click, so a slice where the canal leaks into the body through a
    # gap in the posterior wall does not move it)
    cut = _cut(canal_pts, click, (posterior, np.cross(posterior, up), up), FIRST_PASS_HALF_HEIGHT_MM, None)
    vessels = roi_vessels(roi)  # once for both body searches on this ROI
    body = (
        find_body(roi, click, masks=masks, cut=cut, axis_hint=canal.line_direction_lps, vessels=vessels)
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
    cut = _cut(canal_pts, body.centroid_lps, (posterior, left, axis), 0.5 * body.height_mm - 2.0, notes)
    # from the first body's centroid, not the click: the result should not depend on where in the
    # body the click fell (near the cortex, rays from the click run out through the nearest gap);
    # the centroid of a body cut by the field of view is not its centre, though
    inside = body.body[tuple(np.rint(roi.lps_to_index(body.centroid_lps)).astype(int))]
    start = body.centroid_lps if inside and not roi.reaches_view_edge(body.body) else click
    refined = (
        find_body(roi, start, masks=masks, cut=cut, axis_hint=axis, slab_hint=body.slab, vessels=vessels)
        if cut is not None
        else None
    )
    # a body traced to its cortex by rays is not given up for the opened bony solid (which follows
    # bone around the canal wherever the refined cut lets it)
    if refined is not None and (refined.method is BodyMethod.RAYS or body.method is not BodyMethod.RAYS):
        body = refined
    # the canal is traced on the region's 1 mm sections, not the CT's slices: say it in mm of spine
    traced_mm = len(canal.slice_areas_mm2) * ROI_SPACING_MM
    notes.insert(0, f"canal {canal_how} along {traced_mm:.0f} mm of the spine around the point")
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
    step(0.55)
    axis = body.axis_lps
    centroid = body.centroid_lps
    # a body found on the sacrum (its S1 segment, or S1 with the L5-S1 disc) is not a vertebral body
    # to measure: refused, with the S1 suggestion, as where nothing is found. So is a click on the
    # sacrum from which the search ran into the body of L5 (a body away from the click)
    sacrum = is_sacrum(volume, centroid)
    if not sacrum.is_sacrum and _distance_mm(roi, body.body, click) > CLICK_IN_BODY_MM:
        sacrum = is_sacrum(volume, click)
    if sacrum.is_sacrum:
        raise OnSacrumError(
            "the bone found there is the sacrum, which has no vertebral body to measure; "
            + str(refusal_hint(volume, click, finding=sacrum)),
            click,
        )
    cc = canal.centroid_at(centroid, axis)
    posterior = _perpendicular(cc - centroid, axis)
    if posterior is None:
        raise VertebraNotFoundError("the canal found lies inside the body", click)
    left = np.cross(posterior, axis)
    frame = _frame(
        roi,
        body,
        canal_pts=canal_pts,
        centroid=centroid,
        axis=axis,
        posterior=posterior,
        left=left,
        canal_centroid=cc,
    )

    # the wall proper lies between the pedicles: the canal's central width
    u_lo = frame.canal_center_u_mm - WALL_WIDTH_FRACTION * frame.canal_half_width_mm
    u_hi = frame.canal_center_u_mm + WALL_WIDTH_FRACTION * frame.canal_half_width_mm
    wall = find_posterior_wall(
        roi,
        body.body,
        smoothed=body.smoothed_hu,
        trabecular_hu=body.trabecular_hu,
        body_cortex_hu=body.cortex_hu,
        centroid_lps=centroid,
        axis=axis,
        posterior=posterior,
        canal_u_range_mm=(u_lo, u_hi),
        height_mm=body.height_mm,
        source_voxel_mm=float(max(volume.spacing_mm)),
        # gaps found there are followed out to the canal's whole width
        canal_full_u_range_mm=(
            frame.canal_center_u_mm - frame.canal_half_width_mm,
            frame.canal_center_u_mm + frame.canal_half_width_mm,
        ),
    )
    step(0.7)
    if not wall.assessed:
        notes.append("posterior wall could not be assessed")
    notes.extend(wall.notes)
    # on a noisy image (imaging.image_noise) noise reads as gaps in the wall: say so, and call no
    # defect certain (session 17 QA: 60 HU noise gave two "destroyed" gaps with no lesion)
    noisy = noise_note(noise_sd_near(volume, click), volume.spacing_mm)
    if noisy is not None:
        said = tuple(
            replace(d, description=f"uncertain (noisy image): {d.description}") for d in wall.defects
        )
        wall = replace(wall, defects=said)
    pedicles: dict[Side, PedicleAxis] = {}
    near_metal = {"vertebral body": body.body, "spinal canal": canal.mask}
    contrast = max(body.cortex_hu - body.trabecular_hu, 1.0)
    fraction = np.clip((masks.sharp - body.trabecular_hu) / contrast, 0.0, 1.0).astype(np.float32)
    # the pedicles are looked for in bone whose coronal fill stops at the canal (imaging.pedicle_solid);
    # both pedicles' waists in the same planes through the canal: sampled once
    pedicle_bone = without_canal_fill(
        masks.arch_bone, masks.closed, canal.mask, body.body, spacing_mm=roi.spacing_mm
    )
    waist_planes = WaistPlanes(roi, pedicle_bone, frame)
    for side in (Side.LEFT, Side.RIGHT):
        why_not: list[str] = []
        found = find_pedicle(
            side,
            volume,
            roi,
            solid=pedicle_bone,
            body=body.body,
            frame=frame,
            bone_fraction=fraction,
            waist_planes=waist_planes,
            refusals=why_not,
        )
        if found is None:
            notes.append(f"{side.value} pedicle not traced" + (f": {why_not[0]}" if why_not else ""))
            continue
        if found.note is not None:
            notes.append(found.note)
        near_metal[f"{side.value} pedicle"] = found.mask
        pedicles[side] = PedicleAxis(
            side=side,
            axis_entry_lps=_point(found.entry_lps),
            axis_target_lps=_point(found.target_lps),
            min_width_mm=found.min_width_mm,
            isthmus_lps=_point(found.isthmus_lps),
            mask=roi_mask_to_source(roi, found.mask, volume),
        )
    step(0.9)
    # metal changes the CT numbers every step read: said, with the structures next to it
    metal = find_metal(volume, roi, near_metal, centroid_lps=centroid, left_lps=left)
    anatomy = _assemble(
        roi,
        volume,
        body=body,
        canal=canal,
        tube=body_canal_tube(roi, canal, masks, body),
        wall=wall,
        pedicles=pedicles,
        canal_centroid=cc,
        click=click,
        level=level,
        notes=notes,
        metal=metal,
        noise_warning=noisy,
    )
    step(1.0)
    return anatomy


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


def _z_span(roi: LpsRoi, mask: npt.NDArray[np.bool_]) -> tuple[float, float] | None:
    """Lowest and highest LPS z (mm) of a ROI mask's voxel centres (None when empty)."""
    z = roi.voxel_points_lps(mask)[:, 2]
    return (float(z.min()), float(z.max())) if len(z) else None


def _distance_mm(roi: LpsRoi, mask: npt.NDArray[np.bool_], point: FloatArray) -> float:
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


def _frame(
    roi: LpsRoi,
    body: BodyResult,
    *,
    canal_pts: FloatArray,
    centroid: FloatArray,
    axis: FloatArray,
    posterior: FloatArray,
    left: FloatArray,
    canal_centroid: FloatArray,
) -> VertebraFrame:
    rel = canal_pts - centroid
    u = rel @ left
    u_lo, u_hi = np.percentile(u, [2.0, 98.0])
    u_c = float((canal_centroid - centroid) @ left)
    bpts = roi.voxel_points_lps(body.body) - centroid
    bu, bv, bt = bpts @ left, bpts @ axis, bpts @ posterior
    midline = (np.abs(bu - u_c) <= 3.0) & (np.abs(bv) <= 5.0)
    wall_t = float(bt[midline].max()) if midline.any() else float(bt.max())
    return VertebraFrame(
        centroid_lps=centroid,
        axis=axis,
        posterior=posterior,
        left=left,
        canal_center_u_mm=u_c,
        canal_half_width_mm=float(0.5 * (u_hi - u_lo)),
        wall_t_mm=wall_t,
        body_back_t_mm=float(bt.max()),
        canal_t_mm=float((canal_centroid - centroid) @ posterior),
        height_mm=body.height_mm,
    )


def _assemble(
    roi: LpsRoi,
    volume: Volume,
    *,
    body: BodyResult,
    canal: CanalResult,
    tube: npt.NDArray[np.bool_],
    wall: WallResult,
    pedicles: dict[Side, PedicleAxis],
    canal_centroid: FloatArray,
    click: FloatArray,
    level: str | None,
    notes: list[str],
    metal: MetalFinding | None,
    noise_warning: str | None,
) -> VertebraAnatomy:
    sp3 = roi.spacing_mm**3

    def to_src(mask: npt.NDArray[np.bool_]) -> Mask:
        return roi_mask_to_source(roi, mask, volume)

    sup: Mask | None = to_src(body.superior_endplate) if body.superior_endplate.any() else None
    inf: Mask | None = to_src(body.inferior_endplate) if body.inferior_endplate.any() else None
    planes = {
        name: plane
        for name, layer in (("superior", body.superior_endplate), ("inferior", body.inferior_endplate))
        if (plane := endplate_plane(roi.voxel_points_lps(layer), body.axis_lps, superior=name == "superior"))
        is not None
    }
    return VertebraAnatomy(
        body=to_src(body.body),
        canal=to_src(canal.mask),
        canal_tube=to_src(tube),
        canal_tube_z_lps=_z_span(roi, tube),
        posterior_wall=to_src(wall.band),
        body_volume_ml=float(body.body.sum() * sp3 / 1000.0),
        body_centroid_lps=_point(body.centroid_lps),
        body_height_mm=body.height_mm,
        canal_centroid_lps=_point(canal_centroid),
        canal_area_mm2=canal.area_near(float(canal_centroid[2])),
        posterior_wall_points_lps=wall.points_lps,
        posterior_wall_intact=wall.assessed and not wall.defects,
        posterior_wall_defects=wall.defects,
        basivertebral_foramina=wall.foramina,
        pedicles=pedicles,
        superior_endplate=sup,
        inferior_endplate=inf,
        level=level,
        click_lps=_point(click),
        notes=tuple(notes),
        body_cut_by_view=body.cut_by_view,
        endplate_planes=planes,
        metal=metal,
        noise_warning=noise_warning,
    )
