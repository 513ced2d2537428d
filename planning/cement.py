"""Cement (PMMA) volume estimate for augmentation after ablation.

The estimate is anchored to the lesion: the lesion's volume inside the bone (for a vertebra: inside the
vertebral body) times a fill fraction, the lesion filling seen on post-procedure CT (50-100 %, Chen
2022). It is then held within the published cement volumes of its site (CLINICAL.md): never below the
series' smallest volume (every vertebra in Chen 2022 and Fan 2023 received at least 2 mL: cement also
spreads into the bone around a small lesion) and never above its largest (8 mL for a vertebra; larger
volumes were not published and a larger volume is itself a leak risk factor), nor above the vertebral
body's volume.

The ablation zone is not a cavity to fill: ablation kills tissue, it does not remove bone, and the
published volumes were measured after ablation (Chen 2022, Fan 2023: microwave ablation then cement),
so they already hold whatever the ablation changes. CLINICAL.md gives no cement figure for the
ablated volume, so it adds nothing to the estimate; its part in the bone is reported for information.

Volumes in mL (1 mL = 1000 mm^3); masks on the volume's grid ``[slice, row, col]``. Every figure below
is a default the operator can change (``CementDefaults``, the fill fraction, or a planned volume of
their own); each carries its source.
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


#: Where the bounds of the estimate come from (CLINICAL.md, "Cement volumes").
SERIES_BOUNDS_SOURCE = (
    "the published series' smallest and largest volumes for the site (CLINICAL.md: vertebra 2-8 mL, "
    "Chen 2022 and Fan 2023, after microwave ablation; extraspinal 2-11 mL or 11-19 mL, Qiu 2019)"
)


class CementBound(StrEnum):
    """Which bound, if any, set the estimate instead of the lesion fill."""

    SERIES_MIN = "raised to the smallest published volume"
    SERIES_MAX = "held at the largest published volume"
    BODY = "bounded by the vertebral body's volume"


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
    #: hold the lesion fill within the published series' smallest and largest volumes
    series_bounds: bool = True
    series_bounds_source: str = SERIES_BOUNDS_SOURCE

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "fill_fraction": self.fill_fraction,
            "fill_fraction_source": self.fill_fraction_source,
            "fill_fraction_range": list(self.fill_fraction_range),
            "fill_fraction_range_source": self.fill_fraction_range_source,
            "extraspinal_large_diameter_mm": self.extraspinal_large_diameter_mm,
            "series_bounds": self.series_bounds,
            "series_bounds_source": self.series_bounds_source,
        }


@dataclass(frozen=True)
class CementEstimate:
    """A cement volume estimate.

    ``lesion_fill_ml`` = lesion in bone x fill fraction; ``estimate_ml`` is that fill held within
    ``bounds_ml`` (the published series' smallest and largest volumes, the largest no more than
    ``cap_ml``, the vertebral body's volume); ``range_ml`` is the fill at the fraction range, held the
    same way. ``bound`` says which bound set the estimate (None: the lesion fill itself, or the
    operator's volume). ``ablation_in_bone_ml`` is the ablation zone's part in the bone outside the
    lesion: reported, not counted (see the module docstring).
    """

    estimate_ml: float
    range_ml: tuple[float, float]
    lesion_in_bone_ml: float
    lesion_fill_ml: float
    ablation_in_bone_ml: float
    fill_fraction: float
    fill_fraction_range: tuple[float, float]
    bounds_ml: tuple[float, float] | None
    bound: CementBound | None
    cap_ml: float | None
    capped: bool
    site: CementSite
    published: PublishedVolume
    position: SeriesPosition
    notes: tuple[str, ...] = ()
    defaults: CementDefaults = field(default_factory=CementDefaults)
    #: the volume was set by the operator (``estimate_cement(planned_ml=...)``)
    chosen: bool = False

    def to_json(self) -> dict[str, Any]:
        """JSON-able form (the plan's ``cement`` object)."""
        return {
            "estimate_ml": round(self.estimate_ml, 2),
            "range_ml": [round(self.range_ml[0], 2), round(self.range_ml[1], 2)],
            "lesion_in_bone_ml": round(self.lesion_in_bone_ml, 3),
            "lesion_fill_ml": round(self.lesion_fill_ml, 3),
            "ablation_in_bone_ml": round(self.ablation_in_bone_ml, 3),
            "ablation_counted": False,
            "fill_fraction": self.fill_fraction,
            "fill_fraction_range": list(self.fill_fraction_range),
            "bounds_ml": None if self.bounds_ml is None else [round(v, 2) for v in self.bounds_ml],
            "bound": None if self.bound is None else self.bound.value,
            "chosen_by_operator": self.chosen,
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
    ablation_mask: Mask | None = None,
    bone_mask: Mask | None = None,
    spinal: bool,
    lesion_type: LesionType | None = None,
    max_diameter_mm: float | None = None,
    cap_ml: float | None = None,
    defaults: CementDefaults | None = None,
    fill_fraction: float | None = None,
    planned_ml: float | None = None,
) -> CementEstimate:
    """Estimate the cement volume to plan.

    Parameters
    ----------
    lesion_mask
        The lesion on the volume's grid.
    voxel_volume_ml
        Volume of one voxel in mL (``Volume.voxel_volume_ml``).
    ablation_mask
        The predicted ablation zones (their union), or None: reported, not counted.
    bone_mask
        The bone the cement stays in (the vertebral body for a vertebra); None = no restriction.
    spinal
        True for a vertebra, False for extraspinal bone.
    lesion_type, max_diameter_mm
        Choose the published series (osteogenic vertebra; extraspinal > 3.5 cm).
    cap_ml
        Upper bound of the estimate and range (the vertebral body's volume); None = none.
    defaults
        The editable defaults (fill fraction and its range, the series bounds, with sources).
    fill_fraction
        The operator's fill fraction, overriding ``defaults.fill_fraction``.
    planned_ml
        The operator's planned volume: it replaces the estimate (held only by ``cap_ml``) and is still
        placed against the published series.

    Returns
    -------
    CementEstimate

    Raises
    ------
    PlanValidationError
        If the voxel volume, fill fraction, planned volume or cap is out of range, or masks lie on
        different grids.
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
    if planned_ml is not None and not (math.isfinite(planned_ml) and planned_ml > 0):
        raise PlanValidationError("cement_volume_ml", planned_ml, "> 0 mL")
    grid = lesion_mask.grid_shape
    for name, m in (("ablation_mask", ablation_mask), ("bone_mask", bone_mask)):
        if m is not None and m.grid_shape != grid:
            raise PlanValidationError(name, m.grid_shape, f"the lesion's grid {grid}")

    notes: list[str] = []
    lesion_n, lesion_sl, lesion_box = _union_count([lesion_mask], grid)
    if bone_mask is not None and lesion_n:
        lesion_box = _restrict(lesion_box, lesion_sl, bone_mask)
        outside = lesion_n - int(np.count_nonzero(lesion_box))
        lesion_n = int(np.count_nonzero(lesion_box))
        if outside:
            notes.append(
                f"{outside * voxel_volume_ml:.2f} mL of the lesion lies outside the bone, not counted"
            )
    lesion_ml = lesion_n * voxel_volume_ml
    ablation_ml = _ablation_in_bone_ml(ablation_mask, lesion_mask, bone_mask, voxel_volume_ml)
    if ablation_ml > 0:
        notes.append(
            f"the ablation zone's {ablation_ml:.1f} mL of bone outside the lesion is not counted: ablation "
            "leaves no cavity to fill, and the published volumes were measured after ablation"
        )

    site = choose_site(
        spinal=spinal, lesion_type=lesion_type, max_diameter_mm=max_diameter_mm, defaults=defaults
    )
    published = PUBLISHED_VOLUMES[site]
    lesion_fill = lesion_ml * defaults.fill_fraction
    lo_fill, hi_fill = lesion_ml * f_lo, lesion_ml * f_hi
    top = math.inf if cap_ml is None else cap_ml
    bounds: tuple[float, float] | None = None
    if defaults.series_bounds:
        bounds = (min(published.min_ml, top), min(published.max_ml, top))
    elif cap_ml is not None:
        bounds = (0.0, cap_ml)
    bound: CementBound | None = None
    if planned_ml is not None:
        estimate = min(planned_ml, top)
        lo = hi = estimate
        bound = CementBound.BODY if planned_ml > top else None
        notes.append(f"planned volume {planned_ml:.1f} mL chosen by the operator")
        if bound is not None:
            notes.append(f"the planned volume is {bound.value}: {estimate:.1f} mL")
    elif lesion_n == 0:
        estimate = lo = hi = 0.0
        notes.append("nothing to fill inside the bone: no lesion voxels there")
    else:
        floor, ceiling = bounds if bounds is not None else (0.0, math.inf)
        estimate = min(max(lesion_fill, floor), ceiling)
        lo, hi = min(max(lo_fill, floor), ceiling), min(max(hi_fill, floor), ceiling)
        if lesion_fill < floor:
            bound = CementBound.BODY if floor >= top else CementBound.SERIES_MIN
        elif lesion_fill > ceiling:
            bound = CementBound.BODY if ceiling >= top else CementBound.SERIES_MAX
        if bound is not None:
            notes.append(
                f"the lesion fill {lesion_fill:.2f} mL ({100.0 * defaults.fill_fraction:.0f} % of "
                f"{lesion_ml:.2f} mL) is {bound.value}: {estimate:.1f} mL"
            )
    capped = bound is CementBound.BODY
    position = series_position(estimate, published)
    notes.append(
        f"{estimate:.1f} mL is {position.value} of {published.mean_ml} ± {published.sd_ml} mL "
        f"({published.min_ml:g}-{published.max_ml:g}) ({published.source})"
    )
    return CementEstimate(
        estimate_ml=estimate,
        range_ml=(lo, hi),
        lesion_in_bone_ml=lesion_ml,
        lesion_fill_ml=lesion_fill,
        ablation_in_bone_ml=ablation_ml,
        fill_fraction=defaults.fill_fraction,
        fill_fraction_range=(f_lo, f_hi),
        bounds_ml=bounds,
        bound=bound,
        cap_ml=cap_ml,
        capped=capped,
        site=site,
        published=published,
        position=position,
        notes=tuple(notes),
        defaults=defaults,
        chosen=planned_ml is not None,
    )


def _ablation_in_bone_ml(
    ablation: Mask | None, lesion: Mask, bone: Mask | None, voxel_volume_ml: float
) -> float:
    """The ablation zone's volume in the bone (all of it without a bone mask) outside the lesion."""
    if ablation is None or not ablation.any():
        return 0.0
    grid = lesion.grid_shape
    union_n, union_sl, union_box = _union_count([lesion, ablation], grid)
    lesion_n, lesion_sl, lesion_box = _union_count([lesion], grid)
    if bone is not None:
        union_n = int(np.count_nonzero(_restrict(union_box, union_sl, bone)))
        lesion_n = int(np.count_nonzero(_restrict(lesion_box, lesion_sl, bone))) if lesion_n else 0
    return (union_n - lesion_n) * voxel_volume_ml
