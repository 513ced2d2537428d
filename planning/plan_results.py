"""What a plan run found, per target, per trajectory and for the whole plan, and its JSON output.

The dataclasses :func:`planning.plan_runner.run_plan` fills, each with ``to_json`` giving the keys of
DESIGN.md ("Command line", ``osteoplan plan``) plus the added ones their docstrings name. Positions
LPS mm rounded to 0.01 mm in the JSON, lengths mm, angles degrees, volumes mL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from imaging.lesion_model import Lesion
from imaging.mask import Mask
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from planning.ablation import AblationZone
from planning.coverage import (
    DEFAULT_WARN_DISTANCE_MM,
    CoverageResult,
    NeedlePlacement,
    PositionSuggestion,
    ZoneModel,
)
from planning.model import DEFAULT_PEDICLE_SAFETY_MARGIN_MM, HELD_NEEDLE_DEPTH_MM, Approach
from planning.needles import Needle
from planning.proposals import Proposal
from planning.score_site import BoneSite
from planning.trajectory import TrajectoryGeometry, TrajectoryMetrics


@dataclass
class TargetResult:
    """One target's findings."""

    name: str
    lesion: Lesion
    anatomy: VertebraAnatomy | None
    level: str | None
    coverage: CoverageResult | None
    zones_mask: Mask | None
    suggestions: list[PositionSuggestion] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: the bone the spec states for an extraspinal target (its scores follow it), None when not stated
    bone: BoneSite | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``targets`` item of DESIGN.md (plus ``structures``, ``suggestions``, ``level``, ``bone``)."""
        cov = self.coverage
        out: dict[str, Any] = {
            "name": self.name,
            "level": self.level,
            "bone": None if self.bone is None else self.bone.value,
            "lesion": self.lesion.to_json(),
            "coverage_percent": None if cov is None else round(cov.covered_percent, 2),
            "uncovered_ml": None if cov is None else round(cov.uncovered_ml, 3),
            "min_margin_mm": None if cov is None else round(cov.min_margin_mm, 2),
            "zone_to_canal_mm": None
            if cov is None or cov.zone_to_canal_mm is None
            else round(cov.zone_to_canal_mm, 2),
            "structures": {}
            if cov is None
            else {
                name: {"distance_mm": round(s.distance_mm, 2), "overlap_ml": round(s.overlap_ml, 3)}
                for name, s in cov.structures.items()
            },
            "suggestions": [_suggestion_json(s) for s in self.suggestions],
            "warnings": list(self.warnings),
        }
        if self.anatomy is not None and cov is not None and "foramina" not in cov.structures:
            f = self.anatomy.foramina
            out["structures"]["foramina"] = {
                "distance_mm": None,
                "overlap_ml": None,
                "note": "not found: " + ("; ".join(f.missing_notes()) if f is not None else "not looked for"),
            }
        out.update(self.extras)
        return out


@dataclass
class TrajectoryResult:
    """One needle: where it goes and what it passes."""

    target: str
    approach: Approach
    geometry: TrajectoryGeometry
    needle: Needle
    pullback_mm: tuple[float, ...]
    metrics: TrajectoryMetrics
    pedicle_min_width_mm: float | None
    alternative: Proposal | None
    warnings: list[str]
    #: whether the anatomy traced the pedicle on the needle's side (None: direct, or no anatomy);
    #: False for the route built from the body and canal alone (propose_untraced_side)
    pedicle_traced: bool | None = None
    #: how well the scan shows ``pedicle_min_width_mm`` (+- mm), None when not known
    pedicle_min_width_uncertainty_mm: float | None = None

    def case_name(self, index: int) -> str:
        """The needle's name in a case saved from the plan (``index``: its place among all needles)."""
        return f"{self.target} {self.approach.value} {index + 1}"

    @property
    def placement(self) -> NeedlePlacement:
        """The needle as the evaluator sees it (for zones)."""
        return NeedlePlacement(self.geometry, self.needle, self.pullback_mm)

    def to_json(self) -> dict[str, Any]:
        """The ``trajectories`` item of DESIGN.md (plus depth, clearance, antenna tip, alternative,
        ``outside_image_mm``: the length of the needle outside the scanned image, and
        ``antenna_outside_image_mm``: the same for the antenna beyond the needle tip)."""
        m = self.metrics
        tip = self.geometry.antenna_tip_lps(self.needle.antenna_extension_mm)
        out: dict[str, Any] = {
            "target": self.target,
            "approach": self.approach.value,
            "entry_lps": _r(self.geometry.entry_lps),
            "target_lps": _r(self.geometry.target_lps),
            "length_mm": round(m.length_mm, 2),
            "craniocaudal_deg": round(m.craniocaudal_deg, 2),
            "mediolateral_deg": round(m.mediolateral_deg, 2),
            "pedicle_min_width_mm": _opt(self.pedicle_min_width_mm),
            "pedicle_min_width_uncertainty_mm": _opt(self.pedicle_min_width_uncertainty_mm),
            "canal_distance_mm": _opt(m.canal_distance_mm),
            "warnings": list(self.warnings),
            "skin_depth_mm": round(m.skin_depth_mm, 1),
            "internal_air_mm": round(m.internal_air_mm, 1),
            "outside_image_mm": round(m.outside_image_mm, 1),
            "antenna_outside_image_mm": round(m.antenna_outside_image_mm, 1),
            "pedicle_clearance_mm": _opt(m.pedicle_clearance_mm),
            "pedicle_breach_side": None if m.pedicle_breach_side is None else m.pedicle_breach_side.value,
            "antenna_tip_lps": _r(tip),
            "antenna_canal_distance_mm": _opt(m.antenna_canal_distance_mm),
            "needle": {
                "gauge": self.needle.gauge,
                "outer_diameter_mm": self.needle.outer_diameter_mm,
                "length_mm": self.needle.length_mm,
                "antenna_extension_mm": self.needle.antenna_extension_mm,
            },
            "pullback_mm": list(self.pullback_mm),
            "pedicle_traced": self.pedicle_traced,
        }
        if self.alternative is not None:
            a = self.alternative
            out["alternative"] = {
                "approach": a.approach.value,
                "entry_lps": _r(a.entry_lps),
                "target_lps": _r(a.target_lps),
                "warnings": list(a.warnings),
            }
        return out


