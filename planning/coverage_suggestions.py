"""Suggested changes to the needles of one target when their zones leave part of it uncovered.

:func:`suggest_positions` works on what the coverage figure measures: the union of the zones of all the
target's needles (:class:`NeedleZones`, one per needle, with its antenna positions). From the target
voxels that union leaves uncovered it proposes, for each needle that can reach them, more antenna
positions pulled back along it or an advance of its tip, and, when voxels stay uncovered, a further
needle parallel to one of them. Every suggestion names the needle it changes (``trajectory``) and
gives the coverage of the whole target once it is applied, the other needles kept as they are
(figures from :class:`planning.coverage_context.CoverageContext`). Nothing is suggested for a remainder
below what the predicted zone resolves (every uncovered target voxel within one voxel of the zones'
surface, ``RESOLVED_DEPTH_VOXELS``); :func:`remainder_note` says so in the operator's words, for the
Coverage dock and the plan's warnings (:func:`suggestions_and_note` gives both from one evaluation).
Positions LPS mm, distances mm, volumes mL. Re-exported from :mod:`planning.coverage`
(:func:`remainder_note` and :func:`suggestions_and_note` are imported from here).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from planning.ablation import AblationZone, min_union_depth_mm, zones_along_trajectory
from planning.coverage_context import CoverageContext, CoverageResult, FloatArray, Point
from planning.trajectory import TrajectoryGeometry
from planning.zone_model import ZoneModel

#: Overlap between successive pull-back zones when suggesting positions (a planning choice, stated).
SUGGESTION_OVERLAP_FRACTION = 0.2
#: A suggestion is offered only when it raises the target's coverage by more than this many percentage
#: points (a planning choice: smaller gains are voxel noise at the zone's edge).
MIN_GAIN_PERCENT = 0.5
#: Suggestions are computed below this coverage (the dock's threshold; a planning choice).
SUGGEST_BELOW_PERCENT = 99.0
#: No position is suggested when every uncovered target voxel lies within this many voxels (of the
#: grid's largest spacing) outside the zones' surface: the remainder is then the zones' edge disagreeing
#: with the target's edge by less than the grid both are counted on can show (a target voxel is counted
#: whole by its centre, and the target errs on the large side by up to half a voxel), which no further
#: position can be aimed at. The zone itself is known far less well than that (vendor figures from ex
#: vivo liver, in vivo correlation r = 0.54, zones smaller in bone; CLINICAL.md "Microwave ablation zone
#: models"), so a one-voxel rim is below what the predicted zone tells apart. A remainder deeper than
#: this anywhere is suggested on, however small its volume: its depth, not its volume, says whether the
#: zone misses it.
RESOLVED_DEPTH_VOXELS = 1.0


@dataclass(frozen=True)
class NeedleZones:
    """One needle of the target as the coverage figure counts it: its line, the antenna beyond its
    tip, the zone size of its device and its antenna positions (pull-backs from the first, mm)."""

    name: str
    geometry: TrajectoryGeometry
    antenna_extension_mm: float
    width_mm: float
    length_mm: float
    center_behind_tip_mm: float
    pullback_mm: tuple[float, ...] = (0.0,)

    @classmethod
    def of(
        cls,
        name: str,
        geometry: TrajectoryGeometry,
        antenna_extension_mm: float,
        zone: ZoneModel,
        pullback_mm: tuple[float, ...],
    ) -> NeedleZones:
        """A needle with the zone size of its device's zone model."""
        return cls(
            name,
            geometry,
            antenna_extension_mm,
            zone.width_mm,
            zone.length_mm,
            zone.center_behind_tip_mm,
            pullback_mm,
        )

    def zones(self) -> list[AblationZone]:
        """The predicted zones of this needle, one per antenna position."""
        return zones_along_trajectory(
            self.geometry,
            antenna_extension_mm=self.antenna_extension_mm,
            width_mm=self.width_mm,
            length_mm=self.length_mm,
            center_behind_tip_mm=self.center_behind_tip_mm,
            pullback_mm=self.pullback_mm,
        )

    def first_centre_lps(self) -> FloatArray:
        """Centre of the zone at the first antenna position (no pull-back)."""
        d = self.geometry.direction_lps
        out: FloatArray = (
            self.geometry.antenna_tip_lps(self.antenna_extension_mm) - self.center_behind_tip_mm * d
        )
        return out

    def max_pullback_mm(self) -> float:
        """The largest pull-back that keeps the zone's centre 1 mm ahead of the entry point."""
        return self.geometry.length_mm + self.antenna_extension_mm - self.center_behind_tip_mm - 1.0


