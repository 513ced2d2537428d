"""Cement-leakage risk: where cement may escape from a vertebral body, and how likely a leak is.

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
- posterior-wall defects (from the anatomy), other cortical defects (lesion cortical breaches) and
  endplate defects (lesion reaching an endplate: disc-leak risk): body voxels within ``band_mm`` of
  the defect;
- the basivertebral venous foramen: body voxels within ``band_mm`` of the foramen's opening where the
  wall analysis found it (``anatomy.basivertebral_foramina``: a ball of half its size plus
  ``band_mm`` about its centre), else of the midline point of the posterior wall at the body's
  mid-height, where the basivertebral vein usually exits;
- access tracks: along each needle (radius = outer diameter / 2 + ``track_margin_mm``), the bony part
  outside the body and within ``band_mm`` inside the body surface (the cortex it crosses).

The vertebra's local frame: AP axis from the body centroid to the canal centroid (posterior), SI axis
the patient's superior direction made orthogonal to it, LR axis their cross product (patient left).

Risk: the factors of CLINICAL.md combine into a stated level by the rule in
:func:`assess_leakage_risk`; every level comes with its reasons.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.mask import Mask
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from planning.errors import PlanValidationError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Point = tuple[float, float, float]
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
# Region of interest and distances
# ------------------------------------------------------------------------------------------------
class _Roi:
    """A box of the volume's grid around the body, with crop / uncrop and LPS coordinates."""

    def __init__(self, volume: Volume, body: Mask, pad_mm: float) -> None:
        spacing = np.asarray(volume.spacing_mm)
        pad = np.ceil(pad_mm / spacing).astype(int)
        lo = np.maximum(np.asarray(body.offset_index) - pad, 0)
        hi = np.minimum(np.asarray(body.offset_index) + np.asarray(body.array.shape) + pad, volume.shape)
        self.start = tuple(int(v) for v in lo)
        self.shape = tuple(int(v) for v in hi - lo)
        self.grid = volume.shape
        self.spacing = spacing
        self.volume = volume
        self._lps: FloatArray | None = None

    @property
    def slices(self) -> tuple[slice, slice, slice]:
        s, n = self.start, self.shape
        return (slice(s[0], s[0] + n[0]), slice(s[1], s[1] + n[1]), slice(s[2], s[2] + n[2]))

    def crop(self, mask: Mask | None) -> BoolArray:
        out = np.zeros(self.shape, dtype=bool)
        if mask is None or not mask.any():
            return out
        lo = [max(a, b) for a, b in zip(self.start, mask.offset_index, strict=True)]
        hi = [
            min(a + n, b + m)
            for a, n, b, m in zip(self.start, self.shape, mask.offset_index, mask.array.shape, strict=True)
        ]
        if any(h <= lo_ for lo_, h in zip(lo, hi, strict=True)):
            return out
        dst = tuple(slice(a - s, b - s) for a, b, s in zip(lo, hi, self.start, strict=True))
        src = tuple(slice(a - s, b - s) for a, b, s in zip(lo, hi, mask.offset_index, strict=True))
        out[dst] = mask.array[src]
        return out

    def to_mask(self, box: BoolArray) -> Mask:
        return Mask.from_box(box, self.start, self.grid)

    @property
    def lps(self) -> FloatArray:
        """LPS coordinates ``(*shape, 3)`` of the ROI's voxel centres."""
        if self._lps is None:
            grids = np.meshgrid(
                *(np.arange(s, s + n, dtype=np.float64) for s, n in zip(self.start, self.shape, strict=True)),
                indexing="ij",
            )
            self._lps = self.volume.index_to_lps_points(np.stack(grids, axis=-1))
        return self._lps

    def ball(self, center_lps: Sequence[float], radius_mm: float) -> BoolArray:
        d2 = np.sum((self.lps - np.asarray(center_lps, dtype=np.float64)) ** 2, axis=-1)
        out: BoolArray = d2 <= radius_mm**2
        return out


