"""The planning controller of one window: selected needle, zone models, derived-result caches.

It reads the Case (``window.case.case``, replaced when another case opens) and the planning volume
(``window.case.volume``: the masks' grid); it never changes the Case except through
``window.case.push(command)``. Positions LPS mm; sizes mm; volumes mL. A needle that Undo brings back (its
deletion taken back) or Redo places again becomes the selected needle: the thing brought back is the one
in hand.

Derived results (zones, needle metrics, coverage) are pure functions of the Case, recomputed here
on demand. What does not change while a needle is dragged (the canal's distance field, a lesion's
coverage context, the vertebra anatomy found from the target's click) is cached by the identity of
its inputs, so a drag step costs only the zone and needle arithmetic (see
tests/benchmarks/bench_drag.py). The anatomy is found in the background
(:class:`app.planning_ui.anatomy_finder.AnatomyFinder`), again when a case with needles opens.
A target's coverage (its lesion, coverage context and the foramina's note) is worked out and cached
by :class:`app.planning_ui.target_coverage.TargetCoverage`; the controller's methods of the same names
hand over to it.

A spinal target's vertebra is one source for every figure: the vertebra in the case's layers the
target is tied to (:mod:`app.planning_ui.target_vertebra`), whose layers (body, canal, posterior wall,
pedicles) the proposals, needle readouts, coverage and leakage measure against, and whose pedicle axes
come from the anatomy found from the Vertebra tool's own click.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.planning_ui.anatomy_finder import AnatomyFinder
from app.planning_ui.target_coverage import TargetCoverage
from app.planning_ui.target_vertebra import PART_OF_KIND, group_masks, layer_for_target, safety_canal
from app.segmentation.vertebra_tool import mask_holds
from imaging.mask import Mask
from imaging.volume import Volume
from planning.ablation import AblationZone, zones_along_trajectory
from planning.case import Case, Change, Section
from planning.commands import Command
from planning.coverage import CoverageContext, CoverageResult
from planning.devices import DeviceFileError, DeviceProfile, load_device_profiles
from planning.model import NEEDLE_OUTER_DIAMETER_MM, LayerKind, Target, Trajectory
from planning.needles import ANTENNA_OUTER_DIAMETER_MM
from planning.trajectory import DistanceField, TrajectoryGeometry, TrajectoryMetrics, measure_trajectory
from planning.zone_model import (
    CentreSource,
    UnknownProfileError,
    ZoneCentreMissingError,
    ZoneModel,
    resolve_zone_model,
)

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from imaging.vertebra_model import PedicleAxis, VertebraAnatomy

log = logging.getLogger("osteoplan.gui")


class PlanningController(QObject):
    """Selection and derived planning results of one :class:`app.main_window.MainWindow`.

    Signals
    -------
    selection_changed
        The selected trajectory or target changed.
    plan_changed
        Trajectories, targets, layers or settings of the case changed (redraw, recompute).
    anatomy_ready(str)
        The search for the vertebra anatomy of a target (its name) ended: found, or refused.
    """

    selection_changed = Signal()
    plan_changed = Signal()
    anatomy_ready = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.selected: str | None = None
        self.selected_target: str | None = None
        self._drag_ids = itertools.count(1)
        self._profiles: dict[str, DeviceProfile] | None = None
        self._fields: dict[int, DistanceField] = {}
        self._coverage = TargetCoverage(self)
        self.anatomy_finder = AnatomyFinder(window, self)
        self.anatomy_finder.found.connect(self._on_anatomy_found)
        self._connected: Case | None = None
        self._emit_timer = QTimer(self)
        self._emit_timer.setSingleShot(True)
        self._emit_timer.setInterval(0)
        self._emit_timer.timeout.connect(self.plan_changed)
        window.case.case_replaced.connect(self._on_case_replaced)
        self._connect()

    # -- model access ---------------------------------------------------------------------------
    @property
    def case(self) -> Case:
        """The window's current case."""
        return self.window.case.case

    @property
    def volume(self) -> Volume | None:
        """The planning volume (the grid of the case's masks), None before one is opened."""
        return self.window.case.volume

    def push(self, command: Command) -> None:
        """Do a planning command undoably (the window's undo stack)."""
        self.window.case.push(command)

    def new_drag_id(self) -> int:
        """A fresh id for one drag (all its moves merge into one undo step)."""
        return next(self._drag_ids)

    def trajectory(self, name: str | None = None) -> Trajectory | None:
        """A trajectory by name (default: the selected one)."""
        key = self.selected if name is None else name
        return None if key is None else self.case.trajectories.get(key)

    def select(self, name: str | None) -> None:
        """Select a trajectory (None: none); its target becomes the selected target."""
        if name is not None and name not in self.case.trajectories:
            name = None
        if name == self.selected:
            return
        self.selected = name
        traj = self.trajectory()
        if traj is not None:
            self.selected_target = traj.target
            # its pedicle readouts need the target's vertebra: find it if nobody has yet
            self.anatomy_finder.request_if_new(traj.target)
        self.selection_changed.emit()

    def select_target(self, name: str | None) -> None:
        """Select a target by name."""
        if name is not None and name not in self.case.targets:
            name = None
        if name != self.selected_target:
            self.selected_target = name
            self.selection_changed.emit()

    def target(self, name: str | None = None) -> Target | None:
        """A target by name (default: the selected target, else the only/first one)."""
        key = self.selected_target if name is None else name
        if key is None and self.case.targets:
            key = next(iter(self.case.targets))
        return None if key is None else self.case.targets.get(key)

    def new_trajectory_name(self, target: str) -> str:
        """A name not yet used: ``"<target> needle <n>"``."""
        for n in itertools.count(1):
            name = f"{target} needle {n}"
            if name not in self.case.trajectories:
                return name
        raise AssertionError("unreachable")  # pragma: no cover

    # -- zones ------------------------------------------------------------------------------------
    def profiles(self) -> dict[str, DeviceProfile]:
        """Device profiles (shipped + user file), loaded once; empty with a log line on a bad file."""
        if self._profiles is None:
            try:
                self._profiles = load_device_profiles()
            except (DeviceFileError, OSError) as exc:
                log.warning("device profiles not loaded: %s", exc)
                self._profiles = load_device_profiles(user_path=False)
        return self._profiles

    def zone_model(self, traj: Trajectory) -> ZoneModel | None:
        """The zone model of a trajectory's ablation spec (a profile, or custom dimensions); None when
        no zone can be drawn (:meth:`zone_reason` says why)."""
        return self._resolve_zone(traj)[0]

    def zone_reason(self, traj: Trajectory) -> str:
        """Why a trajectory has no zone, in the operator's words ("" when it has one)."""
        return self._resolve_zone(traj)[1]

    def _resolve_zone(self, traj: Trajectory) -> tuple[ZoneModel | None, str]:
        spec = traj.ablation
        if not spec.profile and not spec.is_custom:
            return None, "no ablation device chosen"
        try:
            # a profile's own size; the spec's centre when the operator entered one
            return resolve_zone_model(
                spec.profile,
                self.profiles(),
                center_behind_tip_mm=spec.center_behind_tip_mm,
                width_mm=spec.width_mm,
                length_mm=spec.length_mm,
                centre_given_by=CentreSource.OPERATOR,
            ), ""
        except UnknownProfileError:
            return None, f'unknown profile "{spec.profile}"'
        except ZoneCentreMissingError:
            return None, "the profile does not state where the zone lies behind the tip: enter it"

    def zones(self, traj: Trajectory, index: int = -1) -> list[AblationZone]:
        """The predicted zones of one trajectory (one per pull-back position); [] without a model."""
        zm = self.zone_model(traj)
        if zm is None:
            return []
        geometry = TrajectoryGeometry(traj.entry_lps, traj.target_lps)
        return zones_along_trajectory(
            geometry,
            antenna_extension_mm=traj.antenna_extension_mm,
            width_mm=zm.width_mm,
            length_mm=zm.length_mm,
            center_behind_tip_mm=zm.center_behind_tip_mm,
            pullback_mm=traj.ablation_positions_mm,
            source=zm.label,
            unverified=zm.unverified,
            trajectory_index=index,
        )

    def all_zones(self) -> list[AblationZone]:
        """Zones of every trajectory of the case."""
        out: list[AblationZone] = []
        for k, traj in enumerate(self.case.trajectories.values()):
            out += self.zones(traj, k)
        return out

    def target_zones(self, target: str) -> list[AblationZone]:
        """Zones of the trajectories of one target."""
        out: list[AblationZone] = []
        for k, traj in enumerate(self.case.trajectories.values()):
            if traj.target == target:
                out += self.zones(traj, k)
        return out

    # -- needle metrics ---------------------------------------------------------------------------
    def layer_mask(self, kind: LayerKind, target: Target | None, near_lps: Any = None) -> Mask | None:
        """The mask of a layer of ``kind`` for a target: named after its level or name, else nearest
        (:func:`app.planning_ui.target_vertebra.layer_for_target`)."""
        vol = self.volume
        return None if vol is None else layer_for_target(self.case, vol, kind, target, near_lps)

    def vertebra_part(self, kind: LayerKind, target: Target | None, near_lps: Any = None) -> Mask | None:
        """The layer of ``kind`` of the target's vertebra: its vertebra group's (the vertebra the
        Vertebrae dock shows for it) when that has one, else a layer of the kind named after the target
        or nearest ``near_lps`` (:meth:`layer_mask`)."""
        vol = self.volume
        part = PART_OF_KIND.get(kind)
        if vol is not None and target is not None and part is not None:
            src = self.anatomy_finder.source(target.name)
            mask = None if src is None else group_masks(src, vol).get(part)
            if mask is not None:
                return mask
        return self.layer_mask(kind, target, near_lps)

    def canal_for_distances(self, target: Target | None, near_lps: Any = None) -> Mask | None:
        """The canal layer of the target's vertebra (:meth:`vertebra_part`) with the canal through the
        body's whole height (:func:`app.planning_ui.target_vertebra.safety_canal`): what needles and
        heat are measured against."""
        canal = self.vertebra_part(LayerKind.CANAL, target, near_lps)
        vol = self.volume
        if vol is None or target is None:
            return canal
        return safety_canal(canal, self.anatomy_finder.source(target.name), self.anatomy(target.name), vol)

    def distance_field(self, mask: Mask) -> DistanceField:
        """The signed distance field of a mask (cached by the mask's identity)."""
        key = id(mask.array)
        fld = self._fields.get(key)
        if fld is None or fld.empty != (not mask.any()):
            vol = self.volume
            if vol is None:
                raise ValueError("no volume is open")
            fld = DistanceField(mask, vol.index_to_lps)
            self._fields = {key: fld, **dict(list(self._fields.items())[:7])}
        return fld

    def metrics(self, traj: Trajectory) -> TrajectoryMetrics | None:
        """Length, angles, depth, canal distance, pedicle clearance, crossings of one needle."""
        vol = self.volume
        if vol is None:
            return None
        target = self.case.targets.get(traj.target)
        canal = self.canal_for_distances(target, traj.target_lps)
        anatomy = self.anatomy(traj.target)
        pedicle = None
        if anatomy is not None:
            from planning.proposals import approach_family, approach_side

            side = approach_side(traj.approach)
            if side is not None and approach_family(traj.approach) == "transpedicular":
                pedicle = anatomy.pedicles.get(side)
        forbidden: dict[str, DistanceField] = {}
        for fs in self.case.forbidden.values():
            layer = self.case.layers.get(fs.layer)
            if layer is not None and layer.mask.grid_shape == vol.shape and layer.mask.any():
                forbidden[fs.name] = self.distance_field(layer.mask)
        outer = NEEDLE_OUTER_DIAMETER_MM[traj.needle_gauge]
        antenna = ANTENNA_OUTER_DIAMETER_MM.get(traj.antenna_gauge, ANTENNA_OUTER_DIAMETER_MM[16])
        body = self.body_mask(target)
        return measure_trajectory(
            vol,
            TrajectoryGeometry(traj.entry_lps, traj.target_lps),
            outer_diameter_mm=outer,
            needle_length_mm=traj.needle_length_mm,
            antenna_extension_mm=traj.antenna_extension_mm,
            antenna_outer_diameter_mm=antenna,
            canal=self.distance_field(canal) if canal is not None else None,
            pedicle_mask=pedicle.mask if pedicle is not None else None,
            pedicle_isthmus_lps=pedicle.isthmus_lps if pedicle is not None else None,
            pedicle_min_width_mm=pedicle.min_width_mm if pedicle is not None else None,
            forbidden=forbidden,
            body=body,
        )

    def body_mask(self, target: Target | None) -> Mask | None:
        """The vertebral body of a spinal target: the body layer of its vertebra group; else a body layer
        (the one named after it, else the nearest) when that holds the target's vertebra point, else
        the body of its anatomy; None for a target without a vertebra or while none is known."""
        vol = self.volume
        if vol is None or target is None:
            return None
        src = self.anatomy_finder.source(target.name)
        shown = None if src is None else group_masks(src, vol).get("body")
        if shown is not None:
            return shown
        if target.vertebra_lps is None:
            return None
        layer = self.layer_mask(LayerKind.BODY, target, target.vertebra_lps)
        if layer is not None and mask_holds(layer, vol, target.vertebra_lps):
            return layer
        anatomy = self.anatomy(target.name)
        return anatomy.body if anatomy is not None and anatomy.body.any() else None

    def pedicle_width_mm(self, traj: Trajectory) -> float | None:
        """Narrowest width of the pedicle the needle's approach goes through, when known."""
        axis = self._approach_pedicle(traj)
        return None if axis is None else axis.min_width_mm

    def pedicle_width_uncertainty_mm(self, traj: Trajectory) -> float | None:
        """How well the scan shows that width (+- mm, :func:`imaging.vertebra_pedicles.width_uncertainty`),
        when known."""
        axis = self._approach_pedicle(traj)
        return None if axis is None else axis.min_width_uncertainty_mm

    def _approach_pedicle(self, traj: Trajectory) -> PedicleAxis | None:
        """The traced pedicle the needle's approach goes through, when known."""
        anatomy = self.anatomy(traj.target)
        if anatomy is None:
            return None
        from planning.proposals import approach_side

        side = approach_side(traj.approach)
        return anatomy.pedicles.get(side) if side is not None else None

    # -- coverage (app.planning_ui.target_coverage) ----------------------------------------------
    def lesion_mask(self, target: Target) -> Mask | None:
        """The lesion mask of a target (its ``lesion_layer``), on the planning grid."""
        return self._coverage.lesion_mask(target)

    def coverage_context(self, target: Target) -> CoverageContext | None:
        """The coverage context of a target (lesion + margin, canal / posterior wall / foramina), cached."""
        return self._coverage.context(target)

    def foramina_note(self, target: Target) -> str | None:
        """The Coverage dock's words on a spinal target's foramina while they are not measured
        (:meth:`app.planning_ui.target_coverage.TargetCoverage.foramina_note`)."""
        return self._coverage.foramina_note(target)

    def coverage(self, target: Target) -> CoverageResult | None:
        """Coverage of a target by the zones of its trajectories (None without lesion or zones)."""
        return self._coverage.coverage(target)

    # -- anatomy (worker) -------------------------------------------------------------------------
    def anatomy(self, target_name: str) -> VertebraAnatomy | None:
        """The vertebra anatomy of a spinal target found earlier (None: not yet / not spinal)."""
        return self.anatomy_finder.anatomy(target_name)

    def anatomy_pending(self, target_name: str) -> bool:
        """True while the target's vertebra is being found in the background."""
        return self.anatomy_finder.pending(target_name)

    def request_anatomy(self, target_name: str, then: Callable[[Any], None] | None = None) -> bool:
        """Find the target's vertebra in a worker; ``then(anatomy | exception)`` afterwards.

        Returns False when the target has no vertebra click or no volume is open.
        """
        return self.anatomy_finder.request(target_name, then)

    def set_anatomy(self, target_name: str, anatomy: VertebraAnatomy) -> None:
        """Use an anatomy found elsewhere (tests, the vertebra tool) for a target."""
        if self.anatomy_finder.set(target_name, anatomy):
            self.plan_changed.emit()

    def shutdown(self) -> None:
        """Stop anatomy workers (window closing)."""
        self.anatomy_finder.shutdown()

    def _on_anatomy_found(self, target_name: str) -> None:
        self._coverage.forget_contexts()  # the foramina may be known now
        self.anatomy_ready.emit(target_name)
        self.plan_changed.emit()

    # -- case events ------------------------------------------------------------------------------
    def _connect(self) -> None:
        self._connected = self.case
        self.case.events.changed.connect(self._on_case_changed)

    def _on_case_replaced(self) -> None:
        if self._connected is not None:
            self._connected.events.changed.disconnect(self._on_case_changed)
        self._fields.clear()
        self._coverage.forget_contexts()
        self.anatomy_finder.reset()
        self._connect()
        self.selected = None
        self.selected_target = None
        self.selection_changed.emit()
        self.plan_changed.emit()
        # the anatomy is not saved with the case: find it again for the targets that have needles
        self.anatomy_finder.find_for_needles()

    def _on_case_changed(self, change: Change) -> None:
        if change.section == Section.TRAJECTORIES:
            if change.old is None and change.new is not None and self.window.case.stepping:
                # a needle Undo brings back (its deletion taken back) or Redo places again is the one in
                # hand: its readouts, the views along it and the next proposal's device are its own (QA
                # s32 B: it came back unselected, "Select a needle", and Propose then got the default device)
                self.select(change.key)
            elif change.new is None and change.key == self.selected:
                self.selected = None
                self.selection_changed.emit()
            elif change.new is not None and change.old is not None and change.key == self.selected:
                new_name = change.new.name
                if new_name != self.selected:
                    self.selected = new_name
                    self.selection_changed.emit()
        if change.section in (
            Section.TRAJECTORIES,
            Section.TARGETS,
            Section.LAYERS,
            Section.SETTINGS,
            Section.FORBIDDEN,
            Section.CEMENT,
            Section.SCORES,
        ):
            # synchronous: dragging redraws at once; panels coalesce their own heavier work
            self.plan_changed.emit()
