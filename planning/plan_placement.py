"""Placing the needles a plan spec's trajectory asks for, and measuring each placed needle.

``place_spec_trajectory`` turns one ``trajectories[i]`` object into proposals (points given, a named
approach, direct with ``skin_lps``, or ``transpedicular-bilateral``); a transpedicular side whose pedicle
was not traced gets the route built from the body and canal, labelled as what it is. ``trajectory_result``
measures one proposal with the target's evaluator into a :class:`planning.plan_results.TrajectoryResult`.
Positions LPS mm (+x patient left, +y posterior, +z superior), widths mm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from planning.antenna_body import is_antenna_beyond_body_warning
from planning.coverage import NeedlePlacement, TargetEvaluator
from planning.direct_route import choose_direct_skin_point
from planning.errors import PlanValidationError
from planning.model import DEFAULT_PEDICLE_SAFETY_MARGIN_MM, HELD_NEEDLE_DEPTH_MM, Approach
from planning.needles import Needle
from planning.pedicle_fit import fit_warning
from planning.plan_results import TargetResult, TrajectoryResult
from planning.plan_spec import missing_key, spec_approach, spec_point
from planning.proposals import (
    PedicleNotFoundError,
    Proposal,
    approach_family,
    approach_of,
    approach_side,
    propose_alternative,
    propose_bilateral,
    propose_direct,
    propose_side,
    propose_transpedicular,
)
from planning.trajectory import TrajectoryGeometry
from planning.zone_model import ZoneModel


def place_spec_trajectory(  # noqa: PLR0917 - a helper of run_plan
    volume: Volume,
    tr: TargetResult,
    tj: Mapping[str, Any],
    where: str,
    needle: Needle,
    safety: float,
    zone: ZoneModel | None = None,
    *,
    min_needle_depth_mm: float = HELD_NEEDLE_DEPTH_MM,
) -> list[tuple[Proposal, Approach]]:
    """The proposal(s) a trajectory spec asks for, each with the approach to label it with; a direct
    proposal centres ``zone`` (the plan's zone model) on the lesion, and a direct route the program
    chooses leaves the needle tip at least ``min_needle_depth_mm`` under the skin (the spec's key, the
    case setting :attr:`planning.model.PlanSettings.min_needle_depth_mm`)."""
    od = needle.outer_diameter_mm
    ext = needle.antenna_extension_mm
    raw = tj.get("approach")
    if "entry_lps" in tj or "target_lps" in tj:
        entry, target = spec_point(tj, "entry_lps", where), spec_point(tj, "target_lps", where)
        try:
            geometry = TrajectoryGeometry(entry, target)
        except ValueError:  # the same point twice: reached the command line as an internal error (QA s31 D)
            raise PlanValidationError(
                f"{where}.target_lps", list(target), 'a point other than "entry_lps" (a needle has a length)'
            ) from None
        _refuse_tip_outside(volume, target, f"{where}.target_lps")
        if raw is not None:
            approach = spec_approach(raw, where)
            label_note: tuple[str, ...] = ()
        else:
            approach = _infer_approach(tr, geometry)
            label_note = (f"approach not given: labelled {approach.value} from the geometry",)
        return [(Proposal(approach, geometry, _pedicle_width(tr, approach), warnings=label_note), approach)]
    if raw is None:
        raise missing_key(tj, "approach", where, 'an approach, or "entry_lps" and "target_lps"')
    if raw == "transpedicular-bilateral":
        if tr.anatomy is None:
            raise PlanValidationError(
                f"{where}.approach", raw, "a target with vertebra anatomy (vertebra_lps)"
            )
        return _bilateral(volume, tr, tr.anatomy, needle, safety)
    approach = spec_approach(raw, where)
    if approach is Approach.DIRECT:
        direct: dict[str, Any] = {"outer_diameter_mm": od, "antenna_extension_mm": ext, "zone": zone}
        try:
            if "skin_lps" in tj:
                skin = spec_point(tj, "skin_lps", where)
                return [(propose_direct(volume, tr.lesion.mask, skin, **direct), approach)]
            chosen, note = choose_direct_skin_point(
                volume,
                tr.lesion.mask,
                outer_diameter_mm=od,
                antenna_extension_mm=ext,
                zone=zone,
                min_needle_depth_mm=min_needle_depth_mm,
            )
        except PlanValidationError as exc:
            if exc.field != "skin_lps":
                raise
            # named by its place in the spec, as every other key (was "skin_lps" alone, QA s32 D)
            raise PlanValidationError(f"{where}.skin_lps", exc.value, exc.limit) from None
        proposal = propose_direct(volume, tr.lesion.mask, chosen, **direct)
        return [(replace(proposal, warnings=(note, *proposal.warnings)), approach)]
    if tr.anatomy is None:
        raise PlanValidationError(
            f"{where}.approach",
            approach.value,
            "direct, or entry_lps/target_lps: this target has no vertebra anatomy "
            "(give vertebra_lps, or the anatomy step is not available)",
        )
    if approach_family(approach) != "transpedicular":
        alt = propose_alternative(
            volume,
            tr.anatomy,
            approach,
            outer_diameter_mm=od,
            safety_margin_mm=safety,
            antenna_extension_mm=ext,
        )
        return [(alt, approach)]
    side = approach_side(approach)
    if side is None:  # pragma: no cover - every transpedicular approach has a side
        raise PlanValidationError(f"{where}.approach", approach.value, "a side")
    if side not in tr.anatomy.pedicles and (not tr.anatomy.body.any() or not tr.anatomy.canal.any()):
        raise PedicleNotFoundError(side)
    proposal = propose_side(
        volume, tr.anatomy, side, outer_diameter_mm=od, safety_margin_mm=safety, antenna_extension_mm=ext
    )
    if not proposal.pedicle_traced:
        # no pedicle to go through: the route built from the body and canal, labelled as what it is
        return [(_asked_for(proposal, approach.value), proposal.approach)]
    return [(proposal, approach)]


def _refuse_tip_outside(volume: Volume, tip_lps: tuple[float, float, float], field: str) -> None:
    """Refuse a needle tip given outside the scan: nothing it reaches can be measured (the base planned it,
    coverage 0 %, with only a warning that the needle lay outside the image; QA s32 D)."""
    if volume.contains_index(volume.lps_to_index_points(tip_lps)):
        return
    lo, hi = volume.bounds_lps()
    span = ", ".join(f"{axis} {a:.1f}..{b:.1f}" for axis, a, b in zip("xyz", lo, hi, strict=True))
    raise PlanValidationError(field, list(tip_lps), f"a needle tip inside the scan, which spans {span} mm")


def _bilateral(
    volume: Volume, tr: TargetResult, anatomy: VertebraAnatomy, needle: Needle, safety: float
) -> list[tuple[Proposal, Approach]]:
    """Both sides (:func:`planning.proposals.propose_bilateral`): a side whose pedicle was not traced
    gets the route built from the body and canal, labelled with its own approach. When that route
    cannot be built (no body or canal mask) the traced side is still given, with the reason."""
    asked = "transpedicular-bilateral"
    kwargs: dict[str, Any] = {
        "outer_diameter_mm": needle.outer_diameter_mm,
        "safety_margin_mm": safety,
        "antenna_extension_mm": needle.antenna_extension_mm,
    }
    try:
        proposals = propose_bilateral(volume, anatomy, **kwargs)
    except PlanValidationError as exc:
        traced = [s for s in (Side.LEFT, Side.RIGHT) if s in anatomy.pedicles]
        if not traced:
            raise
        for s in (Side.LEFT, Side.RIGHT):
            if s not in anatomy.pedicles:
                tr.warnings.append(
                    f"{asked}: no route on the {s.value} side, whose pedicle was not traced ({exc})"
                )
        proposals = [propose_transpedicular(volume, anatomy, s, **kwargs) for s in traced]
    return [(p, p.approach) if p.pedicle_traced else (_asked_for(p, asked), p.approach) for p in proposals]


def _asked_for(untraced: Proposal, asked: str) -> Proposal:
    """An untraced-side route with a note saying which approach the spec asked for."""
    note = (
        f"{asked} asked for, but the {untraced.approach.value.split('-')[-1]} pedicle was not traced: "
        f"given as {untraced.approach.value}"
    )
    return replace(untraced, warnings=(note, *untraced.warnings))


def _infer_approach(tr: TargetResult, geometry: TrajectoryGeometry) -> Approach:
    if tr.anatomy is None:
        return Approach.DIRECT
    side = Side.LEFT if geometry.entry_lps[0] > tr.anatomy.body_centroid_lps[0] else Side.RIGHT
    axis = tr.anatomy.pedicles.get(side)
    if axis is None:
        return approach_of("parapedicular", side)
    # through the pedicle when the needle passes within half its width of the isthmus
    p = np.asarray(axis.isthmus_lps) - np.asarray(geometry.entry_lps)
    d = geometry.direction_lps
    offset = float(np.linalg.norm(p - (p @ d) * d))
    family = "transpedicular" if offset <= axis.min_width_mm / 2.0 else "parapedicular"
    return approach_of(family, side)


def _pedicle_width(tr: TargetResult, approach: Approach) -> float | None:
    side = approach_side(approach)
    if tr.anatomy is None or side is None or side not in tr.anatomy.pedicles:
        return None
    return tr.anatomy.pedicles[side].min_width_mm


def trajectory_result(  # noqa: PLR0917 - a helper of run_plan
    evaluator: TargetEvaluator,
    tr: TargetResult,
    proposal: Proposal,
    approach: Approach,
    needle: Needle,
    pullbacks: tuple[float, ...],
    safety_margin_mm: float = DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
) -> TrajectoryResult:
    """One needle of the plan, measured, with its warnings (``safety_margin_mm``: the plan's pedicle
    safety margin, added to the needle's outer diameter)."""
    side = approach_side(approach)
    axis = tr.anatomy.pedicles.get(side) if tr.anatomy is not None and side is not None else None
    through_pedicle = axis is not None and approach_family(approach) == "transpedicular"
    placement = NeedlePlacement(proposal.geometry, needle, pullbacks, axis if through_pedicle else None)
    metrics = evaluator.measure(placement)
    canal = evaluator.canal_field
    # the needle as placed was checked against the body: its antenna sentence replaces the proposal's
    body_checked = tr.anatomy is not None and tr.anatomy.body.any()
    warnings = [
        w for w in proposal.warnings if not (body_checked and is_antenna_beyond_body_warning(w))
    ] + list(metrics.warnings)
    if canal is None and tr.anatomy is None and approach is not Approach.DIRECT:
        warnings.append("no vertebra anatomy: distance to the canal not computed")
    width = (
        proposal.pedicle_min_width_mm
        if proposal.pedicle_min_width_mm is not None
        else _pedicle_width(tr, approach)
    )
    uncertainty = _width_uncertainty(tr, approach, width)
    if through_pedicle and width is not None and proposal.alternative is None:
        # the dock's needle readout says the same (amber / red): planning.pedicle_fit
        fit = fit_warning(width, uncertainty, needle.outer_diameter_mm, safety_margin_mm)
        if fit is not None and not _said_narrow(proposal, width, needle, safety_margin_mm):
            warnings.append(fit)
    return TrajectoryResult(
        target=tr.name,
        approach=approach,
        geometry=proposal.geometry,
        needle=needle,
        pullback_mm=pullbacks,
        metrics=metrics,
        pedicle_min_width_mm=width,
        pedicle_min_width_uncertainty_mm=uncertainty,
        alternative=proposal.alternative,
        warnings=warnings,
        pedicle_traced=None
        if tr.anatomy is None or side is None
        else proposal.pedicle_traced and side in tr.anatomy.pedicles,
    )


def _width_uncertainty(tr: TargetResult, approach: Approach, width: float | None) -> float | None:
    """The +- mm of the pedicle width ``width`` when it is that of the approach side's traced axis."""
    side = approach_side(approach)
    if width is None or tr.anatomy is None or side is None:
        return None
    axis = tr.anatomy.pedicles.get(side)
    return axis.min_width_uncertainty_mm if axis is not None and axis.min_width_mm == width else None


def _said_narrow(proposal: Proposal, width: float, needle: Needle, safety_margin_mm: float) -> bool:
    """The proposal already says the pedicle is narrow (width under the needle + margin, yet clear of
    the needle itself, :mod:`planning.transpedicular`): its words stand, not a second sentence."""
    return proposal.narrow and needle.outer_diameter_mm <= width < needle.outer_diameter_mm + safety_margin_mm