@dataclass
class PlanResult:
    """Everything ``osteoplan plan`` prints, and the values to save as a case."""

    targets: list[TargetResult]
    trajectories: list[TrajectoryResult]
    zones: list[AblationZone]
    zone_model: ZoneModel
    margin_mm: float
    volume: Volume
    warnings: list[str] = field(default_factory=list)
    #: heat closer than this to the canal or a foramen was warned (the spec's ``warn_distance_mm``)
    warn_distance_mm: float = DEFAULT_WARN_DISTANCE_MM
    #: a direct route the program chose left the needle tip at least this deep (the spec's
    #: ``min_needle_depth_mm``)
    min_needle_depth_mm: float = HELD_NEEDLE_DEPTH_MM
    #: added to the needle's outer diameter where a pedicle's width was judged (the spec's
    #: ``pedicle_safety_margin_mm``)
    pedicle_safety_margin_mm: float = DEFAULT_PEDICLE_SAFETY_MARGIN_MM

    def to_json(self) -> dict[str, Any]:
        """``targets``, ``trajectories``, ``zones`` (DESIGN.md keys) plus ``ablation``, ``margin_mm``,
        ``min_needle_depth_mm`` and ``warnings``."""
        zm = self.zone_model
        return {
            "targets": [t.to_json() for t in self.targets],
            "trajectories": [t.to_json() for t in self.trajectories],
            "zones": [z.to_json() for z in self.zones],
            "ablation": {
                "profile": zm.profile or None,
                "width_mm": zm.width_mm,
                "length_mm": zm.length_mm,
                "center_behind_tip_mm": zm.center_behind_tip_mm,
                "label": zm.label,
                "unverified": zm.unverified,
                "tissue": zm.tissue or None,
            },
            "margin_mm": self.margin_mm,
            "min_needle_depth_mm": self.min_needle_depth_mm,
            "warnings": list(self.warnings),
        }


def _r(p: Sequence[float] | np.ndarray) -> list[float]:
    return [round(float(v), 2) for v in p]


def _opt(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def _suggestion_json(s: PositionSuggestion) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": s.kind, "text": s.text}
    if s.pullback_mm:
        out["pullback_mm"] = list(s.pullback_mm)
    if s.advance_mm:
        out["advance_mm"] = round(s.advance_mm, 1)
    if s.entry_lps is not None and s.target_lps is not None:
        out["entry_lps"] = _r(s.entry_lps)
        out["target_lps"] = _r(s.target_lps)
    if s.covered_percent is not None:
        out["covered_percent"] = round(s.covered_percent, 1)
    return out
