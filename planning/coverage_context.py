"""Coverage of a lesion (plus margin) by predicted ablation zones, and how close heat comes to nerves.

Frames and units: LPS mm for positions, mm for distances, mL for volumes; masks on a volume's
``[slice, row, col]`` grid placed by its ``index_to_lps`` matrix.

This module computes the figures for one lesion and one set of zones (:class:`CoverageContext`, its
:class:`CoverageResult` and :class:`StructureDistance`). Suggesting more antenna positions is in
:mod:`planning.coverage_suggestions`, the per-needle evaluation while the operator drags in
:mod:`planning.target_evaluator`; :mod:`planning.coverage` re-exports all of them.

Definitions (all tested against closed-form spheres and ellipsoids):

- the *target* is the lesion grown by ``margin_mm`` (voxel centres within ``margin_mm`` of the
  lesion's surface, taken half a voxel beyond its edge voxel centres, so the target errs on the
  large side by up to half a voxel; default 2 mm, CLINICAL.md: zone planned 2 mm beyond the lesion
  margin in bone);
- ``covered_percent`` = share of target voxels inside the union of zones; ``uncovered_ml`` its
  complement in mL, with the uncovered voxels as a mask;
- ``min_margin_mm`` = the smallest signed distance from the lesion surface to the zone surface:
  positive when the whole lesion lies inside the zones by at least that much, negative when part of
  the lesion sticks out (by that much);
- ``structures``: for the canal, foramina and posterior wall (where known), the signed distance from
  the zone surface to the structure (negative = the zone overlaps it by that depth) and the overlap
  volume; a warning with the thermal-protection advice of CLINICAL.md below ``warn_distance_mm``
  (default 5 mm) or on overlap.

A mask is taken as its voxels: its surface lies half a voxel beyond its edge voxel centres, along the
way to the zone's surface (half the slice spacing across the slices, half the pixel across the pixels:
:func:`planning.grid_sampling.voxel_half_extent_mm`). Both margins and distances are therefore reported
as the voxels allow, which is the safe side. Work is done only in a region of interest around the
lesion; everything that does not depend on the zones is computed once in :class:`CoverageContext`, so
re-evaluating while the operator drags a needle costs only the zone arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.mask import Mask
from planning.ablation import (
    AblationZone,
    index_box,
    max_union_depth_mm,
    min_union_depth_mm,
    union_contains,
)
from planning.errors import PlanValidationError
from planning.grid_sampling import voxel_half_extent_mm
from planning.model_base import DEFAULT_WARN_DISTANCE_MM

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float, float]

#: Default margin around the lesion (CLINICAL.md: >= 2 mm in bone, Qiu).
DEFAULT_MARGIN_MM = 2.0
#: CLINICAL.md "Thermal protection".
THERMAL_PROTECTION_ADVICE = (
    "thermal protection advised: place a thermocouple near the neural structures and stop when it "
    "reads 42 °C (Chen, Fan); use low power in short cycles (spine: 20-40 W, cycles of 30-90 s); "
    "consider CO2 or 5% dextrose, or cold saline, between the zone and the nerves"
)
_MAX_MARGIN_MM = 20.0


def figure_below(value: float, limit: float) -> str:
    """``value`` to 0.1, written so that a value below ``limit`` never reads as the limit or above it.

    One decimal rounds 1.96 mm up to "2.0", which beside "below the planned 2 mm" contradicts itself
    (QA s30 D2): such a value is written to 0.01, rounded down ("1.96"); the limit is the operator's
    figure (one decimal in the docks), so rounding down to 0.01 keeps it below.
    """
    text = f"{value:.1f}"
    if value < limit <= float(text):
        text = f"{math.floor(value * 100.0) / 100.0:.2f}"
    return text


def figure_above(value: float, limit: float) -> str:
    """``value`` to 0.1, written so that a value above ``limit`` never reads as the limit or below it
    (the counterpart of :func:`figure_below`: 0.04 mm outside is "0.04", not "0.0")."""
    text = f"{value:.1f}"
    if value > limit >= float(text):
        text = f"{math.ceil(value * 100.0) / 100.0:.2f}"
    return text


STRUCTURE_LABELS = {
    "canal": "spinal canal",
    "foramina": "neural foramina",
    "posterior_wall": "posterior vertebral wall",
}


@dataclass(frozen=True)
class StructureDistance:
    """Distance from the zones' surface to a structure (negative = overlap by that depth)."""

    name: str
    distance_mm: float
    closest_lps: Point
    overlap_ml: float

    @property
    def overlaps(self) -> bool:
        """True when the zones reach into the structure."""
        return self.overlap_ml > 0.0 or self.distance_mm < 0.0


