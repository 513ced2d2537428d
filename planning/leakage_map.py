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
region of interest, distances) in :mod:`planning.leakage_grid`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from imaging.mask import Mask
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from planning.body_depth import body_depth_and_quarter
from planning.errors import PlanValidationError
from planning.leakage_defects import breach_defects
from planning.leakage_grid import (
    BoolArray,
    FloatArray,
    Roi,
    axis_index,
    band_fraction,
    cylinder,
    posterior_step,
    shift,
    vertebra_frame,
    within_mm,
)

#: (entry_lps, target_lps, outer_diameter_mm)
Trajectory = tuple[Sequence[float], Sequence[float], float]

NEAR_WALL_MM = 5.0  # CLINICAL.md: "within 0.5 cm of the posterior vertebral wall or a neural foramen"
NEAR_WALL_SOURCE = "CLINICAL.md (Chen 2022, Fan 2023): 0.5 cm of the posterior wall or a foramen"
#: Foramen approximation sizes (mm) -- *unverified*: chosen from typical lumbar foraminal sizes
#: (width of the lateral recess/foramen about a centimetre), editable.
FORAMEN_WIDTH_MM = 10.0
FORAMEN_DEPTH_MM = 12.0
#: Pedicle height as a fraction of the body height when no pedicle mask is given -- *unverified*.
PEDICLE_HEIGHT_FRACTION = 0.5
#: Extra radius around the needle for the access-track zone -- *unverified*, editable.
TRACK_MARGIN_MM = 1.0
#: Bone threshold (HU) for the bony part of a track outside the masks: CLINICAL.md generic bone 130 HU.
BONE_THRESHOLD_HU = 130.0


class ZoneKind(StrEnum):
    """Kinds of leakage-risk zones."""

    POSTERIOR_WALL_BAND = "posterior-wall band"
    FORAMEN_BAND = "foramen band"
    POSTERIOR_WALL_DEFECT = "posterior-wall defect"
    CORTICAL_DEFECT = "cortical defect"
    ENDPLATE_DEFECT = "endplate defect"
    BASIVERTEBRAL_FORAMEN = "basivertebral venous foramen"
    ACCESS_TRACK = "access track"


#: Zones where injection switches to small aliquots (CLINICAL.md: posterior wall or a foramen).
NEAR_WALL_KINDS = frozenset(
    {ZoneKind.POSTERIOR_WALL_BAND, ZoneKind.FORAMEN_BAND, ZoneKind.POSTERIOR_WALL_DEFECT}
)


@dataclass(frozen=True, eq=False)
class LeakageZone:
    """One named zone: its mask (on the volume's grid), volume and how it was made."""

    kind: ZoneKind
    name: str
    mask: Mask
    volume_ml: float
    description: str
    approximate: bool = False
    #: the drawn mask's own volume (whole voxels); None when it is ``volume_ml``. A band's
    #: ``volume_ml`` counts the part of each voxel on its edge that lies inside it, so it does not
    #: depend on how the voxel layers fall against the band's width, while the mask draws the voxels
    #: at least half inside.
    mask_volume_ml: float | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-able summary (no mask)."""
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "name": self.name,
            "volume_ml": round(self.volume_ml, 3),
            "description": self.description,
            "approximate": self.approximate,
        }
        if self.mask_volume_ml is not None:
            out["mask_volume_ml"] = round(self.mask_volume_ml, 3)
        return out


@dataclass(frozen=True, eq=False)
class LeakageMap:
    """All zones of one vertebra, with the body's posterior quarter (an injection stop rule)."""

    zones: tuple[LeakageZone, ...]
    posterior_quarter: Mask
    body_depth_mm: float
    band_mm: float
    notes: tuple[str, ...] = ()
    #: endplates ("superior", "inferior") the lesion reaches without breaking through them
    endplate_contacts: tuple[str, ...] = ()

    def zones_of(self, *kinds: ZoneKind) -> tuple[LeakageZone, ...]:
        """The zones of the given kinds."""
        return tuple(z for z in self.zones if z.kind in kinds)

    def union(self, kinds: frozenset[ZoneKind] | None = None) -> Mask:
        """The union of the zones (of ``kinds``, or all) as one mask."""
        chosen = [z.mask for z in self.zones if kinds is None or z.kind in kinds]
        return Mask.union(chosen, self.posterior_quarter.grid_shape)

    def to_json(self) -> dict[str, Any]:
        """JSON-able summary."""
        return {
            "zones": [z.to_json() for z in self.zones],
            "band_mm": self.band_mm,
            "body_depth_mm": round(self.body_depth_mm, 2),
            "posterior_quarter_depth_mm": round(self.body_depth_mm / 4.0, 2),
            "notes": list(self.notes),
        }


