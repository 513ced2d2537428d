"""Cement-leakage risk zones: where cement may escape from a vertebral body.

Zones (masks on the volume's grid ``[slice, row, col]``, volumes in mL, distances in mm, positions LPS):

- posterior-wall band: body voxels within ``band_mm`` (5 mm, CLINICAL.md) of the posterior wall,
  measured from the wall's canal-side surface (the boundary between the body and the wall/canal
  voxels outside it: half-way between their centres, so voxel-centre to voxel-face on a face met
  square-on), drawn as the voxels at least half inside; its volume counts the part of each edge voxel
  inside the band (``LeakageZone.mask_volume_ml`` keeps the drawn voxels' own volume), so it holds at
  voxels coarser than 1 mm, where whole voxel layers would make a 5 mm band 4.5 mm (1.5 mm voxels) or
  6 mm (2 mm voxels) thick;
- foramen bands (left, right): body voxels within ``band_mm`` of the neural foramina of that side.
  When the anatomy carries segmented foramina (``anatomy.foramina``, from
  :func:`imaging.vertebra_foramina.with_foramina`) the band is measured from them. A side where none
  was found falls back to an *approximate* foramen (``approximate`` true, and said so in the
  description and the notes): the region lateral to the canal (from the canal's lateral edge
  outwards by ``foramen_width_mm``), from the canal's anterior edge back by ``foramen_depth_mm``,
  above and below the pedicle (the gap between the pedicles of adjacent levels), outside the body and
  the pedicles -- an honest geometric approximation, not anatomy;
- posterior-wall defects (from the anatomy), cortical defects and endplate defects (the lesion's own
  cortical-breach points, on an endplate or elsewhere: :mod:`planning.leakage_defects`; a lesion
  only touching an endplate is noted, not a defect): body voxels within ``band_mm`` of the defect;
- the basivertebral venous foramen: body voxels within ``band_mm`` of the foramen's opening where the
  wall analysis found it (``anatomy.basivertebral_foramina``: a ball of half its size plus
  ``band_mm`` about its centre), else of the midline point of the posterior wall at the body's
  mid-height, where the basivertebral vein usually exits;
- access tracks: along each needle (radius = outer diameter / 2 + ``track_margin_mm``), the bony part
  outside the body and within ``band_mm`` inside the body surface (the cortex it crosses).

The posterior quarter of the body (an injection stop rule) and the body's depth it is measured with:
:mod:`planning.body_depth`.

The vertebra's local frame: AP axis from the body centroid to the canal centroid (posterior), SI axis
the patient's superior direction made orthogonal to it, LR axis their cross product (patient left).

The risk level that goes with the zones is in :mod:`planning.leakage_risk`; the grid geometry (frame,
region of interest, distances) in :mod:`planning.leakage_grid`; the zone values (:class:`LeakageZone`,
:class:`LeakageMap`) and the grid the steps below share in :mod:`planning.leakage_zone`; the foramen
bands in :mod:`planning.leakage_foramen`. This module builds the map, one named step per kind of zone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from imaging.mask import Mask
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from planning.body_depth import body_depth_and_quarter
from planning.errors import PlanValidationError
from planning.leakage_defects import breach_defects
from planning.leakage_foramen import (
    FORAMEN_DEPTH_MM,
    FORAMEN_WIDTH_MM,
    PEDICLE_HEIGHT_FRACTION,
    foramen_bands,
)
from planning.leakage_grid import (
    axis_index,
    band_fraction,
    cylinder,
    posterior_step,
    shift,
    within_mm,
)
from planning.leakage_zone import (
    NEAR_WALL_KINDS,
    NEAR_WALL_MM,
    NEAR_WALL_SOURCE,
    LeakageMap,
    LeakageZone,
    ZoneGrid,
    ZoneKind,
    zone_grid,
)

__all__ = [
    "BONE_THRESHOLD_HU",
    "FORAMEN_DEPTH_MM",
    "FORAMEN_WIDTH_MM",
    "NEAR_WALL_KINDS",
    "NEAR_WALL_MM",
    "NEAR_WALL_SOURCE",
    "PEDICLE_HEIGHT_FRACTION",
    "TRACK_MARGIN_MM",
    "LeakageMap",
    "LeakageZone",
    "Trajectory",
    "ZoneKind",
    "leakage_zones",
]

#: (entry_lps, target_lps, outer_diameter_mm)
Trajectory = tuple[Sequence[float], Sequence[float], float]

#: Extra radius around the needle for the access-track zone -- *unverified*, editable.
TRACK_MARGIN_MM = 1.0
#: Bone threshold (HU) for the bony part of a track outside the masks: CLINICAL.md generic bone 130 HU.
BONE_THRESHOLD_HU = 130.0


def leakage_zones(
    volume: Volume,
    anatomy: VertebraAnatomy,
    *,
    lesion_mask: Mask | None = None,
    cortical_breach_lps: Sequence[Sequence[float]] = (),
    trajectories: Sequence[Trajectory] = (),
    band_mm: float = NEAR_WALL_MM,
    foramen_width_mm: float = FORAMEN_WIDTH_MM,
    foramen_depth_mm: float = FORAMEN_DEPTH_MM,
    track_margin_mm: float = TRACK_MARGIN_MM,
) -> LeakageMap:
    """Build the leakage-risk zones of one vertebra.

    Parameters
    ----------
    volume
        The CT volume (grid and geometry; HU used for the bony part of access tracks).
    anatomy
        The vertebra: body, canal, posterior wall, pedicles, endplates, defects.
    lesion_mask
        The lesion (for its contact with an endplate, noted), or None.
    cortical_breach_lps
        LPS points where the lesion crosses the cortex (``Lesion.cortical_breach_lps``).
    trajectories
        ``(entry_lps, target_lps, outer_diameter_mm)`` of each needle.
    band_mm
        Width of the bands (mm), 5 by default (CLINICAL.md).
    foramen_width_mm, foramen_depth_mm
        Size of the approximate foramen region (mm), see the module docstring.
    track_margin_mm
        Extra radius (mm) of the access-track zone beyond the needle's outer radius.

    Returns
    -------
    LeakageMap

    Raises
    ------
    PlanValidationError
        If a size is not positive, the body is empty, or masks lie on another grid.
    """
    _check_inputs(
        volume,
        anatomy,
        lesion_mask,
        band_mm=band_mm,
        foramen_width_mm=foramen_width_mm,
        foramen_depth_mm=foramen_depth_mm,
        track_margin_mm=track_margin_mm,
    )
    # the region must hold the bands and the approximate foramina beside the body, with a little room
    grid = zone_grid(
        volume, anatomy, band_mm=band_mm, pad_mm=band_mm + max(foramen_width_mm, foramen_depth_mm) + 3.0
    )
    zones, notes = _posterior_wall_band(grid, anatomy)
    foramen_zones, foramen_notes = foramen_bands(
        grid, anatomy, foramen_width_mm=foramen_width_mm, foramen_depth_mm=foramen_depth_mm
    )
    zones += foramen_zones
    notes += foramen_notes
    zones += _wall_defect_zones(grid, anatomy)
    breach_zones, contacts = _breach_zones(grid, anatomy, lesion_mask, cortical_breach_lps)
    zones += breach_zones
    notes += [
        f"the lesion reaches the {c} endplate without breaking through it (no cortical breach there): "
        "not a defect"
        for c in contacts
    ]
    zones += _basivertebral_zones(grid, anatomy)
    zones += _access_track_zones(grid, anatomy, trajectories, track_margin_mm)
    depth, quarter = _posterior_quarter(grid)
    return LeakageMap(tuple(zones), quarter, depth, band_mm, tuple(notes), tuple(contacts))


# ------------------------------------------------------------------------------------------------
# Steps
# ------------------------------------------------------------------------------------------------
def _check_inputs(
    volume: Volume,
    anatomy: VertebraAnatomy,
    lesion_mask: Mask | None,
    *,
    band_mm: float,
    foramen_width_mm: float,
    foramen_depth_mm: float,
    track_margin_mm: float,
) -> None:
    """Refuse sizes that are not positive (a track margin may be 0), an empty body and any mask on
    another grid than the volume's, naming the argument, before anything is drawn."""
    for name, val in (
        ("band_mm", band_mm),
        ("foramen_width_mm", foramen_width_mm),
        ("foramen_depth_mm", foramen_depth_mm),
    ):
        if not (math.isfinite(val) and val > 0):
            raise PlanValidationError(name, val, "> 0 mm")
    if not (math.isfinite(track_margin_mm) and track_margin_mm >= 0):
        raise PlanValidationError("track_margin_mm", track_margin_mm, ">= 0 mm")
    if not anatomy.body.any():
        raise PlanValidationError("anatomy.body", "empty mask", "a non-empty vertebral body")
    masks: list[tuple[str, Mask | None]] = [
        ("anatomy.body", anatomy.body),
        ("anatomy.canal", anatomy.canal),
        ("anatomy.posterior_wall", anatomy.posterior_wall),
        ("anatomy.superior_endplate", anatomy.superior_endplate),
        ("anatomy.inferior_endplate", anatomy.inferior_endplate),
        ("lesion_mask", lesion_mask),
    ]
    masks += [(f"pedicle {side.value} mask", p.mask) for side, p in anatomy.pedicles.items()]
    for name, m in masks:
        if m is not None and m.grid_shape != volume.shape:
            raise PlanValidationError(name, m.grid_shape, f"the volume's grid {volume.shape}")


