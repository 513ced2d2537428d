"""Cement (PMMA) volume estimate for augmentation after ablation.

The volume to fill is the lesion plus the ablated cavity, counted only inside the bone (for a vertebra:
inside the vertebral body), times a fill fraction. The range uses the lesion-filling range seen on
post-procedure CT (50-100 %, Chen 2022). The estimate is bounded by the vertebral body's volume and is
placed against the published cement volumes for its site. Volumes in mL (1 mL = 1000 mm^3); masks on
the volume's grid ``[slice, row, col]``.

Every figure below is a default the operator can change (``CementDefaults``); each carries its source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np

from imaging.lesion_model import LesionType
from imaging.mask import Mask
from planning.errors import PlanValidationError


class CementSite(StrEnum):
    """The published series an estimate is compared with."""

    VERTEBRA = "vertebra"
    VERTEBRA_OSTEOGENIC = "vertebra-osteogenic"
    EXTRASPINAL_LARGE = "extraspinal-over-35mm"
    EXTRASPINAL_SMALL = "extraspinal-up-to-35mm"


class SeriesPosition(StrEnum):
    """Where an estimate sits against a published series."""

    BELOW_RANGE = "below the published range"
    LOW = "within the published range, below mean - 1 SD"
    TYPICAL = "within mean ± 1 SD"
    HIGH = "within the published range, above mean + 1 SD"
    ABOVE_RANGE = "above the published range"


@dataclass(frozen=True)
class PublishedVolume:
    """A published cement volume: mean ± SD (min-max) in mL, with its source."""

    mean_ml: float
    sd_ml: float
    min_ml: float
    max_ml: float
    source: str

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "mean_ml": self.mean_ml,
            "sd_ml": self.sd_ml,
            "range_ml": [self.min_ml, self.max_ml],
            "source": self.source,
        }


PUBLISHED_VOLUMES: dict[CementSite, PublishedVolume] = {
    CementSite.VERTEBRA: PublishedVolume(5.4, 2.4, 2.0, 8.0, "Chen 2022 (AJNR 43:501), 140 vertebrae"),
    CementSite.VERTEBRA_OSTEOGENIC: PublishedVolume(
        4.98, 2.17, 2.0, 8.0, "Fan 2023, osteogenic spine, 63 vertebrae"
    ),
    CementSite.EXTRASPINAL_LARGE: PublishedVolume(
        13.9, 2.8, 11.0, 19.0, "Qiu 2019 (J Vasc Interv Radiol), extraspinal lesions > 3.5 cm"
    ),
    CementSite.EXTRASPINAL_SMALL: PublishedVolume(
        5.5, 2.4, 2.0, 11.0, "Qiu 2019 (J Vasc Interv Radiol), extraspinal lesions <= 3.5 cm"
    ),
}

#: Lesion filling on post-procedure CT (Chen 2022): share of vertebrae per filling band, with the band's
#: midpoint used for the default fraction.
CHEN_FILLING_BANDS: tuple[tuple[float, float, float], ...] = (
    # (low, high, share of vertebrae)
    (0.50, 0.75, 0.25),
    (0.75, 0.90, 0.379),
    (1.00, 1.00, 0.371),
)


def _chen_mean_filling() -> float:
    total = sum(share for _, _, share in CHEN_FILLING_BANDS)
    return sum(0.5 * (lo + hi) * share for lo, hi, share in CHEN_FILLING_BANDS) / total


#: Extraspinal lesions larger than this (largest diameter) belong to the "> 3.5 cm" series (Qiu 2019).
EXTRASPINAL_LARGE_DIAMETER_MM = 35.0


@dataclass(frozen=True)
class CementDefaults:
    """Editable defaults of the estimate, each with its source."""

    fill_fraction: float = field(default_factory=lambda: round(_chen_mean_filling(), 2))
    fill_fraction_source: str = (
        "Chen 2022 filling bands 50-75% (25%), 75-90% (37.9%), ~100% (37.1%): share-weighted mean of "
        "the band midpoints"
    )
    fill_fraction_range: tuple[float, float] = (0.5, 1.0)
    fill_fraction_range_source: str = "Chen 2022: lesion filling > 50% in all, up to about 100%"
    extraspinal_large_diameter_mm: float = EXTRASPINAL_LARGE_DIAMETER_MM

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "fill_fraction": self.fill_fraction,
            "fill_fraction_source": self.fill_fraction_source,
            "fill_fraction_range": list(self.fill_fraction_range),
            "fill_fraction_range_source": self.fill_fraction_range_source,
            "extraspinal_large_diameter_mm": self.extraspinal_large_diameter_mm,
        }


@dataclass(frozen=True)
class CementEstimate:
    """A cement volume estimate.

    ``fill_volume_ml`` is lesion plus cavity inside the bone; ``estimate_ml`` = fill volume x
    fill fraction and ``range_ml`` = fill volume x the fraction range, both capped at
    ``cap_ml`` (the vertebral body's volume) when given.
    """

    estimate_ml: float
    range_ml: tuple[float, float]
    fill_volume_ml: float
    lesion_in_bone_ml: float
    cavity_only_ml: float
    fill_fraction: float
    fill_fraction_range: tuple[float, float]
    cap_ml: float | None
    capped: bool
    site: CementSite
    published: PublishedVolume
    position: SeriesPosition
    notes: tuple[str, ...] = ()
    defaults: CementDefaults = field(default_factory=CementDefaults)

    def to_json(self) -> dict[str, Any]:
        """JSON-able form (the plan's ``cement`` object)."""
        return {
            "estimate_ml": round(self.estimate_ml, 2),
            "range_ml": [round(self.range_ml[0], 2), round(self.range_ml[1], 2)],
            "fill_volume_ml": round(self.fill_volume_ml, 3),
            "lesion_in_bone_ml": round(self.lesion_in_bone_ml, 3),
            "cavity_only_ml": round(self.cavity_only_ml, 3),
            "fill_fraction": self.fill_fraction,
            "fill_fraction_range": list(self.fill_fraction_range),
            "cap_ml": None if self.cap_ml is None else round(self.cap_ml, 2),
            "capped": self.capped,
            "site": self.site.value,
            "published": self.published.to_json(),
            "position": self.position.value,
            "notes": list(self.notes),
            "defaults": self.defaults.to_json(),
        }


def choose_site(
    *, spinal: bool, lesion_type: LesionType | None, max_diameter_mm: float | None, defaults: CementDefaults
) -> CementSite:
    """The published series to compare with: vertebra (osteogenic when blastic) or extraspinal by size.

    An extraspinal lesion without a known diameter is compared with the "<= 3.5 cm" series.
    """
    if spinal:
        return CementSite.VERTEBRA_OSTEOGENIC if lesion_type is LesionType.BLASTIC else CementSite.VERTEBRA
    if max_diameter_mm is not None and max_diameter_mm > defaults.extraspinal_large_diameter_mm:
        return CementSite.EXTRASPINAL_LARGE
    return CementSite.EXTRASPINAL_SMALL


def series_position(volume_ml: float, published: PublishedVolume) -> SeriesPosition:
    """Where ``volume_ml`` sits against a published mean ± SD (min-max)."""
    if volume_ml < published.min_ml:
        return SeriesPosition.BELOW_RANGE
    if volume_ml > published.max_ml:
        return SeriesPosition.ABOVE_RANGE
    tol = 1e-9  # mean - SD computed in floating point must not move a value given at the edge
    if volume_ml < published.mean_ml - published.sd_ml - tol:
        return SeriesPosition.LOW
    if volume_ml > published.mean_ml + published.sd_ml + tol:
        return SeriesPosition.HIGH
    return SeriesPosition.TYPICAL


def _union_count(masks: list[Mask], grid_shape: tuple[int, int, int]) -> tuple[int, tuple[slice, ...], Any]:
    """The union of masks inside their common bounding box: (count, box slices, box array)."""
    union = Mask.union(masks, grid_shape)
    return union.count(), union.slices, union.array


def _restrict(box: Any, box_slices: tuple[slice, ...], bone: Mask) -> Any:
    """``box`` (placed at ``box_slices`` on the grid) AND the bone mask."""
    out = np.zeros_like(box)
    lo = [max(b.start, s.start) for b, s in zip(box_slices, bone.slices, strict=True)]
    hi = [min(b.stop, s.stop) for b, s in zip(box_slices, bone.slices, strict=True)]
    if any(h <= lo_ for lo_, h in zip(lo, hi, strict=True)):
        return out
    in_box = tuple(slice(a - b.start, c - b.start) for a, c, b in zip(lo, hi, box_slices, strict=True))
    in_bone = tuple(slice(a - s.start, c - s.start) for a, c, s in zip(lo, hi, bone.slices, strict=True))
    out[in_box] = box[in_box] & bone.array[in_bone]
    return out


def estimate_cement(
    lesion_mask: Mask,
    voxel_volume_ml: float,
    *,
    cavity_mask: Mask | None = None,
    bone_mask: Mask | None = None,
    spinal: bool,
    lesion_type: LesionType | None = None,
    max_diameter_mm: float | None = None,
    cap_ml: float | None = None,
    defaults: CementDefaults | None = None,
    fill_fraction: float | None = None,
) -> CementEstimate:
    """Estimate the cement volume to plan.

    Parameters
    ----------
    lesion_mask
        The lesion on the volume's grid.
    voxel_volume_ml
        Volume of one voxel in mL (``Volume.voxel_volume_ml``).
    cavity_mask
        The ablated cavity (union of the predicted ablation zones), or None.
    bone_mask
        The bone the cement stays in (the vertebral body for a vertebra); None = no restriction.
    spinal
        True for a vertebra, False for extraspinal bone.
    lesion_type, max_diameter_mm
        Choose the published series (osteogenic vertebra; extraspinal > 3.5 cm).
    cap_ml
        Upper bound of the estimate and range (the vertebral body's volume); None = none.
    defaults
        The editable defaults (fill fraction and its range, with sources).
    fill_fraction
        The operator's fill fraction, overriding ``defaults.fill_fraction``.

    Returns
    -------
    CementEstimate

    Raises
    ------
    PlanValidationError
        If the voxel volume, fill fraction or cap is out of range, or masks lie on different grids.
    """
    defaults = defaults or CementDefaults()
    if fill_fraction is not None:
        defaults = replace(defaults, fill_fraction=float(fill_fraction), fill_fraction_source="operator")
    if not (math.isfinite(voxel_volume_ml) and voxel_volume_ml > 0):
        raise PlanValidationError("voxel_volume_ml", voxel_volume_ml, "> 0 mL")
    f_lo, f_hi = defaults.fill_fraction_range
    if not 0.0 < f_lo <= f_hi <= 1.0:
        raise PlanValidationError("fill_fraction_range", defaults.fill_fraction_range, "0 < low <= high <= 1")
    if not 0.0 < defaults.fill_fraction <= 1.0:
        raise PlanValidationError("fill_fraction", defaults.fill_fraction, "0-1 (exclusive of 0)")
    if cap_ml is not None and not (math.isfinite(cap_ml) and cap_ml > 0):
        raise PlanValidationError("cap_ml", cap_ml, "> 0 mL")
    grid = lesion_mask.grid_shape
    for name, m in (("cavity_mask", cavity_mask), ("bone_mask", bone_mask)):
        if m is not None and m.grid_shape != grid:
            raise PlanValidationError(name, m.grid_shape, f"the lesion's grid {grid}")

    notes: list[str] = []
    lesion_n, lesion_sl, lesion_box = _union_count([lesion_mask], grid)
    masks = [lesion_mask] + ([cavity_mask] if cavity_mask is not None else [])
    fill_n, fill_sl, fill_box = _union_count(masks, grid)
    if bone_mask is not None and fill_n:
        fill_box = _restrict(fill_box, fill_sl, bone_mask)
        lesion_box = _restrict(lesion_box, lesion_sl, bone_mask)
        outside = fill_n - int(np.count_nonzero(fill_box))
        fill_n = int(np.count_nonzero(fill_box))
        lesion_n = int(np.count_nonzero(lesion_box))
        if outside:
            notes.append(
                f"{outside * voxel_volume_ml:.2f} mL of lesion/cavity lies outside the bone, not counted"
            )
    fill_ml = fill_n * voxel_volume_ml
    lesion_ml = lesion_n * voxel_volume_ml
    if fill_n == 0:
        notes.append("nothing to fill inside the bone: no lesion or cavity voxels there")

    estimate = fill_ml * defaults.fill_fraction
    lo, hi = fill_ml * f_lo, fill_ml * f_hi
    capped = False
    if cap_ml is not None:
        if hi > cap_ml:
            capped = True
            notes.append(f"bounded by the vertebral body's volume {cap_ml:.1f} mL")
        estimate, lo, hi = min(estimate, cap_ml), min(lo, cap_ml), min(hi, cap_ml)

    site = choose_site(
        spinal=spinal, lesion_type=lesion_type, max_diameter_mm=max_diameter_mm, defaults=defaults
    )
    published = PUBLISHED_VOLUMES[site]
    position = series_position(estimate, published)
    notes.append(
        f"{estimate:.1f} mL is {position.value} of {published.mean_ml} ± {published.sd_ml} mL "
        f"({published.min_ml:g}-{published.max_ml:g}) ({published.source})"
    )
    return CementEstimate(
        estimate_ml=estimate,
        range_ml=(lo, hi),
        fill_volume_ml=fill_ml,
        lesion_in_bone_ml=lesion_ml,
        cavity_only_ml=fill_ml - lesion_ml,
        fill_fraction=defaults.fill_fraction,
        fill_fraction_range=(f_lo, f_hi),
        cap_ml=cap_ml,
        capped=capped,
        site=site,
        published=published,
        position=position,
        notes=tuple(notes),
        defaults=defaults,
    )
