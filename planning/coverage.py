"""Coverage of a lesion (plus margin) by predicted ablation zones: the one place to import it from.

Frames and units: LPS mm for positions, mm for distances, mL for volumes; masks on a volume's
``[slice, row, col]`` grid placed by its ``index_to_lps`` matrix.

The work is split by concept; every public name is re-exported here (``__all__``):

- :mod:`planning.coverage_context`: the figures for one lesion and one set of zones (covered share,
  smallest margin, distances to the canal, foramina and posterior wall, warnings) and their
  definitions -- :class:`CoverageContext`, :class:`CoverageResult`, :class:`StructureDistance`, the
  defaults ``DEFAULT_MARGIN_MM`` and ``DEFAULT_WARN_DISTANCE_MM``, ``THERMAL_PROTECTION_ADVICE``;
- :mod:`planning.coverage_suggestions`: antenna pull-backs, advances and a further needle that would
  cover more than all the target's needles do (:func:`suggest_positions`, :class:`NeedleZones`,
  :class:`PositionSuggestion`);
- :mod:`planning.target_evaluator`: one target re-evaluated while the operator drags needles
  (:class:`TargetEvaluator`, :class:`NeedlePlacement`, :class:`ZoneModel`, :class:`TargetEvaluation`).

This module keeps the one-shot :func:`coverage`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy.typing as npt

from imaging.mask import Mask
from planning.ablation import AblationZone
from planning.coverage_context import (
    DEFAULT_MARGIN_MM,
    STRUCTURE_LABELS,
    THERMAL_PROTECTION_ADVICE,
    CoverageContext,
    CoverageResult,
    FloatArray,
    Point,
    StructureDistance,
    figure_above,
    figure_below,
)
from planning.coverage_suggestions import (
    SUGGESTION_OVERLAP_FRACTION,
    NeedleZones,
    PositionSuggestion,
    suggest_positions,
)
from planning.model_base import DEFAULT_WARN_DISTANCE_MM
from planning.target_evaluator import NeedlePlacement, TargetEvaluation, TargetEvaluator, ZoneModel

__all__ = [
    "DEFAULT_MARGIN_MM",
    "DEFAULT_WARN_DISTANCE_MM",
    "STRUCTURE_LABELS",
    "SUGGESTION_OVERLAP_FRACTION",
    "THERMAL_PROTECTION_ADVICE",
    "CoverageContext",
    "CoverageResult",
    "FloatArray",
    "NeedlePlacement",
    "NeedleZones",
    "Point",
    "PositionSuggestion",
    "StructureDistance",
    "TargetEvaluation",
    "TargetEvaluator",
    "ZoneModel",
    "coverage",
    "figure_above",
    "figure_below",
    "suggest_positions",
]


def coverage(
    lesion: Mask,
    zones: Sequence[AblationZone],
    index_to_lps: npt.ArrayLike,
    *,
    margin_mm: float = DEFAULT_MARGIN_MM,
    structures: Mapping[str, Mask] | None = None,
    warn_distance_mm: float = DEFAULT_WARN_DISTANCE_MM,
) -> CoverageResult:
    """One-shot :class:`CoverageContext` + :meth:`CoverageContext.evaluate` (see there)."""
    ctx = CoverageContext(
        lesion, index_to_lps, margin_mm=margin_mm, structures=structures, warn_distance_mm=warn_distance_mm
    )
    return ctx.evaluate(zones)