@dataclass(frozen=True)
class PositionSuggestion:
    """A suggested change to cover more of the target, with the coverage it would reach.

    ``kind`` is ``"pullback"`` (the antenna positions ``pullback_mm`` for needle ``trajectory``),
    ``"advance"`` (move that needle's tip ``advance_mm`` further along it) or ``"second_trajectory"``
    (a further needle parallel to ``trajectory``, from ``entry_lps`` to ``target_lps``, its zone centred
    on ``zone_center_lps``). ``covered_percent`` is the whole target's coverage with every needle of the
    target, the change applied.
    """

    kind: str
    text: str
    pullback_mm: tuple[float, ...] = ()
    advance_mm: float = 0.0
    entry_lps: Point | None = None
    target_lps: Point | None = None
    zone_center_lps: Point | None = None
    covered_percent: float | None = None
    trajectory: str = ""


def suggest_positions(
    context: CoverageContext,
    needles: Sequence[NeedleZones],
    *,
    spinal: bool = False,
    reference: str | None = None,
) -> list[PositionSuggestion]:
    """Suggest changes that cover more of the target than all its needles' zones do now (greedy).

    Parameters
    ----------
    context
        The target (lesion + margin) and its structures.
    needles
        Every needle of the target, as the coverage figure counts them.
    spinal
        True for a vertebra: the further-needle suggestion then mentions the opposite pedicle when the
        target has a single needle.
    reference
        The needle to list first and to copy for a further needle (the selected one); default the first.

    Returns
    -------
    list of PositionSuggestion
        Empty when the needles already cover ``SUGGEST_BELOW_PERCENT`` % or more, or when what they leave
        uncovered is below what the zone resolves (:func:`remainder_note`). Per needle that can
        reach uncovered voxels (within half its zone's width of its axis): extra antenna positions,
        spaced by ``(1 - 0.2) * length_mm`` back from its last one, when uncovered voxels lie behind its
        last zone; an advance when they lie beyond its first zone. Then a parallel needle whose zone is
        centred on the centroid of what the needles leave uncovered. Each is kept only when it raises
        the coverage by more than ``MIN_GAIN_PERCENT``. A starting point for the operator, not an
        optimum.
    """
    return suggestions_and_note(context, needles, spinal=spinal, reference=reference)[0]


def suggestions_and_note(
    context: CoverageContext,
    needles: Sequence[NeedleZones],
    *,
    spinal: bool = False,
    reference: str | None = None,
) -> tuple[list[PositionSuggestion], str | None]:
    """:func:`suggest_positions` and :func:`remainder_note` from one evaluation of the needles' zones
    (the window and ``osteoplan plan`` show both). Parameters as :func:`suggest_positions`; the note is
    None whenever a suggestion is made."""
    if not needles:
        return [], None
    order = sorted(needles, key=lambda n: n.name != reference) if reference else list(needles)
    zones = _all_zones(order)
    base = context.evaluate(zones)
    if base.uncovered_ml <= 0 or base.covered_percent >= SUGGEST_BELOW_PERCENT:
        return [], None
    unc_lps = _uncovered_lps(context, base)
    note = _unresolved(context, zones, base, unc_lps)
    if note is not None:
        return [], note
    out: list[PositionSuggestion] = []
    for k in range(len(order)):
        out += _along_needle(context, order, k, unc_lps, base)
    further = _further_needle(context, order, unc_lps, base, spinal=spinal)
    if further is not None:
        out.append(further)
    return out, None


def remainder_note(context: CoverageContext, needles: Sequence[NeedleZones]) -> str | None:
    """Why no position is suggested for what the needles leave uncovered, when the reason is that it is
    below what the predicted zone resolves; None otherwise.

    Parameters
    ----------
    context
        The target (lesion + margin) and its structures.
    needles
        Every needle of the target, as the coverage figure counts them.

    Returns
    -------
    str or None
        For a coverage under ``SUGGEST_BELOW_PERCENT`` % whose uncovered target voxels all lie within
        ``RESOLVED_DEPTH_VOXELS`` voxels (the grid's largest spacing) outside the zones' surface, e.g.
        "0.03 mL uncovered: below what the zone model resolves (all of it within 0.8 mm of the predicted
        zones' edge, not more than one voxel, 1.0 mm); no further position suggested"; None when nothing is
        uncovered, the coverage is ``SUGGEST_BELOW_PERCENT`` % or more, or the remainder lies deeper.
    """
    return suggestions_and_note(context, needles)[1]


def _uncovered_lps(context: CoverageContext, base: CoverageResult) -> FloatArray:
    m = context.index_to_lps
    out: FloatArray = base.uncovered.voxel_indices().astype(np.float64) @ m[:3, :3].T + m[:3, 3]
    return out


def _unresolved(
    context: CoverageContext, zones: Sequence[AblationZone], base: CoverageResult, unc_lps: FloatArray
) -> str | None:
    """The note of :func:`remainder_note` when the uncovered voxels ``unc_lps`` all lie within
    ``RESOLVED_DEPTH_VOXELS`` voxels outside the zones' surface, else None."""
    limit_mm = RESOLVED_DEPTH_VOXELS * max(context.spacing_mm)
    deepest_mm = max(0.0, -min_union_depth_mm(zones, unc_lps)[0])
    if deepest_mm > limit_mm:
        return None
    return (
        f"{base.uncovered_ml:.2f} mL uncovered: below what the zone model resolves (all of it within "
        f"{deepest_mm:.1f} mm of the predicted zones' edge, not more than one voxel, {limit_mm:.1f} mm); no "
        "further position suggested"
    )