@dataclass(frozen=True, eq=False)
class CoverageResult:
    """Coverage figures for one lesion and one set of zones (see module docstring)."""

    covered_percent: float
    target_ml: float
    uncovered_ml: float
    min_margin_mm: float
    min_margin_lps: Point
    uncovered: Mask
    structures: dict[str, StructureDistance]
    warnings: tuple[str, ...] = field(default=())

    @property
    def zone_to_canal_mm(self) -> float | None:
        """Distance from the zones to the spinal canal, None when the canal is unknown."""
        s = self.structures.get("canal")
        return None if s is None else s.distance_mm


class CoverageContext:
    """What coverage needs that does not change while zones move: computed once per lesion.

    Parameters
    ----------
    lesion
        The lesion mask.
    index_to_lps
        4x4 matrix of the grid the masks lie on (orthogonal axes).
    margin_mm
        Margin the zones should cover around the lesion (0-20 mm).
    structures
        Masks of structures to keep heat away from, by name (``canal``, ``foramina``,
        ``posterior_wall``, or any other name).
    warn_distance_mm
        Warn when a zone comes closer than this to a structure.

    Raises
    ------
    PlanValidationError
        For a margin out of range or an empty lesion.
    """

    def __init__(
        self,
        lesion: Mask,
        index_to_lps: npt.ArrayLike,
        *,
        margin_mm: float = DEFAULT_MARGIN_MM,
        structures: Mapping[str, Mask] | None = None,
        warn_distance_mm: float = DEFAULT_WARN_DISTANCE_MM,
    ) -> None:
        if not (math.isfinite(margin_mm) and 0.0 <= margin_mm <= _MAX_MARGIN_MM):
            raise PlanValidationError("margin_mm", margin_mm, f"0-{_MAX_MARGIN_MM:g} mm")
        if not lesion.any():
            raise PlanValidationError("lesion", "empty mask", "a lesion of at least one voxel")
        self.index_to_lps = np.asarray(index_to_lps, dtype=np.float64)
        m3 = self.index_to_lps[:3, :3]
        self.spacing_mm = tuple(float(v) for v in np.linalg.norm(m3, axis=0))
        self.voxel_ml = float(abs(np.linalg.det(m3))) / 1000.0
        self.margin_mm = float(margin_mm)
        self.warn_distance_mm = float(warn_distance_mm)
        self.grid_shape = lesion.grid_shape
        # the target: lesion grown by the margin, in the lesion's box grown by the margin
        pad = np.ceil((margin_mm + 0.5 * max(self.spacing_mm)) / np.asarray(self.spacing_mm)).astype(int) + 1
        lo = np.maximum(np.asarray(lesion.offset_index) - pad, 0)
        hi = np.minimum(np.asarray(lesion.offset_index) + lesion.array.shape + pad, self.grid_shape)
        roi = np.zeros(tuple(int(v) for v in hi - lo), dtype=bool)
        s = np.asarray(lesion.offset_index) - lo
        n = lesion.array.shape
        roi[s[0] : s[0] + n[0], s[1] : s[1] + n[1], s[2] : s[2] + n[2]] = lesion.array
        grown = _grown_by_margin(roi, self.index_to_lps, margin_mm) if margin_mm > 0 else roi
        self._target_offset = lo
        self._target_shape = roi.shape
        self._target_idx = np.argwhere(grown)
        self.target_points_lps = self._to_lps(self._target_idx + lo)
        edge = roi & ~ndimage.binary_erosion(roi, border_value=0)
        self.lesion_edge_lps = self._to_lps(np.argwhere(edge) + lo)
        self.structure_edges_lps: dict[str, FloatArray] = {}
        self.structure_masks: dict[str, Mask] = {}
        for name, mask in (structures or {}).items():
            if mask.grid_shape != self.grid_shape:
                raise ValueError(f'structure "{name}" lies on grid {mask.grid_shape}, not {self.grid_shape}')
            if not mask.any():
                continue
            e = mask.array & ~ndimage.binary_erosion(mask.array, border_value=0)
            off = np.asarray(mask.offset_index)
            self.structure_edges_lps[name] = self._to_lps(np.argwhere(e) + off)
            self.structure_masks[name] = mask

    def _to_lps(self, idx: npt.NDArray[np.integer]) -> FloatArray:
        out: FloatArray = idx.astype(np.float64) @ self.index_to_lps[:3, :3].T + self.index_to_lps[:3, 3]
        return out

    def _overlap_voxels(self, zones: Sequence[AblationZone], mask: Mask) -> int:
        """Voxels of ``mask`` inside the zones, looking only where the zones' box meets the mask's."""
        lo_lps = np.min([z.bbox_lps()[0] for z in zones], axis=0)
        hi_lps = np.max([z.bbox_lps()[1] for z in zones], axis=0)
        box = index_box(lo_lps, hi_lps, self.index_to_lps, self.grid_shape)
        if box is None:
            return 0
        off = np.asarray(mask.offset_index)
        start = np.maximum(box[0], off)
        stop = np.minimum(box[1], off + np.asarray(mask.array.shape))
        if np.any(stop <= start):
            return 0
        sub = mask.array[tuple(slice(int(a), int(b)) for a, b in zip(start - off, stop - off, strict=True))]
        idx = np.argwhere(sub)
        if len(idx) == 0:
            return 0
        return int(union_contains(zones, self._to_lps(idx + start)).sum())

    @property
    def target_ml(self) -> float:
        """Volume of the lesion plus margin (mL)."""
        return len(self._target_idx) * self.voxel_ml

    def evaluate(self, zones: Sequence[AblationZone]) -> CoverageResult:
        """Coverage, margin and structure distances for a set of zones (their union).

        Parameters
        ----------
        zones
            The predicted zones (at least one).

        Returns
        -------
        CoverageResult
            Figures and warnings.
        """
        if not zones:
            raise ValueError('Argument "zones" must hold at least one zone')
        inside = union_contains(zones, self.target_points_lps)
        n = len(inside)
        covered = int(inside.sum())
        unc = np.zeros(self._target_shape, dtype=bool)
        miss = self._target_idx[~inside]
        unc[miss[:, 0], miss[:, 1], miss[:, 2]] = True
        uncovered = Mask.from_box(unc, tuple(int(v) for v in self._target_offset), self.grid_shape)
        # each edge voxel reaches half a voxel beyond its centre, along the zone's normal (QA s32 F: half
        # the smallest spacing overstated margins by up to 1.5 mm across 3 mm slices)
        min_margin, k = min_union_depth_mm(zones, self.lesion_edge_lps, voxel_axes=self.index_to_lps)
        warnings: list[str] = []
        if min_margin < self.margin_mm:
            if min_margin < 0:
                warnings.append(
                    "part of the lesion lies outside the predicted zones "
                    f"(by up to {figure_above(-min_margin, 0.0)} mm)"
                )
            else:
                warnings.append(
                    f"smallest margin {figure_below(min_margin, self.margin_mm)} mm is below the planned "
                    f"{self.margin_mm:g} mm"
                )
        structures: dict[str, StructureDistance] = {}
        advise = False
        for name, edge in self.structure_edges_lps.items():
            deep, j = max_union_depth_mm(zones, edge, voxel_axes=self.index_to_lps)
            dist = -deep
            overlap = self._overlap_voxels(zones, self.structure_masks[name])
            if overlap:
                dist = min(dist, 0.0)
            p = edge[j]
            sd = StructureDistance(
                name, dist, (float(p[0]), float(p[1]), float(p[2])), overlap * self.voxel_ml
            )
            structures[name] = sd
            label = STRUCTURE_LABELS.get(name, name)
            if sd.overlaps:
                warnings.append(f"the predicted zone reaches into the {label} ({sd.overlap_ml:.2f} mL)")
                advise = True
            elif dist < self.warn_distance_mm:
                warnings.append(
                    f"the predicted zone comes within {figure_below(dist, self.warn_distance_mm)} mm "
                    f"of the {label} (< {self.warn_distance_mm:g} mm)"
                )
                advise = True
        if advise:
            warnings.append(THERMAL_PROTECTION_ADVICE)
        q = self.lesion_edge_lps[k]
        return CoverageResult(
            covered_percent=100.0 * covered / n,
            target_ml=n * self.voxel_ml,
            uncovered_ml=(n - covered) * self.voxel_ml,
            min_margin_mm=min_margin,
            min_margin_lps=(float(q[0]), float(q[1]), float(q[2])),
            uncovered=uncovered,
            structures=structures,
            warnings=tuple(warnings),
        )


