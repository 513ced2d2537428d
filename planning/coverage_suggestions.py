"""Suggested antenna positions for a needle whose zones leave part of the target uncovered.

:func:`suggest_positions` proposes pull-backs along the needle, notes when the target extends beyond
the zone ahead of the tip, and proposes a second, parallel needle when target voxels stay uncovered,
each with the coverage it would reach (figures from :class:`planning.coverage_context.CoverageContext`).
Positions LPS mm, distances mm, volumes mL. Re-exported from :mod:`planning.coverage`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planning.ablation import zones_along_trajectory
from planning.coverage_context import CoverageContext, Point
from planning.trajectory import TrajectoryGeometry

#: Overlap between successive pull-back zones when suggesting positions (a planning choice, stated).
SUGGESTION_OVERLAP_FRACTION = 0.2


@dataclass(frozen=True)
class PositionSuggestion:
    """A suggested change to cover more of the target, with the coverage it would reach.

    ``kind`` is ``"pullback"`` (extra antenna positions along the same needle, ``pullback_mm``),
    ``"advance"`` (the lesion extends beyond the zone ahead of the tip by ``advance_mm``) or
    ``"second_trajectory"`` (a parallel needle whose zone centre lies on ``zone_center_lps``).
    """

    kind: str
    text: str
    pullback_mm: tuple[float, ...] = ()
    advance_mm: float = 0.0
    entry_lps: Point | None = None
    target_lps: Point | None = None
    zone_center_lps: Point | None = None
    covered_percent: float | None = None


def suggest_positions(
    context: CoverageContext,
    geometry: TrajectoryGeometry,
    *,
    antenna_extension_mm: float,
    width_mm: float,
    length_mm: float,
    center_behind_tip_mm: float,
) -> list[PositionSuggestion]:
    """Suggest antenna pull-backs and, if needed, a second parallel trajectory (a greedy heuristic).

    Along the needle, positions are spaced by ``(1 - 0.2) * length_mm`` (20 % overlap) from the first
    zone back to the rear edge of the target; across it, when target voxels remain uncovered, a
    parallel needle is proposed whose zone is centred on the centroid of what is left. The result
    reports the coverage each suggestion reaches; it is a starting point for the operator, not an
    optimum.
    """
    d = geometry.direction_lps
    tip = geometry.antenna_tip_lps(antenna_extension_mm)
    c0 = tip - center_behind_tip_mm * d
    s = (context.target_points_lps - c0) @ d  # along the needle, + towards the tip
    half = length_mm / 2.0
    out: list[PositionSuggestion] = []
    behind = -float(s.min()) - half
    pullbacks = [0.0]
    if behind > 0:
        step = (1.0 - SUGGESTION_OVERLAP_FRACTION) * length_mm
        count = math.ceil(behind / step)
        pullbacks += [round(step * (i + 1), 1) for i in range(count)]
        limit = geometry.length_mm + antenna_extension_mm - center_behind_tip_mm - 1.0
        pullbacks = [p for p in pullbacks if p <= limit]
    zones = zones_along_trajectory(
        geometry,
        antenna_extension_mm=antenna_extension_mm,
        width_mm=width_mm,
        length_mm=length_mm,
        center_behind_tip_mm=center_behind_tip_mm,
        pullback_mm=pullbacks,
    )
    result = context.evaluate(zones)
    if len(pullbacks) > 1:
        out.append(
            PositionSuggestion(
                "pullback",
                f"ablate at {len(pullbacks)} antenna positions, pulled back by "
                f"{', '.join(f'{p:g}' for p in pullbacks)} mm: the target extends {behind:.1f} mm "
                "behind the first zone",
                pullback_mm=tuple(pullbacks),
                covered_percent=result.covered_percent,
            )
        )
    ahead = float(s.max()) - half
    if ahead > 0:
        out.append(
            PositionSuggestion(
                "advance",
                f"the target extends {ahead:.1f} mm beyond the zone ahead of the antenna tip: advance "
                "the needle or move its target",
                advance_mm=ahead,
            )
        )
    if result.uncovered_ml > 0 and result.covered_percent < 99.0:
        unc = result.uncovered.voxel_indices().astype(np.float64)
        centre = unc.mean(axis=0) @ context.index_to_lps[:3, :3].T + context.index_to_lps[:3, 3]
        a_tip = centre + center_behind_tip_mm * d
        needle_tip = a_tip - antenna_extension_mm * d
        entry = needle_tip - geometry.length_mm * d
        second = TrajectoryGeometry(
            (float(entry[0]), float(entry[1]), float(entry[2])),
            (float(needle_tip[0]), float(needle_tip[1]), float(needle_tip[2])),
        )
        both = zones + zones_along_trajectory(
            second,
            antenna_extension_mm=antenna_extension_mm,
            width_mm=width_mm,
            length_mm=length_mm,
            center_behind_tip_mm=center_behind_tip_mm,
        )
        res2 = context.evaluate(both)
        if res2.covered_percent > result.covered_percent + 0.5:
            out.append(
                PositionSuggestion(
                    "second_trajectory",
                    f"{result.uncovered_ml:.2f} mL of the target stays uncovered: a second needle, parallel "
                    "to this one, with its zone centred on the uncovered part (check its path; for a "
                    "vertebra prefer the opposite pedicle)",
                    entry_lps=second.entry_lps,
                    target_lps=second.target_lps,
                    zone_center_lps=(float(centre[0]), float(centre[1]), float(centre[2])),
                    covered_percent=res2.covered_percent,
                )
            )
    return out
