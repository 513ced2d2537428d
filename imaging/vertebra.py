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
fill stops at the canal: :mod:`imaging.pedicle_solid`). The steps from the canal to the wall, with the
checks that refuse what is not one vertebra's body, are in :mod:`imaging.vertebra_steps`; both pedicles
and the result put together on the source grid in :mod:`imaging.vertebra_assembly`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from imaging.canal_recheck import canal_behind_dark_interior, canal_in_front_of_body
from imaging.canal_tube import body_canal_tube
from imaging.click_beside import BodyBesideCanalError, refuse_body_beside_canal
from imaging.click_near_bone import bone_near_click
from imaging.click_place import refuse_body_in_canal, refuse_click_behind_canal, refuse_click_in_canal
from imaging.click_rib import rib_refusal
from imaging.click_soft import bone_surrounds, soft_outside_bone
from imaging.click_tissue import (
    ClickTissue,
    click_tissue,
    refuse_body_away_from_click,
    tissue_refusal,
    with_tissue,
)
from imaging.levels import normalize_level
from imaging.metal_unknown import inferred_note, metal_unknown
from imaging.search_region import SearchRegion
from imaging.spine_middle import off_the_spine
from imaging.vertebra_assembly import assemble_anatomy, both_pedicles
from imaging.vertebra_errors import (
    AnatomyCancelledError,
    ClickNotInBodyError,
    OnSacrumError,
    PlacedAtCanalError,
    VertebraNotFoundError,
)
from imaging.vertebra_metal import find_metal
from imaging.vertebra_model import VertebraAnatomy
from imaging.vertebra_refusal import (
    better_refusal,
    body_across_disc,
    body_is_disc,
    placed_refusal,
    soft_front_refusal,
)
from imaging.vertebra_steps import (
    CANAL_ENCLOSED,
    body_at_click,
    body_frame,
    canal_at_click,
    check_body_size,
    posterior_wall,
    refuse_sacrum,
    wall_notes,
)
from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float, float]

#: ROI around the click, relative offsets (mm) along L, P, S: the body may be clicked anywhere in it
#: (bodies up to ~55 mm wide, ~40 mm deep) and the arch reaches ~60 mm behind the body's centre
ROI_LOW_MM = (-50.0, -45.0, -40.0)
ROI_HIGH_MM = (50.0, 65.0, 40.0)
#: ROI grid spacing (mm)
ROI_SPACING_MM = 1.0


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
        :class:`OnSacrumError` when the body found there is the sacrum, :class:`ClickNotInBodyError` when
        the point lies in the spinal canal, in air, lung or fat, or on a rib (:mod:`imaging.click_rib`).
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
    (:func:`imaging.vertebra_metal.find_metal`), which may be why. Where the click itself lies is said
    first (:mod:`imaging.click_place`): in the spinal canal (in front of which a body lies), or in air,
    lung or fat; a point reading soft tissue or fluid that no bone encloses is refused as such, without
    the search's reason (:mod:`imaging.click_soft`; before any search when it lies out of reach of bone
    and outside the hull of the bone in its axial section), and one that bone encloses (a lytic lesion?)
    says so before it; a body found beside the canal from a point on the lamina is said to be on the
    vertebral arch (:func:`imaging.vertebra_refusal.placed_refusal`).
    """
    click = np.asarray(click_lps, dtype=np.float64)
    if click.shape != (3,) or not np.all(np.isfinite(click)):
        raise ValueError(f'Argument "click_lps" must be 3 finite LPS values, got {click_lps!r}')
    level = normalize_level(level_hint) if level_hint is not None else None
    if not volume.contains_index(volume.lps_to_index_points(click)):
        raise VertebraNotFoundError("the point lies outside the volume", click)
    # what the point reads (imaging.click_tissue; where it lies: imaging.click_place): a point in air, lung
    # or fat, or in the spinal canal, or one no body found holds, is refused in those words
    tissue = click_tissue(volume, click)
    # a point in air, lung or fat is in no body: a click just outside one's cortex is searched from the bone
    # nearest it, one further out refused (imaging.click_near_bone)
    near = bone_near_click(volume, click, tissue)
    if near is not None and near.within_reach:
        bone = np.asarray(near.bone_lps, dtype=np.float64)
        try:
            anatomy = _answer(
                _region(volume, bone),
                click_tissue(volume, bone),
                level=level,
                progress=progress,
                cancel=cancel,
            )
        except VertebraNotFoundError as exc:
            raise type(exc)(
                f"{near.outside()}; from the bone nearest it: {exc.reason}",
                click,
                destroyed_body_possible=exc.destroyed_body_possible,
            ) from exc
        return replace(anatomy, click_lps=_point(click), notes=(near.note(), *anatomy.notes))
    region = _region(volume, click)
    # near metal a dark streak over bone may read fat (as below): the metal is said then, by the search
    if near is not None and region.metal is None:
        raise ClickNotInBodyError(near.refusal_words(), click)
    # soft tissue out of reach of bone and outside the hull of its axial section's bone is in front of or
    # beside the spine, in no body (imaging.click_soft; not near metal nor on a disc: soft_front_refusal)
    soft = soft_front_refusal(region, tissue)
    if soft is not None:
        raise soft
    return _answer(region, tissue, level=level, progress=progress, cancel=cancel)


def _region(volume: Volume, point: FloatArray) -> SearchRegion:
    """The search's region round ``point``, where its refusals look too (built when first read)."""
    return SearchRegion(volume, point, half_mm=np.array([ROI_LOW_MM, ROI_HIGH_MM]), spacing_mm=ROI_SPACING_MM)