# ------------------------------------------------------------------------------------------------
# Zones
# ------------------------------------------------------------------------------------------------
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

    frame = vertebra_frame(volume, anatomy)
    roi = Roi(volume, anatomy.body, pad_mm=band_mm + max(foramen_width_mm, foramen_depth_mm) + 3.0)
    body = roi.crop(anatomy.body)
    canal = roi.crop(anatomy.canal)
    wall = roi.crop(anatomy.posterior_wall)
    vox_ml = volume.voxel_volume_ml
    zones: list[LeakageZone] = []
    notes: list[str] = []

    def add(
        kind: ZoneKind,
        name: str,
        box: BoolArray,
        description: str,
        *,
        approximate: bool = False,
        fraction: FloatArray | None = None,
    ) -> None:
        mask_ml = int(np.count_nonzero(box)) * vox_ml
        volume_ml = mask_ml if fraction is None else float(fraction.sum()) * vox_ml
        zones.append(
            LeakageZone(
                kind,
                name,
                roi.to_mask(box),
                volume_ml,
                description,
                approximate,
                None if fraction is None else mask_ml,
            )
        )

    # posterior-wall band, measured from the wall's canal-side surface: wall voxels outside the body,
    # the canal, and the voxels one step posterior of wall voxels inside the body (one-sided, so that a
    # hollow or irregular body mask never seeds the band from the inside).
    l_c, a_c, s_c = frame.coords(roi.lps)
    anterior_wall = wall & (a_c <= 0.0)
    if anterior_wall.any():
        # the posterior wall lies behind the body's centre by definition: a wall mask in front of it is
        # a segmentation error upstream, and seeding the band from it would draw a band at the front
        notes.append(
            f"{int(np.count_nonzero(anterior_wall))} posterior-wall voxels in front of the body centre "
            "ignored"
        )
        wall = wall & ~anterior_wall
    ap_axis = axis_index(volume, frame.ap)
    behind_wall = shift(wall, ap_axis, posterior_step(volume, ap_axis, frame))
    seeds = ((wall | canal) & ~body) | (behind_wall & ~body)
    if not seeds.any():
        notes.append("no posterior wall or canal next to the body: posterior-wall band not drawn")
    else:
        step = posterior_step(volume, ap_axis, frame)
        fraction = band_fraction(seeds, roi.spacing, band_mm, body, toward=(ap_axis, step))
        add(
            ZoneKind.POSTERIOR_WALL_BAND,
            "posterior-wall band",
            fraction >= 0.5,
            f"vertebral body within {band_mm:g} mm of the posterior wall ({NEAR_WALL_SOURCE}); volume "
            "with the edge voxels' part inside the band, drawn as the voxels at least half inside",
            fraction=fraction,
        )

    # foramina: segmented (imaging.vertebra_foramina) where found, else approximated per side
    canal_lps = volume.index_to_lps_points(anatomy.canal.voxel_indices())
    body_lps = volume.index_to_lps_points(anatomy.body.voxel_indices())
    bl, ba, bs = frame.coords(body_lps)
    segmented_sides: set[Side] = set()
    if anatomy.foramina is not None:
        for side in (Side.LEFT, Side.RIGHT):
            found = [f for f in anatomy.foramina.found() if f.side is side and f.mask is not None]
            if not found:
                continue
            seeds = np.zeros(roi.shape, dtype=bool)
            for f in found:
                if f.mask is not None and f.mask.grid_shape != volume.shape:
                    raise PlanValidationError(f"foramen {f.name} mask", f.mask.grid_shape, str(volume.shape))
                seeds |= roi.crop(f.mask)
            if not seeds.any():
                continue  # outside this body's region of interest
            segmented_sides.add(side)
            names = ", ".join(f.name for f in found)
            cut = " (cut by the field of view)" if any(f.cut_by_view for f in found) else ""
            add(
                ZoneKind.FORAMEN_BAND,
                f"{side.value} foramen band",
                within_mm(seeds, roi.spacing, band_mm, body),
                f"vertebral body within {band_mm:g} mm of the segmented {side.value} neural foramina "
                f"({names}{cut}; {NEAR_WALL_SOURCE})",
            )
        missing = anatomy.foramina.missing_notes()
        if missing:
            notes.append("; ".join(missing))
    approximated = [s for s in anatomy.pedicles if s not in segmented_sides]
    if approximated and segmented_sides:
        notes.append(
            "foramen band approximated (not segmented) on the "
            + ", ".join(s.value for s in approximated)
            + " side"
        )
    elif approximated:
        notes.append("neural foramina not segmented: foramen bands approximated")
    if canal_lps.size and approximated:
        cl, ca, cs = frame.coords(canal_lps)
        near = (cs >= bs.min()) & (cs <= bs.max())  # the canal beside this body
        if near.any():
            cl, ca = cl[near], ca[near]
        canal_front = float(np.percentile(ca, 2.0))
        for side, pedicle in anatomy.pedicles.items():
            if side in segmented_sides:
                continue
            sign = 1.0 if side is Side.LEFT else -1.0
            edge = float(np.percentile(sign * cl, 98.0))
            if pedicle.mask is not None and pedicle.mask.any():
                ped_lps = volume.index_to_lps_points(pedicle.mask.voxel_indices())
                _, _, ps = frame.coords(ped_lps)
                p_lo, p_hi = float(ps.min()), float(ps.max())
                ped_box = roi.crop(pedicle.mask)
                how = "pedicle mask"
            else:
                _, _, p_mid = frame.coords(np.asarray(pedicle.isthmus_lps, dtype=np.float64)[None, :])
                half = 0.5 * PEDICLE_HEIGHT_FRACTION * anatomy.body_height_mm
                p_lo, p_hi = float(p_mid[0]) - half, float(p_mid[0]) + half
                ped_box = np.zeros(roi.shape, dtype=bool)
                how = f"pedicle height assumed {PEDICLE_HEIGHT_FRACTION:g} x body height (*unverified*)"
            eps = 1e-6  # keeps ties on voxel centres symmetric between the sides
            foramen = (
                (sign * l_c >= edge - eps)
                & (sign * l_c <= edge + foramen_width_mm + eps)
                & (a_c >= canal_front - 2.0 - eps)
                & (a_c <= canal_front + foramen_depth_mm + eps)
                & ((s_c < p_lo - eps) | (s_c > p_hi + eps))
                & ~body
                & ~ped_box
            )
            if not foramen.any():
                continue
            add(
                ZoneKind.FORAMEN_BAND,
                f"{side.value} foramen band",
                within_mm(foramen, roi.spacing, band_mm, body),
                f"vertebral body within {band_mm:g} mm of the {side.value} neural foramen, approximated "
                f"(not segmented) as the region lateral to the canal ({foramen_width_mm:g} mm wide, "
                f"{foramen_depth_mm:g} mm deep) above and below the pedicle ({how})",
                approximate=True,
            )
    elif not segmented_sides:
        notes.append("no canal or pedicles: foramen bands not drawn")

    # posterior-wall defects
    for i, defect in enumerate(anatomy.posterior_wall_defects, start=1):
        r = 0.5 * max(defect.size_mm, 0.0) + band_mm
        add(
            ZoneKind.POSTERIOR_WALL_DEFECT,
            f"posterior-wall defect {i}",
            body & roi.ball(defect.center_lps, r),
            f"vertebral body within {band_mm:g} mm of a {defect.size_mm:.1f} mm posterior-wall defect"
            f"{': ' + defect.description if defect.description else ''}",
            approximate=True,
        )

    # cortical and endplate defects: the lesion's own breach points (planning.leakage_defects); a lesion
    # only touching an endplate is noted, not a defect
    defects, contacts = breach_defects(
        volume,
        roi,
        frame,
        body=body,
        endplates=(anatomy.superior_endplate, anatomy.inferior_endplate),
        lesion_mask=lesion_mask,
        cortical_breach_lps=cortical_breach_lps,
        band_mm=band_mm,
    )
    for d in defects:
        kind = ZoneKind.CORTICAL_DEFECT if d.label is None else ZoneKind.ENDPLATE_DEFECT
        name = "cortical defects" if d.label is None else f"{d.label} endplate defect"
        add(kind, name, d.box, d.description, approximate=True)
    notes += [
        f"the lesion reaches the {c} endplate without breaking through it (no cortical breach there): "
        "not a defect"
        for c in contacts
    ]

    # basivertebral venous foramen: where the wall analysis found it, else assumed at the posterior
    # wall's midline at mid-height
    for i, opening in enumerate(anatomy.basivertebral_foramina, start=1):
        r = 0.5 * max(opening.size_mm, 0.0) + band_mm
        several = len(anatomy.basivertebral_foramina) > 1
        add(
            ZoneKind.BASIVERTEBRAL_FORAMEN,
            f"basivertebral venous foramen {i}" if several else "basivertebral venous foramen",
            body & roi.ball(opening.center_lps, r),
            f"vertebral body within {band_mm:g} mm of the basivertebral foramen found in the posterior "
            f"wall ({opening.size_mm:.1f} mm across; where the basivertebral vein exits)",
            approximate=True,
        )
    midline_l = float(np.median(frame.coords(canal_lps)[0])) if canal_lps.size else 0.0
    mid_s = 0.5 * (float(bs.min()) + float(bs.max()))
    tol = float(max(roi.spacing)) * 1.01
    pick = (np.abs(bl - midline_l) <= tol) & (np.abs(bs - mid_s) <= tol)
    if not anatomy.basivertebral_foramina and pick.any():
        k = int(np.argmax(np.where(pick, ba, -np.inf)))
        point = body_lps[k] + 0.5 * float(min(roi.spacing)) * frame.ap
        add(
            ZoneKind.BASIVERTEBRAL_FORAMEN,
            "basivertebral venous foramen",
            body & roi.ball(point, band_mm),
            f"vertebral body within {band_mm:g} mm of the posterior wall's midline at mid-height (where the "
            "basivertebral vein exits; the foramen itself was not seen in the wall, so its usual place is "
            "assumed)",
            approximate=True,
        )

    # access tracks
    if trajectories:
        shell = within_mm(~body, roi.spacing, band_mm, body)
        bony = np.asarray(volume.array[roi.slices] >= BONE_THRESHOLD_HU)
        for pedicle in anatomy.pedicles.values():
            bony |= roi.crop(pedicle.mask)
        for i, (entry, target, od_mm) in enumerate(trajectories, start=1):
            if not (math.isfinite(od_mm) and od_mm > 0):
                raise PlanValidationError("outer_diameter_mm", od_mm, "> 0 mm")
            radius = 0.5 * od_mm + track_margin_mm
            cyl = cylinder(roi.lps, np.asarray(entry, float), np.asarray(target, float), radius)
            track = cyl & (shell | (bony & ~body))
            add(
                ZoneKind.ACCESS_TRACK,
                f"access track {i}",
                track,
                f"bone within {radius:.1f} mm of needle {i} outside the body and in the body's outer "
                f"{band_mm:g} mm (inside this vertebra's region of interest)",
                approximate=True,
            )

    # posterior quarter of the body (injection stop rule): the body's depth where the needle works
    # (planning.body_depth), the quarter measured from each column's back edge
    depth, in_quarter = body_depth_and_quarter(
        l_c[body],
        a_c[body],
        s_c[body],
        column_mm=float(max(roi.spacing)),
        thickness_mm=float(roi.spacing[ap_axis]),  # the grid axis nearest to AP
    )
    quarter = np.zeros_like(body)
    quarter[body] = in_quarter
    return LeakageMap(tuple(zones), roi.to_mask(quarter), depth, band_mm, tuple(notes), tuple(contacts))