def _within_mm(seeds: BoolArray, spacing: FloatArray, limit_mm: float, where: BoolArray) -> BoolArray:
    """Voxels of ``where`` whose centre lies within ``limit_mm`` of the nearest *face* of a seed voxel.

    The distance is the Euclidean distance between voxel centres minus the part of the line that lies
    inside the nearest seed voxel (the exit distance of the ray from that voxel's centre through its
    box), so a band of ``limit_mm`` next to a flat face holds the voxels whose centres are within
    ``limit_mm`` of that face. Assumes orthogonal voxel axes (true for every non-sheared CT grid).
    Seed voxels themselves count as within.
    """
    out = np.zeros(seeds.shape, dtype=bool)
    if not seeds.any():
        return out
    dist, idx = ndimage.distance_transform_edt(~seeds, sampling=spacing, return_indices=True)
    # only voxels that can pass need the exact correction (it is at most half the largest spacing)
    cand = where & (dist <= limit_mm + 0.5 * float(spacing.max()) + 1e-9)
    pts = np.nonzero(cand)
    d = dist[pts]
    here = np.stack(pts, axis=0).astype(np.float64)
    near = idx[(slice(None), *pts)].astype(np.float64)
    vec = (near - here) * spacing[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.abs(vec) / np.where(d > 0, d, 1.0)
        exits = np.where(unit > 1e-12, (0.5 * spacing[:, None]) / unit, np.inf)
    surface = np.where(d > 0, d - exits.min(axis=0), 0.0)
    out[pts] = surface <= limit_mm + 1e-9
    return out


def _band_fraction(
    seeds: BoolArray,
    spacing: FloatArray,
    limit_mm: float,
    where: BoolArray,
    toward: tuple[int, int] | None = None,
) -> FloatArray:
    """The fraction (0-1) of each voxel of ``where`` that lies within ``limit_mm`` of the seeds' surface.

    The surface between ``where`` and the seeds lies half-way between the seed voxels' centres and the
    centres of the ``where`` voxels that touch them, so a voxel's distance to it is the mean of its
    distances to the nearest seed centre and to the nearest touching voxel's centre (on a face met
    square-on this is the distance to the face exactly; on an oblique face the two staircases' errors
    partly cancel, where the distance to the seeds' faces alone runs up to half a voxel short: a wall
    25 degrees off a 1.5 mm grid still reads about 6% thick). Each voxel is
    then a slab across the direction to its nearest seed, as thick as its extent along that direction
    (``sum |n_i| * spacing_i``): the fraction is the part of that slab nearer than ``limit_mm`` (a linear
    partial-volume estimate). Seed voxels count whole.

    ``toward`` = (grid axis, step) when the seeds are the first voxels outside ``where`` along that
    direction: the touching voxels are then the last ones inside along it (the other layer of the same
    staircase; touching across the other axes would take voxels up to a step deeper on an oblique face
    and shorten the distances). Otherwise every voxel of ``where`` next to a seed touches it.
    """
    out = np.zeros(seeds.shape, dtype=np.float64)
    if not seeds.any():
        return out
    if toward is None:
        touching = where & ~seeds & ndimage.binary_dilation(seeds)
    else:
        touching = where & ~seeds & _shift(seeds, toward[0], -toward[1])
    reach = limit_mm + float(np.sqrt((spacing**2).sum()))
    d_seed, idx = ndimage.distance_transform_edt(~seeds, sampling=spacing, return_indices=True)
    cand = where & (d_seed <= reach)
    pts = np.nonzero(cand)
    d = d_seed[pts]
    if touching.any():
        d_touch = ndimage.distance_transform_edt(~touching, sampling=spacing)[pts]
    else:
        d_touch = d - float(spacing.min())
    surface = np.where(d > 0, 0.5 * (d + d_touch), 0.0)
    here = np.stack(pts, axis=0).astype(np.float64)
    vec = (idx[(slice(None), *pts)].astype(np.float64) - here) * spacing[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.abs(vec) / np.where(d > 0, d, 1.0)
    thick = np.where(d > 0, (unit * spacing[:, None]).sum(axis=0), float(spacing.min()))
    out[pts] = np.where(d > 0, np.clip((limit_mm - surface) / thick + 0.5, 0.0, 1.0), 1.0)
    return out


def _axis_index(volume: Volume, direction_lps: FloatArray) -> int:
    """The grid axis (0 slice, 1 row, 2 col) most aligned with an LPS direction."""
    steps = volume.index_to_lps[:3, :3] / np.asarray(volume.spacing_mm)
    return int(np.argmax(np.abs(direction_lps @ steps)))


@dataclass(frozen=True)
class _Frame:
    """The vertebra's local frame: origin, LR (left), AP (posterior), SI (superior) unit vectors."""

    origin: FloatArray
    lr: FloatArray
    ap: FloatArray
    si: FloatArray

    def coords(self, lps: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        d = lps - self.origin
        return d @ self.lr, d @ self.ap, d @ self.si


def _frame(volume: Volume, anatomy: VertebraAnatomy) -> _Frame:
    """The local frame. AP points from the body centroid to the centroid of the canal *beside the body*
    (canal voxels within the body's superior-inferior extent): a canal mask running above or below the
    body would otherwise tilt the axis."""
    origin = np.asarray(anatomy.body_centroid_lps, dtype=np.float64)
    canal_point = np.asarray(anatomy.canal_centroid_lps, dtype=np.float64)
    if anatomy.canal.any():
        body_z = volume.index_to_lps_points(anatomy.body.voxel_indices())[:, 2]
        canal_lps = volume.index_to_lps_points(anatomy.canal.voxel_indices())
        beside = (canal_lps[:, 2] >= body_z.min()) & (canal_lps[:, 2] <= body_z.max())
        if beside.any():
            canal_point = canal_lps[beside].mean(axis=0)
    ap = canal_point - origin
    ap_len = float(np.linalg.norm(ap))
    if ap_len < 1e-6:
        raise PlanValidationError(
            "canal_centroid_lps", anatomy.canal_centroid_lps, "apart from the body centroid"
        )
    ap /= ap_len
    si = np.array([0.0, 0.0, 1.0]) - ap[2] * ap
    si_len = float(np.linalg.norm(si))
    if si_len < 1e-3:
        raise PlanValidationError(
            "canal_centroid_lps", anatomy.canal_centroid_lps, "not straight above the body"
        )
    si /= si_len
    lr = np.cross(ap, si)
    return _Frame(origin, lr, ap, si)


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
        The lesion (for endplate defects), or None.
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

    frame = _frame(volume, anatomy)
    roi = _Roi(volume, anatomy.body, pad_mm=band_mm + max(foramen_width_mm, foramen_depth_mm) + 3.0)
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
    ap_axis = _axis_index(volume, frame.ap)
    behind_wall = _shift(wall, ap_axis, _posterior_step(volume, ap_axis, frame))
    seeds = ((wall | canal) & ~body) | (behind_wall & ~body)
    if not seeds.any():
        notes.append("no posterior wall or canal next to the body: posterior-wall band not drawn")
    else:
        step = _posterior_step(volume, ap_axis, frame)
        fraction = _band_fraction(seeds, roi.spacing, band_mm, body, toward=(ap_axis, step))
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
                _within_mm(seeds, roi.spacing, band_mm, body),
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
                _within_mm(foramen, roi.spacing, band_mm, body),
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

    # other cortical defects (lesion breaches)
    if len(cortical_breach_lps):
        box = np.zeros(roi.shape, dtype=bool)
        for p in cortical_breach_lps:
            box |= roi.ball(p, band_mm)
        add(
            ZoneKind.CORTICAL_DEFECT,
            "cortical defects",
            body & box,
            f"vertebral body within {band_mm:g} mm of {len(cortical_breach_lps)} point(s) where the lesion "
            "breaks the cortex",
            approximate=True,
        )

    # endplate defects: the lesion reaching an endplate
    if lesion_mask is not None and lesion_mask.any():
        lesion = roi.crop(lesion_mask)
        si_axis = _axis_index(volume, frame.si)
        for label, endplate_mask, sign in (
            ("superior", anatomy.superior_endplate, 1.0),
            ("inferior", anatomy.inferior_endplate, -1.0),
        ):
            if endplate_mask is not None and endplate_mask.any():
                endplate = roi.crop(endplate_mask)
                how = "endplate mask"
            else:
                endplate = _body_face(body, si_axis, sign, volume, frame)
                how = "body surface facing the disc"
            contact = lesion & ndimage.binary_dilation(endplate, iterations=1)
            if not contact.any():
                continue
            add(
                ZoneKind.ENDPLATE_DEFECT,
                f"{label} endplate defect",
                _within_mm(contact, roi.spacing, band_mm, body),
                f"the lesion reaches the {label} endplate ({how}): disc-leak risk; vertebral body within "
                f"{band_mm:g} mm of the contact",
                approximate=True,
            )

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
        shell = _within_mm(~body, roi.spacing, band_mm, body)
        bony = np.asarray(volume.array[roi.slices] >= BONE_THRESHOLD_HU)
        for pedicle in anatomy.pedicles.values():
            bony |= roi.crop(pedicle.mask)
        for i, (entry, target, od_mm) in enumerate(trajectories, start=1):
            if not (math.isfinite(od_mm) and od_mm > 0):
                raise PlanValidationError("outer_diameter_mm", od_mm, "> 0 mm")
            radius = 0.5 * od_mm + track_margin_mm
            cyl = _cylinder(roi.lps, np.asarray(entry, float), np.asarray(target, float), radius)
            track = cyl & (shell | (bony & ~body))
            add(
                ZoneKind.ACCESS_TRACK,
                f"access track {i}",
                track,
                f"bone within {radius:.1f} mm of needle {i} outside the body and in the body's outer "
                f"{band_mm:g} mm (inside this vertebra's region of interest)",
                approximate=True,
            )

    # posterior quarter of the body (injection stop rule)
    depth = float(ba.max() - ba.min()) + float(min(roi.spacing))
    quarter = body & (a_c >= float(ba.max()) + 0.5 * float(min(roi.spacing)) - depth / 4.0)
    return LeakageMap(tuple(zones), roi.to_mask(quarter), depth, band_mm, tuple(notes))


def _posterior_step(volume: Volume, axis: int, frame: _Frame) -> int:
    """+1 or -1: the index step along ``axis`` that moves posteriorly (towards the canal)."""
    return 1 if float(volume.index_to_lps[:3, axis] @ frame.ap) > 0 else -1


def _shift(mask: BoolArray, axis: int, step: int) -> BoolArray:
    """``mask`` moved by one voxel along ``axis`` (``step`` +1 or -1), zero-filled."""
    out = np.zeros_like(mask)
    src: list[slice] = [slice(None)] * 3
    dst: list[slice] = [slice(None)] * 3
    if step > 0:
        src[axis], dst[axis] = slice(None, -1), slice(1, None)
    else:
        src[axis], dst[axis] = slice(1, None), slice(None, -1)
    out[tuple(dst)] = mask[tuple(src)]
    return out


def _body_face(body: BoolArray, axis: int, sign: float, volume: Volume, frame: _Frame) -> BoolArray:
    """Body voxels whose neighbour along ``axis`` on the ``sign`` side of SI lies outside the body."""
    step_lps = volume.index_to_lps[:3, axis]
    step = 1 if float(step_lps @ frame.si) * sign > 0 else -1
    shifted = np.zeros_like(body)
    src: list[slice] = [slice(None)] * 3
    dst: list[slice] = [slice(None)] * 3
    if step > 0:
        src[axis], dst[axis] = slice(1, None), slice(None, -1)
    else:
        src[axis], dst[axis] = slice(None, -1), slice(1, None)
    shifted[tuple(dst)] = body[tuple(src)]
    out: BoolArray = body & ~shifted
    return out


def _cylinder(lps: FloatArray, a: FloatArray, b: FloatArray, radius_mm: float) -> BoolArray:
    """Voxels within ``radius_mm`` of the segment a-b (capsule without the caps beyond the ends)."""
    ab = b - a
    length2 = float(ab @ ab)
    if length2 < 1e-12:
        raise PlanValidationError("trajectory", (a.tolist(), b.tolist()), "entry and target apart")
    t = np.clip(((lps - a) @ ab) / length2, 0.0, 1.0)
    closest = a + t[..., None] * ab
    out: BoolArray = np.sum((lps - closest) ** 2, axis=-1) <= radius_mm**2
    return out


# ------------------------------------------------------------------------------------------------
# Risk factors and level
# ------------------------------------------------------------------------------------------------
class RiskFactor(StrEnum):
    """Leakage risk factors (CLINICAL.md)."""

    POSTERIOR_WALL_DESTRUCTION = "posterior-wall destruction"
    CORTICAL_DISRUPTION = "cortical disruption"
    LOW_VISCOSITY_CEMENT = "low-viscosity cement"
    INTRAVERTEBRAL_CLEFT = "intravertebral cleft"
    LYTIC_LESION = "lytic lesion"
    MULTIPLE_LEVELS = "more treated levels"
    VERTEBRAL_COLLAPSE = "vertebral collapse"
    LARGER_VOLUME = "larger cement volume"


class RiskLevel(StrEnum):
    """Stated leakage-risk levels."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


@dataclass(frozen=True)
class FactorInfo:
    """What the literature says about a factor, and its weight in this program's rule."""

    major: bool
    odds_ratio: float | None
    source: str


FACTOR_INFO: dict[RiskFactor, FactorInfo] = {
    RiskFactor.POSTERIOR_WALL_DESTRUCTION: FactorInfo(
        True, None, "independent factor for canal leaks (CLINICAL.md; 35% of Chen's vertebrae)"
    ),
    RiskFactor.CORTICAL_DISRUPTION: FactorInfo(True, 5.56, "CLINICAL.md, OR 5.56"),
    RiskFactor.LOW_VISCOSITY_CEMENT: FactorInfo(True, 3.32, "CLINICAL.md, OR 3.32"),
    RiskFactor.INTRAVERTEBRAL_CLEFT: FactorInfo(False, 1.40, "CLINICAL.md, OR 1.40"),
    RiskFactor.LYTIC_LESION: FactorInfo(False, None, "CLINICAL.md (lytic type)"),
    RiskFactor.MULTIPLE_LEVELS: FactorInfo(False, None, "CLINICAL.md (more treated levels)"),
    RiskFactor.VERTEBRAL_COLLAPSE: FactorInfo(False, None, "CLINICAL.md (vertebral collapse)"),
    RiskFactor.LARGER_VOLUME: FactorInfo(False, None, "CLINICAL.md (larger volume)"),
}
#: An odds ratio at or above this makes a factor "major" in the rule below.
MAJOR_ODDS_RATIO = 3.0
BASELINE_NOTE = (
    "leaks are common even without risk factors: 30% of vertebrae (Chen 2022), 39.7% (Fan 2023), "
    "56.6% in metastatic vertebroplasty"
)
RULE_TEXT = (
    "high: posterior-wall destruction, or two or more major factors; moderate: one major factor, or "
    "two or more minor factors; low: otherwise. Major = posterior-wall destruction (canal leaks) or an "
    f"odds ratio >= {MAJOR_ODDS_RATIO:g} (cortical disruption 5.56, low-viscosity cement 3.32); minor = "
    "the other factors. This combination is this program's rule of thumb (*unverified*), not a "
    "validated model."
)


@dataclass(frozen=True)
class FactorFinding:
    """A factor's state: present, absent or unknown (None), where that came from, and the evidence."""

    factor: RiskFactor
    present: bool | None
    source: str  # "images" | "operator" | "plan"
    evidence: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        info = FACTOR_INFO[self.factor]
        return {
            "factor": self.factor.value,
            "present": self.present,
            "source": self.source,
            "evidence": self.evidence,
            "major": info.major,
            "odds_ratio": info.odds_ratio,
            "reference": info.source,
        }


@dataclass(frozen=True)
class LeakageRisk:
    """A stated risk level with its reasons (never an unexplained number)."""

    level: RiskLevel
    reasons: tuple[str, ...]
    findings: tuple[FactorFinding, ...]
    not_assessed: tuple[str, ...]
    rule: str = RULE_TEXT
    baseline: str = BASELINE_NOTE
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "level": self.level.value,
            "reasons": list(self.reasons),
            "factors": [f.to_json() for f in self.findings],
            "not_assessed": list(self.not_assessed),
            "rule": self.rule,
            "baseline": self.baseline,
        }


def assess_leakage_risk(findings: Sequence[FactorFinding]) -> LeakageRisk:
    """Combine risk-factor findings into a level with reasons (rule: ``RULE_TEXT``).

    Parameters
    ----------
    findings
        One finding per factor; a factor given twice keeps its last finding. Factors not given are
        listed as not assessed.

    Returns
    -------
    LeakageRisk
    """
    latest: dict[RiskFactor, FactorFinding] = {}
    for f in findings:
        latest[f.factor] = f
    present = [f for f in latest.values() if f.present]
    major = [f for f in present if FACTOR_INFO[f.factor].major]
    minor = [f for f in present if not FACTOR_INFO[f.factor].major]
    pw = any(f.factor is RiskFactor.POSTERIOR_WALL_DESTRUCTION for f in present)
    if pw or len(major) >= 2:
        level = RiskLevel.HIGH
    elif len(major) == 1 or len(minor) >= 2:
        level = RiskLevel.MODERATE
    else:
        level = RiskLevel.LOW
    reasons: list[str] = []
    for f in major + minor:
        info = FACTOR_INFO[f.factor]
        weight = "major" if info.major else "minor"
        oratio = f", OR {info.odds_ratio:g}" if info.odds_ratio is not None else ""
        ev = f": {f.evidence}" if f.evidence else ""
        reasons.append(f"{f.factor.value} ({weight}{oratio}; from {f.source}){ev}")
    if not reasons:
        reasons.append("no risk factor found among those assessed")
    unknown = [f.factor.value for f in latest.values() if f.present is None]
    unknown += [r.value for r in RiskFactor if r not in latest]
    return LeakageRisk(level, tuple(reasons), tuple(latest.values()), tuple(unknown))