def _answer(
    region: SearchRegion,
    tissue: ClickTissue,
    *,
    level: str | None,
    progress: Callable[[float], None] | None,
    cancel: threading.Event | None,
) -> VertebraAnatomy:
    """:func:`find_vertebra` from the point of ``region`` (inside the volume, reading ``tissue``): the
    search, its refusals said in the operator's terms, and the body found refused where it is a disc."""
    volume, click = region.volume, region.point
    try:
        anatomy = _find(region, tissue, level=level, progress=progress, cancel=cancel)
    except BodyBesideCanalError as exc:
        # a body found beside the canal from a rib's shaft (chest left T9, 54 degrees): said as a rib
        metal = region.metal
        rib = rib_refusal(volume, click, tissue, metal=metal)
        if rib is not None:
            raise rib from exc
        # a point on the lamina behind the canal: said so (QA s25 E8)
        placed = placed_refusal(volume, click, tissue, metal=metal)
        if placed is not None:
            raise placed from exc
        if metal is not None:
            # metal's streaks can make a hole beside the body read as the canal (bone-lesions case1 with a
            # rod through its right pedicle: a click in the body read "beside the canal", 102 degrees):
            # the metal is named, as for every refusal near it
            raise BodyBesideCanalError(f"{exc.reason}; {metal.refusal_note()}", click) from exc
        raise
    except PlacedAtCanalError as exc:
        # a point far to the side of the trunk's middle: the "canal" was another bone's hole (the right
        # scapular spine, 101 mm aside: imaging.spine_middle)
        off = off_the_spine(volume, click)
        if off is not None:
            raise ClickNotInBodyError(off.words(), click) from exc
        raise
    except (OnSacrumError, ClickNotInBodyError):
        raise
    except VertebraNotFoundError as exc:
        metal = region.metal
        # near metal the point's HU may be a streak's (a dark streak over bone read -201 HU, "fat"): what
        # it reads is not said then, the metal is
        in_air = tissue_refusal(tissue, click) if metal is None else None
        if in_air is not None:
            raise in_air from exc
        # a point in a long thin bar of bone is on a rib: said before what the search ran into from it (a
        # "disc", a body "too wide": imaging.click_rib)
        said: VertebraNotFoundError | None = rib_refusal(volume, click, tissue, metal=metal)
        if said is None:
            said = better_refusal(volume, click, exc, metal=metal, tissue=tissue)
        if said is not None:
            raise said from exc
        # a point in soft tissue that no bone encloses: what the search ran into from it is noise (QA s25 E9)
        outside = soft_outside_bone(region, tissue) if metal is None else None
        if outside is not None:
            raise outside.refusal(click) from exc
        soft = with_tissue(tissue, exc, surrounded=metal is None and bone_surrounds(region))
        if soft is not None:
            raise soft from exc
        raise
    on_disc = body_across_disc(volume, click, anatomy) or body_is_disc(volume, click, anatomy)
    if on_disc is not None:
        raise on_disc
    return anatomy