def _posterior_wall_band(grid: ZoneGrid, anatomy: VertebraAnatomy) -> tuple[list[LeakageZone], list[str]]:
    """The posterior-wall band, measured from the wall's canal-side surface; with its notes.

    Seeds: wall voxels outside the body, the canal, and the voxels one step posterior of wall voxels
    inside the body (one-sided, so that a hollow or irregular body mask never seeds the band from the
    inside). Its volume counts the part of each edge voxel inside the band; the mask draws the voxels
    at least half inside (see the module docstring).
    """
    volume, roi, frame, body, band_mm = grid.volume, grid.roi, grid.frame, grid.body, grid.band_mm
    canal = roi.crop(anatomy.canal)
    wall = roi.crop(anatomy.posterior_wall)
    notes: list[str] = []
    anterior_wall = wall & (grid.a_c <= 0.0)
    if anterior_wall.any():
        # the posterior wall lies behind the body's centre by definition: a wall mask in front of it is
        # a segmentation error upstream, and seeding the band from it would draw a band at the front
        notes.append(
            f"{int(np.count_nonzero(anterior_wall))} posterior-wall voxels in front of the body centre "
            "ignored"
        )
        wall = wall & ~anterior_wall
    ap_axis = axis_index(volume, frame.ap)
    step = posterior_step(volume, ap_axis, frame)
    behind_wall = shift(wall, ap_axis, step)
    seeds = ((wall | canal) & ~body) | (behind_wall & ~body)
    if not seeds.any():
        notes.append("no posterior wall or canal next to the body: posterior-wall band not drawn")
        return [], notes
    fraction = band_fraction(seeds, roi.spacing, band_mm, body, toward=(ap_axis, step))
    band = grid.zone(
        ZoneKind.POSTERIOR_WALL_BAND,
        "posterior-wall band",
        fraction >= 0.5,
        f"vertebral body within {band_mm:g} mm of the posterior wall ({NEAR_WALL_SOURCE}); volume "
        "with the edge voxels' part inside the band, drawn as the voxels at least half inside",
        fraction=fraction,
    )
    return [band], notes


