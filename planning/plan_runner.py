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
lesion centroid to its far edge); approach ``transpedicular-bilateral`` (both sides);
``pedicle_safety_margin_mm`` (1); ``warn_distance_mm`` (5); per target ``level`` and ``choices``
(passed to the cement / risk / scores step). A trajectory given by points without an approach is
labelled from its geometry (direct for an extraspinal target).

A transpedicular approach (one side or ``transpedicular-bilateral``) on a side whose pedicle the anatomy
did not trace gets the route built from the body and canal (``planning.proposals.propose_untraced_side``:
transcostovertebral at a thoracic level, parapedicular otherwise), labelled with that approach; its
``warnings`` say which approach was asked for and ask for the operator's check, and the trajectory's
``pedicle_traced`` (an added key, beside DESIGN.md's) is false.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from imaging.lesion_model import Lesion
from imaging.mask import Mask
from imaging.vertebra_foramina import with_foramina
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from planning.ablation import AblationZone, voxelise_zones
from planning.coverage import (
    DEFAULT_MARGIN_MM,
    DEFAULT_WARN_DISTANCE_MM,
    SUGGESTION_OVERLAP_FRACTION,
    CoverageResult,
    NeedlePlacement,
    PositionSuggestion,
    TargetEvaluator,
    ZoneModel,
    suggest_positions,
)
from planning.devices import load_device_profiles
from planning.errors import PlanningError, PlanValidationError
from planning.model import Approach
from planning.needles import DEFAULT_ANTENNA_EXTENSION_MM, DEFAULT_GAUGE, Needle
from planning.proposals import (
    DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
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
from planning.trajectory import TrajectoryGeometry, TrajectoryMetrics

if TYPE_CHECKING:
    from planning.case import Case

Progress = Callable[[float], None]
Point = tuple[float, float, float]


class PlanCancelledError(PlanningError):
    """The operator cancelled the plan run; nothing was saved."""

    def __init__(self) -> None:
        super().__init__("plan cancelled")


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

    def to_json(self) -> dict[str, Any]:
        """The ``targets`` item of DESIGN.md (plus ``structures``, ``suggestions``, ``level``)."""
        cov = self.coverage
        out: dict[str, Any] = {
            "name": self.name,
            "level": self.level,
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

    @property
    def placement(self) -> NeedlePlacement:
        """The needle as the evaluator sees it (for zones)."""
        return NeedlePlacement(self.geometry, self.needle, self.pullback_mm)

    def to_json(self) -> dict[str, Any]:
        """The ``trajectories`` item of DESIGN.md (plus depth, clearance, antenna tip, alternative)."""
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
            "canal_distance_mm": _opt(m.canal_distance_mm),
            "warnings": list(self.warnings),
            "skin_depth_mm": round(m.skin_depth_mm, 1),
            "internal_air_mm": round(m.internal_air_mm, 1),
            "pedicle_clearance_mm": _opt(m.pedicle_clearance_mm),
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

    def to_json(self) -> dict[str, Any]:
        """``targets``, ``trajectories``, ``zones`` (DESIGN.md keys) plus ``ablation`` and ``warnings``."""
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
                "label": f"predicted, from {zm.source}" + (" (unverified)" if zm.unverified else ""),
                "unverified": zm.unverified,
            },
            "margin_mm": self.margin_mm,
            "warnings": list(self.warnings),
        }


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
    margin = _number(spec, "margin_mm", DEFAULT_MARGIN_MM, 0.0, 20.0)
    safety = _number(spec, "pedicle_safety_margin_mm", DEFAULT_PEDICLE_SAFETY_MARGIN_MM, 0.0, 5.0)
    warn_mm = _number(spec, "warn_distance_mm", DEFAULT_WARN_DISTANCE_MM, 0.0, 50.0)
    needle = _needle(spec.get("needle", {}))
    zone_model = _zone_model(spec.get("ablation"))
    default_pullbacks = _pullbacks(spec, zone_model, "")
    target_specs = spec.get("targets")
    if not isinstance(target_specs, list) or not target_specs:
        raise PlanValidationError("targets", target_specs, "a non-empty list")
    traj_specs = spec.get("trajectories", [])
    if not isinstance(traj_specs, list):
        raise PlanValidationError("trajectories", traj_specs, "a list")
    plan_warnings = needle.warnings()
    if zone_model.unverified:
        plan_warnings.append(f"zone figures are unverified: predicted, from {zone_model.source}")
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
        name = ts.get("name")
        if not isinstance(name, str) or not name.strip():
            raise PlanValidationError(f"targets[{i}].name", name, "a non-empty string")
        if name in targets:
            raise PlanValidationError(f"targets[{i}].name", name, "a name not used by another target")
        seed = _point(ts, "lesion_seed_lps", f"targets[{i}]")
        anatomy = None
        t_warn: list[str] = []
        if ts.get("vertebra_lps") is not None:
            click = _point(ts, "vertebra_lps", f"targets[{i}]")
            hint = ts.get("level")
            anatomy = _find_vertebra(volume, click, hint if isinstance(hint, str) else None, cancel)
            if anatomy is None:
                t_warn.append("vertebra anatomy is not available in this build: canal distances not computed")
            else:
                anatomy = with_foramina(volume, anatomy)
                t_warn += _foramina_warnings(anatomy)
        tick()
        from imaging.lesion import segment_lesion

        lesion = segment_lesion(
            volume, seed, posterior_wall=None if anatomy is None else anatomy.posterior_wall
        )
        level = ts.get("level") or (anatomy.level if anatomy is not None else None)
        targets[name] = TargetResult(name, lesion, anatomy, level, None, None, warnings=t_warn)
        evaluators[name] = TargetEvaluator(
            volume,
            lesion.mask,
            anatomy,
            margin_mm=margin,
            warn_distance_mm=warn_mm,
            foramina=_foramina_mask(anatomy),
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
        if tname not in targets:
            raise PlanValidationError(f"{where}.target", tname, f"one of the targets {sorted(targets)}")
        tr = targets[str(tname)]
        pullbacks = _pullbacks(tj, zone_model, where) if "pullback_mm" in tj else default_pullbacks
        for proposal, approach in _place(volume, tr, tj, where, needle, safety):
            trajectories.append(_measure(evaluators[tr.name], tr, proposal, approach, needle, pullbacks))
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
            if tr.coverage.covered_percent < 99.0:
                first = mine_traj[0]
                tr.suggestions = suggest_positions(
                    ctx,
                    first.geometry,
                    antenna_extension_mm=needle.antenna_extension_mm,
                    width_mm=zone_model.width_mm,
                    length_mm=zone_model.length_mm,
                    center_behind_tip_mm=zone_model.center_behind_tip_mm,
                )
        else:
            tr.warnings.append("no trajectory for this target: no zone, coverage not computed")
        tr.extras.update(_cement_risk_scores(volume, tr, mine_traj, spec, tr.warnings))
        tick()
    return PlanResult(list(targets.values()), trajectories, zones, zone_model, margin, volume, plan_warnings)


# -- building and saving a case ---------------------------------------------------------------------
def build_case(result: PlanResult, *, series_uid: str = "", source_path: str = "") -> Case:
    """A :class:`planning.case.Case` holding the plan's image reference, masks, targets and needles.

    Derived figures (coverage, distances, risk) are not stored: they are recomputed from the case.
    """
    from planning.case import Case, Section
    from planning.model import (
        AblationSpec,
        ImageRef,
        LayerKind,
        MaskLayer,
        PlanSettings,
        Target,
        TargetKind,
        Trajectory,
    )

    vol = result.volume
    uid = series_uid or vol.metadata.series_uid or "planning-volume"
    case = Case()
    case.add(
        Section.IMAGES,
        ImageRef(
            uid,
            source_path or vol.metadata.source_path,
            frame_of_reference_uid=vol.frame_of_reference_uid,
            description=vol.metadata.description,
        ),
    )
    case.set_settings(PlanSettings(margin_mm=result.margin_mm))
    for t in result.targets:
        lesion_layer = f"{t.name} lesion"
        case.add(Section.LAYERS, MaskLayer.new(lesion_layer, LayerKind.LESION, t.lesion.mask, uid))
        if t.anatomy is not None:
            a = t.anatomy
            for suffix, kind, mask in (
                ("body", LayerKind.BODY, a.body),
                ("canal", LayerKind.CANAL, a.canal),
                ("posterior wall", LayerKind.POSTERIOR_WALL, a.posterior_wall),
            ):
                if mask.any():
                    case.add(Section.LAYERS, MaskLayer.new(f"{t.name} {suffix}", kind, mask, uid))
            for side, axis in a.pedicles.items():
                if axis.mask is not None and axis.mask.any():
                    case.add(
                        Section.LAYERS,
                        MaskLayer.new(f"{t.name} pedicle {side.value}", LayerKind.PEDICLE, axis.mask, uid),
                    )
            foramina = _foramina_mask(a)
            if foramina is not None:
                case.add(
                    Section.LAYERS,
                    MaskLayer.new(f"{t.name} neural foramina", LayerKind.FORAMEN, foramina, uid),
                )
        if t.zones_mask is not None and t.zones_mask.any():
            case.add(
                Section.LAYERS, MaskLayer.new(f"{t.name} predicted zones", LayerKind.ZONE, t.zones_mask, uid)
            )
        les = t.lesion
        case.add(
            Section.TARGETS,
            Target(
                t.name,
                kind=TargetKind.SPINE if t.anatomy is not None else TargetKind.EXTRASPINAL,
                level=t.level or "",
                lesion_seed_lps=les.seed_lps,
                vertebra_lps=t.anatomy.click_lps if t.anatomy is not None else None,
                lesion_layer=lesion_layer,
                lesion_type=les.type,
                measures={
                    "volume_ml": les.volume_ml,
                    "max_diameter_mm": les.max_diameter_mm,
                    "mean_hu": les.mean_hu,
                    "reference_bone_hu": les.reference_bone_hu,
                },
            ),
        )
    zm = result.zone_model
    if zm.profile:
        spec = AblationSpec(
            profile=zm.profile,
            width_mm=zm.width_mm,
            length_mm=zm.length_mm,
            center_behind_tip_mm=zm.center_behind_tip_mm,
        )
    else:
        spec = AblationSpec(
            width_mm=zm.width_mm, length_mm=zm.length_mm, center_behind_tip_mm=zm.center_behind_tip_mm
        )
    for k, tj in enumerate(result.trajectories):
        case.add(
            Section.TRAJECTORIES,
            Trajectory(
                f"{tj.target} {tj.approach.value} {k + 1}",
                tj.target,
                tj.approach,
                tj.geometry.entry_lps,
                tj.geometry.target_lps,
                needle_gauge=tj.needle.gauge,
                needle_length_mm=tj.needle.length_mm,
                antenna_extension_mm=tj.needle.antenna_extension_mm,
                ablation_positions_mm=tj.pullback_mm,
                ablation=spec,
                # the GUI's needle panel warns about a route built without a traced pedicle
                extra={"pedicle_traced": False} if tj.pedicle_traced is False else {},
            ),
        )
    return case


def save_plan_case(result: PlanResult, path: str, *, series_uid: str = "", source_path: str = "") -> str:
    """Build the case (:func:`build_case`) and write it atomically with ``planning.case_io``."""
    from planning.case_io import save_case

    case = build_case(result, series_uid=series_uid, source_path=source_path)
    return str(save_case(case, path))


# -- helpers ----------------------------------------------------------------------------------------
def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise PlanCancelledError


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


def _number(  # noqa: PLR0917 - a private validator: spec, key, default, range, place
    spec: Mapping[str, Any], key: str, default: float, lo: float, hi: float, where: str = ""
) -> float:
    v = spec.get(key, default)
    name = f"{where}.{key}" if where else key
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
        raise PlanValidationError(name, v, f"a number in {lo:g}-{hi:g}")
    return float(v)


def _point(spec: Mapping[str, Any], key: str, where: str) -> Point:
    v = spec.get(key)
    if not (isinstance(v, (list, tuple)) and len(v) == 3) or not all(
        isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in v
    ):
        raise PlanValidationError(f"{where}.{key}", v, "three numbers [x, y, z] in LPS mm")
    return (float(v[0]), float(v[1]), float(v[2]))


def _needle(spec: Any) -> Needle:
    if not isinstance(spec, Mapping):
        raise PlanValidationError("needle", spec, "a JSON object")
    gauge = spec.get("gauge", DEFAULT_GAUGE)
    if isinstance(gauge, bool) or not isinstance(gauge, int):
        raise PlanValidationError("needle.gauge", gauge, "an integer gauge (10, 11, 13 or 15)")
    ext = _number(spec, "antenna_extension_mm", DEFAULT_ANTENNA_EXTENSION_MM, 0.0, 60.0, "needle")
    kwargs: dict[str, float] = {"antenna_extension_mm": ext}
    if "length_mm" in spec:
        kwargs["length_mm"] = _number(spec, "length_mm", 150.0, 10.0, 400.0, "needle")
    return Needle.from_gauge(gauge, **kwargs)


def _zone_model(spec: Any) -> ZoneModel:
    if not isinstance(spec, Mapping):
        raise PlanValidationError(
            "ablation", spec, 'an object with "profile" or width_mm/length_mm/center_behind_tip_mm'
        )
    name = spec.get("profile")
    if name is not None:
        profiles = load_device_profiles()
        if name not in profiles:
            raise PlanValidationError(
                "ablation.profile", name, f"one of the device profiles {sorted(profiles)}"
            )
        p = profiles[name]
        center = p.center_behind_tip_mm
        if "center_behind_tip_mm" in spec:
            center = _number(spec, "center_behind_tip_mm", 0.0, -60.0, 60.0, "ablation")
        if center is None:
            raise PlanValidationError(
                "ablation.center_behind_tip_mm",
                None,
                f'a value: profile "{name}" does not state where its zone lies relative to the antenna tip',
            )
        return ZoneModel(p.width_mm, p.length_mm, center, p.source, p.unverified, p.name)
    missing = [k for k in ("width_mm", "length_mm", "center_behind_tip_mm") if k not in spec]
    if missing:
        raise PlanValidationError(f"ablation.{missing[0]}", None, 'a number (or give "profile")')
    return ZoneModel(
        _number(spec, "width_mm", 0.0, 1.0, 120.0, "ablation"),
        _number(spec, "length_mm", 0.0, 1.0, 120.0, "ablation"),
        _number(spec, "center_behind_tip_mm", 0.0, -60.0, 60.0, "ablation"),
        "operator-entered dimensions",
        True,
    )


def _pullbacks(spec: Mapping[str, Any], zm: ZoneModel, where: str) -> tuple[float, ...]:
    name = f"{where}.pullback_mm" if where else "pullback_mm"
    if "pullback_mm" in spec:
        v = spec["pullback_mm"]
        if (
            not isinstance(v, list)
            or not v
            or any(isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 <= x <= 200 for x in v)
        ):
            raise PlanValidationError(name, v, "a non-empty list of offsets 0-200 mm")
        return tuple(float(x) for x in v)
    n = spec.get("positions_per_trajectory", 1)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10:
        raise PlanValidationError("positions_per_trajectory", n, "an integer 1-10")
    step = (1.0 - SUGGESTION_OVERLAP_FRACTION) * zm.length_mm
    return tuple(round(step * k, 2) for k in range(n))


def _foramina_mask(anatomy: VertebraAnatomy | None) -> Mask | None:
    """The union of the anatomy's segmented foramina, None when none was found."""
    if anatomy is None or anatomy.foramina is None:
        return None
    return anatomy.foramina.union()


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


def _place(  # noqa: PLR0917 - private helper of run_plan
    volume: Volume, tr: TargetResult, tj: Mapping[str, Any], where: str, needle: Needle, safety: float
) -> list[tuple[Proposal, Approach]]:
    """The proposal(s) a trajectory spec asks for, each with the approach to label it with."""
    od = needle.outer_diameter_mm
    ext = needle.antenna_extension_mm
    raw = tj.get("approach")
    if "entry_lps" in tj or "target_lps" in tj:
        geometry = TrajectoryGeometry(_point(tj, "entry_lps", where), _point(tj, "target_lps", where))
        if raw is not None:
            approach = _approach(raw, where)
            label_note: tuple[str, ...] = ()
        else:
            approach = _infer_approach(tr, geometry)
            label_note = (f"approach not given: labelled {approach.value} from the geometry",)
        return [(Proposal(approach, geometry, _pedicle_width(tr, approach), warnings=label_note), approach)]
    if raw is None:
        raise PlanValidationError(f"{where}.approach", None, 'an approach, or "entry_lps" and "target_lps"')
    if raw == "transpedicular-bilateral":
        if tr.anatomy is None:
            raise PlanValidationError(
                f"{where}.approach", raw, "a target with vertebra anatomy (vertebra_lps)"
            )
        return _bilateral(volume, tr, tr.anatomy, needle, safety)
    approach = _approach(raw, where)
    if approach is Approach.DIRECT:
        skin = _point(tj, "skin_lps", where)
        return [(propose_direct(volume, tr.lesion.mask, skin, outer_diameter_mm=od), approach)]
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


def _approach(raw: Any, where: str) -> Approach:
    try:
        return Approach(str(raw))
    except ValueError:
        names = ", ".join(a.value for a in Approach)
        raise PlanValidationError(
            f"{where}.approach", raw, f"one of {names}, transpedicular-bilateral"
        ) from None


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


def _measure(  # noqa: PLR0917 - private helper of run_plan
    evaluator: TargetEvaluator,
    tr: TargetResult,
    proposal: Proposal,
    approach: Approach,
    needle: Needle,
    pullbacks: tuple[float, ...],
) -> TrajectoryResult:
    side = approach_side(approach)
    axis = tr.anatomy.pedicles.get(side) if tr.anatomy is not None and side is not None else None
    through_pedicle = axis is not None and approach_family(approach) == "transpedicular"
    placement = NeedlePlacement(proposal.geometry, needle, pullbacks, axis if through_pedicle else None)
    metrics = evaluator.measure(placement)
    canal = evaluator.canal_field
    warnings = list(proposal.warnings) + list(metrics.warnings)
    if canal is None and tr.anatomy is None and approach is not Approach.DIRECT:
        warnings.append("no vertebra anatomy: distance to the canal not computed")
    width = (
        proposal.pedicle_min_width_mm
        if proposal.pedicle_min_width_mm is not None
        else _pedicle_width(tr, approach)
    )
    if (
        through_pedicle
        and width is not None
        and proposal.alternative is None
        and width < needle.outer_diameter_mm
    ):
        warnings.append(
            f"pedicle narrowest width {width:.1f} mm is under the needle's "
            f"{needle.outer_diameter_mm:.2f} mm: consider a parapedicular or transcostovertebral route"
        )
    return TrajectoryResult(
        target=tr.name,
        approach=approach,
        geometry=proposal.geometry,
        needle=needle,
        pullback_mm=pullbacks,
        metrics=metrics,
        pedicle_min_width_mm=width,
        alternative=proposal.alternative,
        warnings=warnings,
        pedicle_traced=None
        if tr.anatomy is None or side is None
        else proposal.pedicle_traced and side in tr.anatomy.pedicles,
    )


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
    choices = None
    for ts in spec.get("targets", []):
        if isinstance(ts, Mapping) and ts.get("name") == tr.name and isinstance(ts.get("choices"), Mapping):
            choices = ts["choices"]
    out = cement_risk_scores(volume, tr.lesion, tr.anatomy, needles, tr.zones_mask, tr.level, choices=choices)
    return dict(out)