def _find(
    region: SearchRegion,
    tissue: ClickTissue,
    *,
    level: str | None,
    progress: Callable[[float], None] | None,
    cancel: threading.Event | None,
) -> VertebraAnatomy:
    """:func:`find_vertebra` for a checked click inside the volume, the point of ``region`` (steps:
    :mod:`imaging.vertebra_steps`)."""
    volume, click = region.volume, region.point

    def step(fraction: float) -> None:
        if cancel is not None and cancel.is_set():
            raise AnatomyCancelledError()
        if progress is not None:
            progress(fraction)

    step(0.0)
    roi, masks = region.roi, region.masks
    # metal and its streaks: voxels the body's searches treat as unknown (imaging.metal_unknown)
    zone = metal_unknown(roi, masks.smoothed, source_voxel_mm=float(max(volume.spacing_mm)))
    if zone is not None:
        masks = replace(masks, unknown=zone.unknown)
    refuse_click_in_canal(roi, masks, click, tissue)
    step(0.2)
    canal, canal_how = canal_at_click(roi, masks, click, slice_mm=float(max(volume.spacing_mm)))
    # a hole in a body's dark interior, with the spinal canal straight behind it (imaging.canal_recheck)
    interior_behind = canal_behind_dark_interior(roi, masks, canal, click)
    if interior_behind is not None:
        canal, canal_how = interior_behind, CANAL_ENCLOSED
    notes: list[str] = []
    body, canal = body_at_click(roi, masks, canal, click, notes=notes, step=step)
    if zone is None:  # near metal the point's HU may be a streak's, not its tissue's
        refuse_body_away_from_click(roi, body.body, click, tissue)
    refuse_body_in_canal(roi, masks, body.centroid_lps, click, tissue)
    refuse_click_behind_canal(roi, masks, body.centroid_lps, click, tissue)
    # the body lies in front of the spinal canal, not beside it (a rib head, a process, the scapula:
    # imaging.click_beside)
    refuse_body_beside_canal(
        roi, masks, body, canal, click, tissue=tissue, canal_enclosed=canal_how == CANAL_ENCLOSED
    )
    # a vertebral body is the front of the spine: a "body" with the spinal canal in front of it is the
    # lamina and spinous process, found from a point behind the canal (imaging.canal_recheck); looked for
    # where the canal the body was cut at was not enclosed by bone (a weaker finding, as in
    # imaging.click_beside): behind the canal the search finds a pocket in the arch only so
    spinal = (
        canal_in_front_of_body(roi, masks, body.body, body.centroid_lps)
        if canal_how != CANAL_ENCLOSED
        else None
    )
    if spinal is not None:
        refuse_click_behind_canal(roi, masks, body.centroid_lps, click, tissue, spinal=spinal)
    # the canal is traced on the region's 1 mm sections, not the CT's slices: say it in mm of spine
    traced_mm = len(canal.slice_areas_mm2) * ROI_SPACING_MM
    notes.insert(0, f"canal {canal_how} along {traced_mm:.0f} mm of the spine around the point")
    inferred_note(body.inferred_fraction, click, notes)
    check_body_size(roi, body, click, notes)
    step(0.55)
    refuse_sacrum(volume, roi, body, click)
    frame, cc = body_frame(roi, body, canal, click)
    wall = posterior_wall(volume, roi, body, frame)
    step(0.7)
    wall, noisy = wall_notes(volume, click, wall, notes)
    near_metal = {"vertebral body": body.body, "spinal canal": canal.mask}
    pedicles = both_pedicles(
        volume, roi, masks=masks, body=body, canal=canal, frame=frame, notes=notes, near_metal=near_metal
    )
    step(0.9)
    # metal changes the CT numbers every step read: said, with the structures next to it
    metal = find_metal(volume, roi, near_metal, centroid_lps=body.centroid_lps, left_lps=frame.left)
    anatomy = assemble_anatomy(
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