def _wall_defect_zones(grid: ZoneGrid, anatomy: VertebraAnatomy) -> list[LeakageZone]:
    """Body within the band's width of each posterior-wall defect the anatomy found: a ball of half
    the defect's size plus the band's width about its centre."""
    zones: list[LeakageZone] = []
    for i, defect in enumerate(anatomy.posterior_wall_defects, start=1):
        r = 0.5 * max(defect.size_mm, 0.0) + grid.band_mm
        zones.append(
            grid.zone(
                ZoneKind.POSTERIOR_WALL_DEFECT,
                f"posterior-wall defect {i}",
                grid.body & grid.roi.ball(defect.center_lps, r),
                f"vertebral body within {grid.band_mm:g} mm of a {defect.size_mm:.1f} mm posterior-wall "
                f"defect{': ' + defect.description if defect.description else ''}",
                approximate=True,
            )
        )
    return zones


def _breach_zones(
    grid: ZoneGrid,
    anatomy: VertebraAnatomy,
    lesion_mask: Mask | None,
    cortical_breach_lps: Sequence[Sequence[float]],
) -> tuple[list[LeakageZone], tuple[str, ...]]:
    """Cortical and endplate defects from the lesion's own breach points
    (:func:`planning.leakage_defects.breach_defects`, one definition with the Lesions table), and the
    endplates the lesion only touches (contact is noted by the caller, not drawn as a defect)."""
    defects, contacts = breach_defects(
        grid.volume,
        grid.roi,
        grid.frame,
        body=grid.body,
        endplates=(anatomy.superior_endplate, anatomy.inferior_endplate),
        lesion_mask=lesion_mask,
        cortical_breach_lps=cortical_breach_lps,
        band_mm=grid.band_mm,
    )
    zones: list[LeakageZone] = []
    for d in defects:
        kind = ZoneKind.CORTICAL_DEFECT if d.label is None else ZoneKind.ENDPLATE_DEFECT
        name = "cortical defects" if d.label is None else f"{d.label} endplate defect"
        zones.append(grid.zone(kind, name, d.box, d.description, approximate=True))
    return zones, tuple(contacts)


