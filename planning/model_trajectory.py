"""A needle's values in a case: the ``Approach``, the ``AblationSpec`` and the ``Trajectory``.

Frames and units: ``entry_lps`` and ``target_lps`` are DICOM patient LPS positions in millimetres;
lengths and offsets ``*_mm``, power ``*_w``, time ``*_s``; needle gauges in G, checked against
``NEEDLE_OUTER_DIAMETER_MM`` (the gauge table of ``planning.needles``). Other code imports these
names from ``planning.model``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from planning.errors import PlanValidationError
from planning.model_base import (
    FrozenDict,
    JsonScalar,
    Point,
    _check_name,
    _enum,
    _finite,
    _frozen,
    _set,
    as_point,
)
from planning.needles import ACCESS_NEEDLE_OUTER_DIAMETER_MM

__all__ = ["NEEDLE_OUTER_DIAMETER_MM", "AblationSpec", "Approach", "Trajectory"]


class Approach(StrEnum):
    """Needle approach (DESIGN.md command-line contract spelling)."""

    TRANSPEDICULAR_LEFT = "transpedicular-left"
    TRANSPEDICULAR_RIGHT = "transpedicular-right"
    TRANSCOSTOVERTEBRAL_LEFT = "transcostovertebral-left"
    TRANSCOSTOVERTEBRAL_RIGHT = "transcostovertebral-right"
    PARAPEDICULAR_LEFT = "parapedicular-left"
    PARAPEDICULAR_RIGHT = "parapedicular-right"
    DIRECT = "direct"


# the gauge table lives in planning.needles (CLINICAL.md); re-exported here for the values' checks
NEEDLE_OUTER_DIAMETER_MM: Mapping[int, float] = ACCESS_NEEDLE_OUTER_DIAMETER_MM


@dataclass(frozen=True)
class AblationSpec:
    """The ablation zone: a device ``profile`` name, or custom dimensions (all three), or nothing yet.

    ``center_behind_tip_mm``: the zone's centre lies this far behind the antenna tip (DESIGN.md).
    """

    profile: str = ""
    width_mm: float | None = None
    length_mm: float | None = None
    center_behind_tip_mm: float | None = None
    power_w: float | None = None
    duration_s: float | None = None
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        for name in ("width_mm", "length_mm", "power_w", "duration_s"):
            _finite(self, name, low=0.0)
        _finite(self, "center_behind_tip_mm")
        dims = (self.width_mm, self.length_mm, self.center_behind_tip_mm)
        if any(d is not None for d in dims) and any(d is None for d in dims):
            raise ValueError(
                f'Custom ablation needs all of "width_mm", "length_mm", "center_behind_tip_mm", got {dims!r}'
            )
        _frozen(self, "extra")

    @property
    def is_custom(self) -> bool:
        """True when custom dimensions are given."""
        return self.width_mm is not None


@dataclass(frozen=True)
class Trajectory:
    """One access needle (and the antenna inserted through it).

    ``target_lps`` is the access needle's tip; the antenna tip lies ``antenna_extension_mm`` further
    along the needle. ``ablation_positions_mm`` are pull-back offsets of the antenna tip along the
    needle, 0 = fully extended. Defaults (CLINICAL.md "Needles"): 13 G needle of 150 mm (10-15 cm),
    16 G antenna, tip 15 mm beyond the needle (1.5-2.0 cm).
    """

    name: str
    target: str
    approach: Approach
    entry_lps: Point
    target_lps: Point
    needle_gauge: int = 13
    needle_length_mm: float = 150.0
    antenna_gauge: int = 16
    antenna_extension_mm: float = 15.0
    ablation_positions_mm: tuple[float, ...] = (0.0,)
    ablation: AblationSpec = field(default_factory=AblationSpec)
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _check_name(self.name, "name")
        _check_name(self.target, "target")
        _enum(self, "approach", Approach)
        _set(self, "entry_lps", as_point(self.entry_lps, "entry_lps"))
        _set(self, "target_lps", as_point(self.target_lps, "target_lps"))
        if self.entry_lps == self.target_lps:
            raise PlanValidationError("entry_lps", self.entry_lps, "a point distinct from target_lps")
        if self.needle_gauge not in NEEDLE_OUTER_DIAMETER_MM:
            raise PlanValidationError(
                "needle_gauge", self.needle_gauge, f"gauges {sorted(NEEDLE_OUTER_DIAMETER_MM)}"
            )
        if isinstance(self.antenna_gauge, bool) or not isinstance(self.antenna_gauge, int):
            raise ValueError(f'Argument "antenna_gauge" must be an int, got {self.antenna_gauge!r}')
        _finite(self, "needle_length_mm", low=1.0)
        _finite(self, "antenna_extension_mm", low=0.0)
        positions = tuple(float(p) for p in self.ablation_positions_mm)
        if any(not math.isfinite(p) or p < 0.0 for p in positions):
            raise PlanValidationError("ablation_positions_mm", positions, "finite values >= 0 mm")
        _set(self, "ablation_positions_mm", positions)
        if not isinstance(self.ablation, AblationSpec):
            raise ValueError(f'Argument "ablation" must be an AblationSpec, got {self.ablation!r}')
        _frozen(self, "extra")

    @property
    def length_mm(self) -> float:
        """Entry to access-needle tip, mm."""
        return math.dist(self.entry_lps, self.target_lps)

    @property
    def direction_lps(self) -> Point:
        """Unit vector from entry to tip (LPS)."""
        d = [t - e for e, t in zip(self.entry_lps, self.target_lps, strict=True)]
        n = math.sqrt(sum(c * c for c in d))
        return (d[0] / n, d[1] / n, d[2] / n)
