"""A whole plan from a spec, without the GUI: what ``osteoplan plan`` runs.

Frames and units: LPS mm for positions (+x patient left, +y posterior, +z superior), mm, degrees,
mL. The spec is the JSON object of DESIGN.md ("Command line", ``osteoplan plan``)::

    {"targets": [{"name": "L1", "lesion_seed_lps": [x, y, z], "vertebra_lps": [x, y, z]}],
     "trajectories": [{"target": "L1", "approach": "transpedicular-left"},
                      {"target": "L1", "entry_lps": [x, y, z], "target_lps": [x, y, z]}],
     "needle": {"gauge": 13, "antenna_extension_mm": 15},
     "ablation": {"profile": "<name>"} or {"width_mm": 35, "length_mm": 37, "center_behind_tip_mm": 11.5},
     "positions_per_trajectory": 1,
     "margin_mm": 2}

Further keys this runner accepts (all optional): ``needle.length_mm``; ``ablation.center_behind_tip_mm``
with a profile that does not state it (the ECO-100A1 rows); ``pullback_mm`` (a list of pull-back
offsets, instead of ``positions_per_trajectory``, which spaces positions by 80 % of the zone length);
per trajectory ``pullback_mm`` and, for ``direct``, ``skin_lps`` (the needle then runs through the
lesion centroid to its far edge; without it the program chooses the skin point and says so); approach
``transpedicular-bilateral`` (both sides); ``pedicle_safety_margin_mm`` (1, 0-5; saved into the case's
settings, where the window's Needles dock shows and edits it); ``warn_distance_mm`` (5);
``min_needle_depth_mm`` (10, 0-150: a direct route the program chooses leaves the needle tip at least
this far under the skin so that the tissue holds the needle, as the window's Needles dock does with the
case setting of that name; saved into the case's settings); per target ``level`` (a level makes the
target spinal for cement and scores even without ``vertebra_lps``), ``reference_bone_hu`` (the normal
bone the lesion is judged against, as ``osteoplan segment --reference-hu``), ``choices`` (passed to the
cement / risk / scores step) and, for a target outside the spine, ``bone`` (``"long bone"``,
``"acetabulum"`` or ``"rib or other bone"``, as the window's Scores dock states it: the scores follow it,
Mirels for a long bone, Harrington for the acetabulum, none for a rib or other bone,
:mod:`planning.bone_scores`; saved with the target; refused on a target with ``vertebra_lps`` or
``level``, which is scored with SINS).
A trajectory given by points without an approach is labelled from its geometry (direct for an
extraspinal target).

A key the plan never read (a typo such as ``"margn_mm"``, a target's ``"vertebra_lsp"``, or a valid key
that does not apply, such as ``skin_lps`` on a transpedicular needle) is not refused, as DESIGN.md lets
keys be added, but named first in the plan's ``warnings``: the spec is wrapped in a
:class:`planning.spec_reads.ReadRecorder` that notes each key the readers take, and
:func:`planning.plan_spec.unused_key_warnings` words the rest (QA s31 D: the base said nothing).

A transpedicular approach (one side or ``transpedicular-bilateral``) on a side whose pedicle the anatomy
did not trace gets the route built from the body and canal (``planning.proposals.propose_untraced_side``:
transcostovertebral at a thoracic level, parapedicular otherwise), labelled with that approach; its
``warnings`` say which approach was asked for and ask for the operator's check, and the trajectory's
``pedicle_traced`` (an added key, beside DESIGN.md's) is false.

Layout: this module runs the plan (:func:`run_plan`) and is the import point; the spec's values are read
and checked in :mod:`planning.plan_spec`, needles placed and measured in :mod:`planning.plan_placement`,
the results and their JSON are :mod:`planning.plan_results`, and the case is built and saved in
:mod:`planning.plan_case`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from imaging.lesion_errors import NoLesionAtSeedError
from imaging.vertebra_foramina import with_foramina
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from planning.ablation import AblationZone, voxelise_zones
from planning.bone_scores import scores_for_bone
from planning.coverage import (
    DEFAULT_MARGIN_MM,
    DEFAULT_WARN_DISTANCE_MM,
    NeedleZones,
    TargetEvaluator,
)
from planning.coverage_suggestions import suggestions_and_note
from planning.errors import PlanningError, PlanValidationError
from planning.model import (
    DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
    HELD_NEEDLE_DEPTH_MM,
    MAX_NEEDLE_DEPTH_MM,
    MAX_PEDICLE_SAFETY_MARGIN_MM,
)
from planning.plan_case import build_case, foramina_mask, save_plan_case
from planning.plan_placement import place_spec_trajectory, trajectory_result
from planning.plan_results import PlanResult, TargetResult, TrajectoryResult
from planning.plan_spec import (
    Point,
    missing_key,
    spec_bone,
    spec_choices,
    spec_level,
    spec_name,
    spec_needle,
    spec_number,
    spec_point,
    spec_pullbacks,
    spec_zone_model,
    unused_key_warnings,
)
from planning.spec_reads import ReadRecorder

Progress = Callable[[float], None]


class PlanCancelledError(PlanningError):
    """The operator cancelled the plan run; nothing was saved."""

    def __init__(self) -> None:
        super().__init__("plan cancelled")


def run_plan(
    volume: Volume,
    spec: Mapping[str, Any],
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> PlanResult:
    """Segment each target, place the needles and zones, and measure coverage, distances and risk.

    Parameters
    ----------
    volume
        The planning CT (HU).
    spec
        The plan (see the module docstring).
    progress
        Called with the fraction done (0..1).
    cancel
        When set, stops with :class:`PlanCancelledError`.

    Returns
    -------
    PlanResult
        Per target, per trajectory and per zone results.

    Raises
    ------
    PlanValidationError
        For a missing or malformed spec value (the message names it).
    PlanningError, ImagingError
        When a lesion or vertebra cannot be found at the given point.
    """
    _check_cancel(cancel)
    if not isinstance(spec, Mapping):
        raise PlanValidationError("spec", type(spec).__name__, "a JSON object")
    # the readers below note each key they take: the keys none took are named in the plan's warnings
    recorded = ReadRecorder(spec)
    spec = recorded
    margin = spec_number(spec, "margin_mm", DEFAULT_MARGIN_MM, 0.0, 20.0)
    safety = spec_number(
        spec, "pedicle_safety_margin_mm", DEFAULT_PEDICLE_SAFETY_MARGIN_MM, 0.0, MAX_PEDICLE_SAFETY_MARGIN_MM
    )
    warn_mm = spec_number(spec, "warn_distance_mm", DEFAULT_WARN_DISTANCE_MM, 0.0, 50.0)
    min_depth_mm = spec_number(spec, "min_needle_depth_mm", HELD_NEEDLE_DEPTH_MM, 0.0, MAX_NEEDLE_DEPTH_MM)
    needle = spec_needle(spec.get("needle", {}))
    zone_model = spec_zone_model(spec.get("ablation"))
    default_pullbacks = spec_pullbacks(spec, zone_model, "")
    target_specs = spec.get("targets")
    if target_specs is None:
        raise missing_key(spec, "targets", "", "a non-empty list")
    if not isinstance(target_specs, list) or not target_specs:
        raise PlanValidationError("targets", target_specs, "a non-empty list")
    traj_specs = spec.get("trajectories", [])
    if not isinstance(traj_specs, list):
        raise PlanValidationError("trajectories", traj_specs, "a list")
    plan_warnings = needle.warnings()
    if zone_model.unverified:
        plan_warnings.append(f"zone figures are unverified: predicted, from {zone_model.cited_source}")
    if zone_model.tissue_warning is not None:  # the base said nothing (QA s32 D)
        plan_warnings.append(zone_model.tissue_warning)
    steps = len(target_specs) * 2 + len(traj_specs) + 1
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(min(1.0, done / steps))
        _check_cancel(cancel)

    # targets: anatomy first (its posterior wall informs the lesion), then the lesion
    targets: dict[str, TargetResult] = {}
    evaluators: dict[str, TargetEvaluator] = {}
    for i, ts in enumerate(target_specs):
        if not isinstance(ts, Mapping):
            raise PlanValidationError(f"targets[{i}]", ts, "a JSON object")
        name = spec_name(ts, f"targets[{i}]")
        if name in targets:
            raise PlanValidationError(f"targets[{i}].name", name, "a name not used by another target")
        seed = spec_point(ts, "lesion_seed_lps", f"targets[{i}]")
        bone = spec_bone(ts, f"targets[{i}]")
        spec_choices(ts, f"targets[{i}]")  # checked before the work; read again with the scores
        level_given = spec_level(ts, f"targets[{i}]")
        anatomy = None
        t_warn: list[str] = []
        if ts.get("vertebra_lps") is not None:
            click = spec_point(ts, "vertebra_lps", f"targets[{i}]")
            anatomy = _find_vertebra(volume, click, level_given, cancel)
            if anatomy is None:
                t_warn.append("vertebra anatomy is not available in this build: canal distances not computed")
            else:
                anatomy = with_foramina(volume, anatomy)
                t_warn += _foramina_warnings(anatomy)
        tick()
        from imaging.lesion import segment_lesion

        reference = ts.get("reference_bone_hu")
        if reference is not None:
            reference = spec_number(ts, "reference_bone_hu", 0.0, -1000.0, 3000.0, f"targets[{i}]")
        try:
            lesion = segment_lesion(
                volume,
                seed,
                reference_bone_hu=reference,
                posterior_wall=None if anatomy is None else anatomy.posterior_wall,
            )
        except NoLesionAtSeedError as exc:
            if exc.at_bone and reference is None:
                raise NoLesionAtSeedError(
                    f"target {name}: {exc}; if there is a lesion, give this bone's normal HU as the "
                    f'target\'s "reference_bone_hu"',
                    exc.seed_hu,
                    exc.reference_bone_hu,
                    at_bone=True,
                ) from exc
            raise
        level = level_given or (anatomy.level if anatomy is not None else None)
        targets[name] = TargetResult(name, lesion, anatomy, level, None, None, warnings=t_warn, bone=bone)
        evaluators[name] = TargetEvaluator(
            volume,
            lesion.mask,
            anatomy,
            margin_mm=margin,
            warn_distance_mm=warn_mm,
            foramina=foramina_mask(anatomy),
        )
        if anatomy is not None and anatomy.foramina is not None:
            targets[name].extras["foramina"] = anatomy.foramina.to_json()["foramina"]
        tick()

    # trajectories
    trajectories: list[TrajectoryResult] = []
    for i, tj in enumerate(traj_specs):
        where = f"trajectories[{i}]"
        if not isinstance(tj, Mapping):
            raise PlanValidationError(where, tj, "a JSON object")
        tname = tj.get("target")
        if tname is None:
            raise missing_key(tj, "target", where, f"one of the targets {sorted(targets)}")
        if tname not in targets:
            raise PlanValidationError(f"{where}.target", tname, f"one of the targets {sorted(targets)}")
        tr = targets[str(tname)]
        pullbacks = spec_pullbacks(tj, zone_model, where) if "pullback_mm" in tj else default_pullbacks
        placed = place_spec_trajectory(
            volume, tr, tj, where, needle, safety, zone_model, min_needle_depth_mm=min_depth_mm
        )
        for proposal, approach in placed:
            trajectories.append(
                trajectory_result(evaluators[tr.name], tr, proposal, approach, needle, pullbacks, safety)
            )
        tick()

    # zones, coverage, cement / risk / scores per target
    zones: list[AblationZone] = []
    for k, t in enumerate(trajectories):
        zones += TargetEvaluator.zones([t.placement], zone_model, first_index=k)
    for tr in targets.values():
        mine = [z for z in zones if trajectories[z.trajectory_index].target == tr.name]
        mine_traj = [t for t in trajectories if t.target == tr.name]
        if mine:
            ctx = evaluators[tr.name].context
            tr.coverage = ctx.evaluate(mine)
            tr.zones_mask = voxelise_zones(mine, volume.index_to_lps, volume.shape)
            tr.warnings += list(tr.coverage.warnings)
            # suggestions against the union of all this target's needles (what coverage_percent measures)
            needles = [
                NeedleZones.of(
                    t.case_name(k), t.geometry, t.needle.antenna_extension_mm, zone_model, t.pullback_mm
                )
                for k, t in enumerate(trajectories)
                if t.target == tr.name
            ]
            # a remainder below what the zone resolves gets no suggestion: the note says so instead
            tr.suggestions, note = suggestions_and_note(
                ctx, needles, spinal=tr.anatomy is not None or bool(tr.level)
            )
            if note is not None:
                tr.warnings.append(note)
        else:
            tr.warnings.append("no trajectory for this target: no zone, coverage not computed")
        tr.extras.update(_cement_risk_scores(volume, tr, mine_traj, spec, tr.warnings))
        tick()
    return PlanResult(
        list(targets.values()),
        trajectories,
        zones,
        zone_model,
        margin,
        volume,
        unused_key_warnings(recorded) + plan_warnings,
        warn_mm,
        min_depth_mm,
        safety,
    )


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise PlanCancelledError


def _foramina_warnings(anatomy: VertebraAnatomy) -> list[str]:
    """Honest warnings about the foramina the heat distance could not, or only partly, use."""
    f = anatomy.foramina
    if f is None or not f.found():
        reasons = "; ".join(f.missing_notes()) if f is not None else "not looked for"
        return [f"neural foramina not found ({reasons}): heat distance to them not computed"]
    out = [f"{m}: heat distance to it not computed" for m in f.missing_notes()]
    cut = [x.name for x in f.found() if x.cut_by_view]
    if cut:
        out.append(
            f"foramen {', '.join(cut)} cut by the field of view: heat distance only to its part in view"
        )
    return out


def _find_vertebra(
    volume: Volume, click: Point, level_hint: str | None, cancel: threading.Event | None
) -> VertebraAnatomy | None:
    try:
        from imaging.vertebra import find_vertebra  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    anatomy = find_vertebra(volume, click, level_hint=level_hint, cancel=cancel)
    if not isinstance(anatomy, VertebraAnatomy):
        raise PlanningError("find_vertebra returned no anatomy")
    return anatomy


def _cement_risk_scores(
    volume: Volume,
    tr: TargetResult,
    trajs: list[TrajectoryResult],
    spec: Mapping[str, Any],
    warnings: list[str],
) -> dict[str, Any]:
    try:
        from planning.target_report import cement_risk_scores
    except ImportError:
        warnings.append("cement, leakage risk and scores are not available in this build")
        return {}
    needles = [(t.geometry.entry_lps, t.geometry.target_lps, t.needle.outer_diameter_mm) for t in trajs]
    choices, where = None, "choices"
    for i, ts in enumerate(spec.get("targets", [])):
        if isinstance(ts, Mapping) and ts.get("name") == tr.name and isinstance(ts.get("choices"), Mapping):
            choices, where = ts["choices"], f"targets[{i}].choices"
    try:
        out = dict(
            cement_risk_scores(
                volume, tr.lesion, tr.anatomy, needles, tr.zones_mask, tr.level, choices=choices
            )
        )
        # the scores follow the bone the spec states, as the window's Scores dock does (planning.score_site)
        out["scores"], notes = scores_for_bone(out.get("scores", {}), tr.bone, choices)
    except PlanValidationError as exc:
        if choices is None or exc.field.split(" ")[0] not in choices:
            raise
        # a choice is named by its place in the spec, as every other key (was "cement_volume_ml" alone)
        raise PlanValidationError(f"{where}.{exc.field.replace(' ', '.')}", exc.value, exc.limit) from None
    warnings += notes
    return out


__all__ = [
    "PlanCancelledError",
    "PlanResult",
    "Progress",
    "TargetResult",
    "TrajectoryResult",
    "build_case",
    "run_plan",
    "save_plan_case",
]