def _basivertebral_zones(grid: ZoneGrid, anatomy: VertebraAnatomy) -> list[LeakageZone]:
    """Body within the band's width of the basivertebral venous foramen: of each opening the wall
    analysis found (a ball of half its size plus the band's width), else of the posterior wall's
    midline point at the body's mid-height, where the basivertebral vein usually exits.

    The midline is the canal's median left-right coordinate (0, the body centroid's, without a canal);
    the point is the most posterior body voxel within one voxel of that midline and mid-height, moved
    half a voxel further back onto the wall's surface. No zone when no body voxel lies there.
    """
    band_mm, roi, body = grid.band_mm, grid.roi, grid.body
    zones: list[LeakageZone] = []
    for i, opening in enumerate(anatomy.basivertebral_foramina, start=1):
        r = 0.5 * max(opening.size_mm, 0.0) + band_mm
        several = len(anatomy.basivertebral_foramina) > 1
        zones.append(
            grid.zone(
                ZoneKind.BASIVERTEBRAL_FORAMEN,
                f"basivertebral venous foramen {i}" if several else "basivertebral venous foramen",
                body & roi.ball(opening.center_lps, r),
                f"vertebral body within {band_mm:g} mm of the basivertebral foramen found in the posterior "
                f"wall ({opening.size_mm:.1f} mm across; where the basivertebral vein exits)",
                approximate=True,
            )
        )
    if anatomy.basivertebral_foramina:
        return zones
    bl, ba, bs = grid.body_l, grid.body_a, grid.body_s
    midline_l = float(np.median(grid.frame.coords(grid.canal_lps)[0])) if grid.canal_lps.size else 0.0
    mid_s = 0.5 * (float(bs.min()) + float(bs.max()))
    tol = float(max(roi.spacing)) * 1.01
    pick = (np.abs(bl - midline_l) <= tol) & (np.abs(bs - mid_s) <= tol)
    if pick.any():
        k = int(np.argmax(np.where(pick, ba, -np.inf)))
        point = grid.body_lps[k] + 0.5 * float(min(roi.spacing)) * grid.frame.ap
        zones.append(
            grid.zone(
                ZoneKind.BASIVERTEBRAL_FORAMEN,
                "basivertebral venous foramen",
                body & roi.ball(point, band_mm),
                f"vertebral body within {band_mm:g} mm of the posterior wall's midline at mid-height (where "
                "the basivertebral vein exits; the foramen itself was not seen in the wall, so its usual "
                "place is assumed)",
                approximate=True,
            )
        )
    return zones


def _access_track_zones(
    grid: ZoneGrid,
    anatomy: VertebraAnatomy,
    trajectories: Sequence[Trajectory],
    track_margin_mm: float,
) -> list[LeakageZone]:
    """Along each needle (radius = outer diameter / 2 + ``track_margin_mm``): the bony part outside
    the body (bone by HU, or a pedicle mask) and the body's outer ``band_mm`` (the cortex it crosses),
    inside this vertebra's region of interest.

    Raises
    ------
    PlanValidationError
        If a needle's outer diameter is not positive.
    """
    if not trajectories:
        return []
    roi, body, band_mm = grid.roi, grid.body, grid.band_mm
    shell = within_mm(~body, roi.spacing, band_mm, body)
    bony = np.asarray(grid.volume.array[roi.slices] >= BONE_THRESHOLD_HU)
    for pedicle in anatomy.pedicles.values():
        bony |= roi.crop(pedicle.mask)
    zones: list[LeakageZone] = []
    for i, (entry, target, od_mm) in enumerate(trajectories, start=1):
        if not (math.isfinite(od_mm) and od_mm > 0):
            raise PlanValidationError("outer_diameter_mm", od_mm, "> 0 mm")
        radius = 0.5 * od_mm + track_margin_mm
        cyl = cylinder(roi.lps, np.asarray(entry, float), np.asarray(target, float), radius)
        zones.append(
            grid.zone(
                ZoneKind.ACCESS_TRACK,
                f"access track {i}",
                cyl & (shell | (bony & ~body)),
                f"bone within {radius:.1f} mm of needle {i} outside the body and in the body's outer "
                f"{band_mm:g} mm (inside this vertebra's region of interest)",
                approximate=True,
            )
        )
    return zones


def _posterior_quarter(grid: ZoneGrid) -> tuple[float, Mask]:
    """The body's depth (mm) where the needle works and its posterior quarter (an injection stop
    rule), the quarter measured from each column's back edge (:mod:`planning.body_depth`), as a mask
    on the volume's grid."""
    body = grid.body
    depth, in_quarter = body_depth_and_quarter(
        grid.l_c[body],
        grid.a_c[body],
        grid.s_c[body],
        column_mm=float(max(grid.roi.spacing)),
        # the grid axis nearest to AP
        thickness_mm=float(grid.roi.spacing[axis_index(grid.volume, grid.frame.ap)]),
    )
    quarter = np.zeros_like(body)
    quarter[body] = in_quarter
    return depth, grid.roi.to_mask(quarter)