def _all_zones(needles: Sequence[NeedleZones]) -> list[AblationZone]:
    out: list[AblationZone] = []
    for n in needles:
        out += n.zones()
    return out


def _with(needles: Sequence[NeedleZones], k: int, changed: NeedleZones) -> list[AblationZone]:
    """The zones of every needle, needle ``k`` replaced by ``changed``."""
    return _all_zones([changed if i == k else n for i, n in enumerate(needles)])


def _along_needle(
    context: CoverageContext,
    needles: Sequence[NeedleZones],
    k: int,
    unc_lps: FloatArray,
    base: CoverageResult,
) -> list[PositionSuggestion]:
    """Pull-back and advance suggestions for needle ``k``, from the uncovered voxels it can reach."""
    n = needles[k]
    d = n.geometry.direction_lps
    rel = unc_lps - n.first_centre_lps()
    s = rel @ d  # along the needle, + towards the tip
    across = np.linalg.norm(rel - np.outer(s, d), axis=1)
    reach = across <= n.width_mm / 2.0
    if not reach.any():
        return []
    s = s[reach]
    half = n.length_mm / 2.0
    out: list[PositionSuggestion] = []
    last = max(n.pullback_mm)
    behind = -float(s.min()) - last - half  # beyond the back end of the last zone
    if behind > 0:
        step = (1.0 - SUGGESTION_OVERLAP_FRACTION) * n.length_mm
        extra = [round(last + step * (i + 1), 1) for i in range(math.ceil(behind / step))]
        extra = [p for p in extra if p <= n.max_pullback_mm()]
        if extra:
            positions = tuple(n.pullback_mm) + tuple(extra)
            res = context.evaluate(_with(needles, k, replace(n, pullback_mm=positions)))
            if res.covered_percent > base.covered_percent + MIN_GAIN_PERCENT:
                out.append(
                    PositionSuggestion(
                        "pullback",
                        f"{n.name}: ablate at {len(positions)} antenna positions, pulled back by "
                        f"{', '.join(f'{p:g}' for p in positions)} mm: uncovered target extends "
                        f"{behind:.1f} mm behind its last zone",
                        pullback_mm=positions,
                        covered_percent=res.covered_percent,
                        trajectory=n.name,
                    )
                )
    first = min(n.pullback_mm)
    ahead = float(s.max()) + first - half  # beyond the front end of the first zone
    if ahead > 0:
        tip = np.asarray(n.geometry.target_lps) + ahead * d
        moved = TrajectoryGeometry(n.geometry.entry_lps, (float(tip[0]), float(tip[1]), float(tip[2])))
        res = context.evaluate(_with(needles, k, replace(n, geometry=moved)))
        if res.covered_percent > base.covered_percent + MIN_GAIN_PERCENT:
            out.append(
                PositionSuggestion(
                    "advance",
                    f"{n.name}: uncovered target extends {ahead:.1f} mm beyond the zone ahead of its "
                    f"antenna tip: advance it {ahead:.1f} mm (check what lies ahead) or move its target",
                    advance_mm=ahead,
                    covered_percent=res.covered_percent,
                    trajectory=n.name,
                )
            )
    return out


def _further_needle(
    context: CoverageContext,
    needles: Sequence[NeedleZones],
    unc_lps: FloatArray,
    base: CoverageResult,
    *,
    spinal: bool,
) -> PositionSuggestion | None:
    """A needle parallel to the first of ``needles``, its zone centred on the uncovered voxels."""
    ref = needles[0]
    d = ref.geometry.direction_lps
    centre = unc_lps.mean(axis=0)
    needle_tip = centre + ref.center_behind_tip_mm * d - ref.antenna_extension_mm * d
    entry = needle_tip - ref.geometry.length_mm * d
    geometry = TrajectoryGeometry(
        (float(entry[0]), float(entry[1]), float(entry[2])),
        (float(needle_tip[0]), float(needle_tip[1]), float(needle_tip[2])),
    )
    added = replace(ref, name="", geometry=geometry, pullback_mm=(0.0,))
    res = context.evaluate(_all_zones([*needles, added]))
    if res.covered_percent <= base.covered_percent + MIN_GAIN_PERCENT:
        return None
    count = "its needle" if len(needles) == 1 else f"its {len(needles)} needles"
    hint = "; for a vertebra prefer the opposite pedicle" if spinal and len(needles) == 1 else ""
    return PositionSuggestion(
        "second_trajectory",
        f"{base.uncovered_ml:.2f} mL of the target stays uncovered by the zones of {count}: a further "
        f"needle, parallel to {ref.name}, with its zone centred on the uncovered part (check its path{hint})",
        entry_lps=geometry.entry_lps,
        target_lps=geometry.target_lps,
        zone_center_lps=(float(centre[0]), float(centre[1]), float(centre[2])),
        covered_percent=res.covered_percent,
        trajectory=ref.name,
    )