def _grown_by_margin(
    roi: npt.NDArray[np.bool_], index_to_lps: FloatArray, margin_mm: float
) -> npt.NDArray[np.bool_]:
    """Voxels of ``roi``'s grid whose centres lie within ``margin_mm`` of the mask's surface.

    The surface lies half a voxel beyond the edge voxel centres along the direction to each voxel
    (:func:`planning.grid_sampling.voxel_half_extent_mm`): half the slice spacing across the slices, half the
    pixel spacing across the pixels (QA s32 F: half the smallest spacing everywhere left a 2 mm margin
    out across 3 mm slices, so coverage counted no margin there).
    """
    m3 = index_to_lps[:3, :3]
    spacing = np.linalg.norm(m3, axis=0)
    dist, nearest = ndimage.distance_transform_edt(~roi, sampling=spacing, return_indices=True)
    grown: npt.NDArray[np.bool_] = roi.copy()
    near = ~roi & (dist <= margin_mm + 0.5 * float(spacing.max()) + 1e-9)
    idx = np.argwhere(near)
    if len(idx):
        step_lps = (idx - nearest[:, near].T).astype(np.float64) @ m3.T
        n = step_lps / np.linalg.norm(step_lps, axis=1)[:, None]
        reach = margin_mm + voxel_half_extent_mm(m3, n) + 1e-9
        grown[near] = dist[near] <= reach
    return grown
