"""The Cement & risk dock: cement estimate, leakage-risk zones and level, injection protocol, per target.

Runs :func:`planning.target_report.analyse_target` in a worker (the leakage zones need the vertebra
anatomy, found from the target's vertebra click by the controller) and shows: the estimate in mL with
its range and where it sits against the published series; the leakage-risk zones (the band within
5 mm of the posterior wall, defects, foramina, access tracks) listed with their volumes and drawn on
every 2D view; the risk level with its reasons; the injection protocol. The operator's cement choices
(fill fraction, viscosity) are a ``CementChoice`` pushed with ``SetCementChoice``. The figures go when
what they were computed from changes in content (the target, its needles, lesion, vertebra, cement choices
or score; an edit undone gives them back, and the figures stay), and the dock says so and how to compute
them again. Volumes mL; mm.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.planning_ui.panel_parts import captioned_list, wrapped_label
from app.planning_ui.plan_menu import COMPUTE_CEMENT_KEY
from app.planning_ui.zones_overlay import MaskOverlay, OverlayMasks
from app.segmentation.lesion_figures import measurement
from app.wording import count_of
from planning.commands import SetCementChoice
from planning.errors import PlanningError
from planning.model import CementChoice, Target, TargetKind, Viscosity
from planning.same_content import same_content

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController

#: the fill box's text at 0 (the default) and its tooltip, by target kind: CLINICAL.md gives lesion
#: filling only for vertebrae (Chen 2022); outside the spine that figure is borrowed, marked unverified
FILL_DEFAULT_TEXT = {
    TargetKind.SPINE: ("default (Chen 2022)", "Chen 2022's lesion filling in vertebrae"),
    TargetKind.EXTRASPINAL: (
        "default (vertebral; unverified)",
        "Chen 2022's lesion filling in vertebrae, borrowed: CLINICAL.md gives none for other bone",
    ),
}
#: the Planned field's upper end: twice the largest volume of the published series (19 mL, extraspinal
#: lesions > 3.5 cm, CLINICAL.md); the estimate holds a planned volume to the vertebral body's volume
PLANNED_MAX_ML = 40.0
LEAK_COLOURS = ("#ff7f0e", "#d62728", "#9467bd", "#e377c2", "#bcbd22", "#17becf", "#8c564b")
RISK_STYLE = {
    "low": "color: #9be39b;",
    "moderate": "color: #ffb347; font-weight: bold;",
    "high": "color: #ff5c5c; font-weight: bold;",
}


class CementPanel(QWidget):
    """Cement estimate, leakage risk and injection protocol for the selected target."""

    def __init__(
        self, controller: PlanningController, overlays: OverlayMasks, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.overlays = overlays
        self.analysis: Any = None
        #: the lesion mask's volume when the shown analysis started (mL), as the Lesions dock gives it
        self._lesion_ml: float | None = None
        self._worker: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        form = QFormLayout()
        self.fill = QDoubleSpinBox()
        self.fill.setRange(0.0, 100.0)
        self.fill.setSuffix(" %")
        self.fill.setSpecialValueText(FILL_DEFAULT_TEXT[TargetKind.SPINE][0])
        self.fill.setKeyboardTracking(False)
        self.planned = QDoubleSpinBox()
        self.planned.setRange(0.0, PLANNED_MAX_ML)
        self.planned.setDecimals(1)
        self.planned.setSingleStep(0.5)
        self.planned.setSuffix(" mL")
        self.planned.setSpecialValueText("the estimate")
        self.planned.setKeyboardTracking(False)
        self.planned.setToolTip(
            "The cement volume you plan to inject, in place of the estimate (0 = the estimate); the "
            "injection protocol and the leakage risk use it. Held to the vertebral body's volume"
        )
        self.viscosity = QComboBox()
        self.viscosity.addItem("not stated", None)
        for v in Viscosity:
            self.viscosity.addItem(v.value, v.value)
        form.addRow("Fill", self.fill)
        form.addRow("Planned", self.planned)
        form.addRow("Viscosity", self.viscosity)
        layout.addLayout(form)
        self.compute_button = QPushButton("Compute cement and risk")
        self.compute_button.setToolTip("Finds the vertebra if needed, then estimates cement and leakage risk")
        layout.addWidget(self.compute_button)
        self.estimate = wrapped_label(layout, "–")
        self.risk = wrapped_label(layout, "–")
        self.zone_list = captioned_list(layout, "Leakage-risk zones (drawn on the views)", max_height_px=120)
        self.protocol = wrapped_label(layout)
        layout.addStretch(1)
        self.compute_button.clicked.connect(self.compute)
        self.fill.valueChanged.connect(lambda _v: self._push_choice())
        self.planned.valueChanged.connect(lambda _v: self._push_choice())
        self.viscosity.currentIndexChanged.connect(lambda _i: self._push_choice())
        #: what the analysis being computed is computed from (``_inputs``)
        self._computing: dict[str, Any] | None = None
        #: the target whose figures or messages the dock shows (None: "–")
        self._shown_target: str | None = None
        #: the last figures computed for that target: (what they were computed from, the analysis, the
        #: lesion's mL); kept while the plan differs from what they were computed from, shown again when
        #: it holds the same again (an edit undone)
        self._kept: tuple[dict[str, Any], Any, float | None] | None = None
        controller.selection_changed.connect(self._on_selection_changed)
        controller.plan_changed.connect(self._on_plan_changed)
        self._show_choice()

    # -- choices --------------------------------------------------------------------------------
    def _show_choice(self) -> None:
        target = self.controller.target()
        choice = self.controller.case.cement.get(target.name) if target is not None else None
        kind = target.kind if target is not None else TargetKind.SPINE
        text, tip = FILL_DEFAULT_TEXT[kind]
        self.fill.setSpecialValueText(text)
        self.fill.setToolTip(
            f"Share of the lesion to fill; 0 = the default: {tip}. The estimate stays within the "
            "published volumes (2-8 mL for a vertebra); the ablation zone is not counted"
        )
        with QSignalBlocker(self.fill), QSignalBlocker(self.viscosity), QSignalBlocker(self.planned):
            self.planned.setValue(choice.planned_ml if choice and choice.planned_ml is not None else 0.0)
            self.fill.setValue(
                100.0 * choice.fill_fraction if choice and choice.fill_fraction is not None else 0.0
            )
            v = choice.viscosity.value if choice and choice.viscosity is not None else None
            self.viscosity.setCurrentIndex(max(0, self.viscosity.findData(v)))
        self.setEnabled(target is not None)

    def _push_choice(self) -> None:
        target = self.controller.target()
        if target is None:
            return
        fill = self.fill.value() / 100.0 if self.fill.value() > 0 else None
        planned = self.planned.value() if self.planned.value() > 0 else None
        visc = self.viscosity.currentData()
        new = (
            CementChoice(target.name, fill_fraction=fill, viscosity=visc, planned_ml=planned)
            if (fill is not None or visc or planned is not None)
            else None
        )
        old = self.controller.case.cement.get(target.name)
        if new != old:
            self.controller.push(SetCementChoice(target.name, new))

    def _on_selection_changed(self) -> None:
        self._show_choice()
        self._drop_stale()

    def _on_plan_changed(self) -> None:
        self._show_choice()
        self._drop_stale()

    def _inputs(self, target: Target) -> dict[str, Any]:
        """What the analysis of ``target`` is computed from, by the words that name it when it changes."""
        c = self.controller
        case = c.case
        return {
            "target": target.name,
            "its settings": target,
            "its needles": tuple(t for t in case.trajectories.values() if t.target == target.name),
            "its lesion": case.layers.get(target.lesion_layer) if target.lesion_layer else None,
            "its vertebra": c.anatomy(target.name),
            "the cement choices": case.cement.get(target.name),
            "its score": case.scores.get(target.name),
        }

    def _drop_stale(self) -> None:
        """Clear the figures when the plan they were computed from changed (undo and redo included), and
        say so with the way to recompute: on bc468dd the dock went to "–" and an empty amber line with
        no word why (QA s30 D row 7); a needle dragged since left the old figures standing. The plan is
        compared by content: when it holds what the figures were computed from again (an edit undone),
        they are shown again; on ab7d7e8 a lesion edited and the edit undone cleared them for good (its
        layer compared as an object)."""
        target = self.controller.target()
        if target is None or target.name != self._shown_target:
            if self._shown_target is not None:
                self._shown_target = None
                self._kept = None
                self._clear("–")  # another target's figures or messages
            return
        if self._kept is None:
            return
        basis, analysis, lesion_ml = self._kept
        now = self._inputs(target)
        changed = [key for key in basis if not same_content(now[key], basis[key])]
        # an input found the same is kept as its new object, so its voxels are compared once, not at
        # every later change of the plan (a needle's drag steps)
        for key in basis:
            if key not in changed:
                basis[key] = now[key]
        if changed:
            said = (
                f"Cement and risk of {target.name} cleared: the plan changed since they were computed "
                f"({', '.join(changed)}). Press Compute cement and risk "
                f"({_native(COMPUTE_CEMENT_KEY)}) to compute them again."
            )
            if self.analysis is not None or self.estimate.text() != said:
                self._clear(said)
        elif self.analysis is None:
            self._show(analysis, lesion_ml)  # the plan is as they were computed from again

    def _clear(self, estimate: str) -> None:
        """Show no figures: ``estimate`` in the estimate's place, nothing else."""
        self.analysis = None
        self.estimate.setText(estimate)
        self.risk.setText("")
        self.risk.setStyleSheet("")
        self.zone_list.clear()
        self.protocol.setText("")
        self.overlays.set_group("leakage", [])
        self.controller.window.state.overlays_changed.emit()

    # -- analysis -------------------------------------------------------------------------------
    def compute(self) -> None:
        """Analyse the selected target in a worker (after finding its vertebra for a spinal one)."""
        c = self.controller
        target = c.target()
        if target is None or c.volume is None:
            return
        self._shown_target = target.name
        if c.lesion_mask(target) is None:
            self.estimate.setText(f"{target.name} has no lesion mask on this image")
            return
        if (
            target.kind == TargetKind.SPINE
            and target.vertebra_lps is not None
            and c.anatomy(target.name) is None
        ):
            self.estimate.setText("Finding the vertebra…")
            c.request_anatomy(
                target.name,
                lambda value: (
                    self.compute()
                    if not isinstance(value, BaseException)
                    else self.estimate.setText(f"Vertebra not found: {value}")
                ),
            )
            return
        self._start(target)

    def _start(self, target: Target) -> None:
        from app.loading import Worker
        from planning.target_report import analyse_target

        c = self.controller
        vol = c.volume
        mask = c.lesion_mask(target)
        if vol is None or mask is None:
            return
        self._lesion_ml = mask.count() * vol.voxel_volume_ml
        basis = self._inputs(target)
        anatomy = c.anatomy(target.name)
        # the lesion's figures as its mask is now (edits included), breach and wall involvement with them
        measure = measurement(vol, c.case, target)
        trajs = [
            (t.entry_lps, t.target_lps, _od(t.needle_gauge))
            for t in c.case.trajectories.values()
            if t.target == target.name
        ]
        zones = c.target_zones(target.name)
        choice = c.case.cement.get(target.name)
        choices: dict[str, Any] = {}
        if choice is not None and choice.fill_fraction is not None:
            choices["fill_fraction"] = choice.fill_fraction
        if choice is not None and choice.planned_ml is not None:
            choices["cement_volume_ml"] = choice.planned_ml
        if choice is not None and choice.viscosity is not None:
            choices["cement_viscosity"] = "low" if choice.viscosity == Viscosity.LOW else "high"
        score = c.case.scores.get(target.name)
        if score is not None and score.system.value == "sins" and anatomy is not None:
            choices["sins"] = dict(score.items)

        def job(progress: Callable[[float], None], cancel: threading.Event) -> Any:
            from planning.ablation import voxelise_zones

            figures = measure()
            if figures.lesion is None:
                raise PlanningError(f"the lesion could not be measured: {figures.reason}")
            lesion = figures.lesion
            zones_mask = voxelise_zones(zones, vol.index_to_lps, vol.shape) if zones else None
            return analyse_target(
                vol, lesion, anatomy, trajs, zones_mask, target.level or None, choices=choices
            )

        self._clear("Computing…")
        self._kept = None  # the figures shown next are this analysis's
        self._computing = basis
        self.compute_button.setEnabled(False)
        self._worker = Worker(job, self)
        self._worker.finished.connect(self._on_worker_finished)
        self._worker.failed.connect(self._on_worker_failed)
        self._worker.start()

    def wait(self, timeout_ms: int = 30000) -> None:
        """Wait for a running analysis (tests)."""
        from app.loading import wait_until

        wait_until(lambda: self._worker is None, timeout_ms)

    def _on_worker_failed(self, exc: object) -> None:
        self._worker = None
        self._computing = None
        self.compute_button.setEnabled(True)
        self.estimate.setText(f"Not computed: {exc}")

    def _on_worker_finished(self, analysis: Any) -> None:
        self._worker = None
        self.compute_button.setEnabled(True)
        basis, self._computing = self._computing, None
        if basis is None:
            return
        self._shown_target = basis["target"]
        self._kept = (basis, analysis, self._lesion_ml)
        self._show(analysis, self._lesion_ml)
        self._drop_stale()  # the plan changed while it was computed

    def _show(self, analysis: Any, lesion_ml: float | None) -> None:
        """Show the figures of ``analysis`` (the lesion of ``lesion_ml`` mL when it started)."""
        self.analysis = analysis
        ce = analysis.cement
        lo, hi = ce.range_ml
        pub = ce.published
        spread = f" (range {lo:.1f}-{hi:.1f} mL)" if hi - lo >= 0.05 else ""
        if ce.chosen:
            spread = ", the volume you planned (Planned)"
        lesion_fill = (
            f"Fill {100.0 * ce.fill_fraction:.0f} % of the lesion's {ce.lesion_in_bone_ml:.2f} mL"
            + _outside_bone(lesion_ml, ce.lesion_in_bone_ml)
            + _fill_basis(ce.defaults.fill_fraction_source)
            + f" = {ce.lesion_fill_ml:.2f} mL"
            + (f", {ce.bound.value}" if ce.bound is not None else "")
            + "."
        )
        ablation = (
            f"\nThe ablation zone ({ce.ablation_in_bone_ml:.1f} mL of bone) is not counted: ablation "
            "leaves no cavity, and the published volumes were measured after ablation."
            if ce.ablation_in_bone_ml > 0
            else ""
        )
        self.estimate.setText(
            f"Cement {ce.estimate_ml:.1f} mL{spread}\n"
            f"Published: {pub.mean_ml:.1f} ± {pub.sd_ml:.1f} mL ({pub.min_ml:g}-{pub.max_ml:g}), "
            f"{pub.source}: "
            f"this estimate is {ce.position.value}.\n" + lesion_fill + ablation
        )
        risk = analysis.risk
        self.risk.setText(
            f"Leakage risk: {risk.level.value.upper()}\n" + "\n".join(f"• {r}" for r in risk.reasons)
        )
        self.risk.setStyleSheet(RISK_STYLE.get(risk.level.value, ""))
        self.zone_list.clear()
        overlays = []
        if analysis.leakage is not None:
            for k, z in enumerate(analysis.leakage.zones):
                approx = " (approximate)" if z.approximate else ""
                self.zone_list.addItem(f"{z.name}: {z.volume_ml:.2f} mL{approx} — {z.description}")
                if z.mask.any():
                    overlays.append(
                        MaskOverlay(z.name, z.mask, QColor(LEAK_COLOURS[k % len(LEAK_COLOURS)]), 70)
                    )
        else:
            self.zone_list.addItem("no vertebra: leakage zones are computed for vertebrae only")
        self.overlays.set_group("leakage", overlays)
        inj = analysis.injection
        lo, hi = inj.ct_checks_range
        checks = f"about {count_of(inj.ct_checks, 'CT check')}" + (f" ({lo}-{hi})" if lo != hi else "")
        self.protocol.setText(f"Injection: {inj.aliquot_rule}; {checks}.\nStop: " + "; ".join(inj.stop_rules))
        self.controller.window.state.overlays_changed.emit()


def _outside_bone(lesion_ml: float | None, in_bone_ml: float) -> str:
    """Why the lesion's volume here differs from the Lesions dock's: only the part in the bone is filled
    (QA s30 D4: "1.44 mL" here beside "1.45" there, with nothing said)."""
    if lesion_ml is None or f"{lesion_ml:.2f}" == f"{in_bone_ml:.2f}":
        return ""
    return (
        f" inside the bone (of its {lesion_ml:.2f} mL: the {lesion_ml - in_bone_ml:.2f} mL outside the bone "
        "is not counted)"
    )


def _fill_basis(source: str) -> str:
    """Where the fill fraction comes from, in a few words for the dock."""
    if source == "operator":
        return " (chosen)"
    if "borrowed" in source:
        return " (the vertebral figure, Chen 2022, borrowed: unverified outside the spine)"
    return " (Chen 2022)"


def _native(key: str) -> str:
    """A key sequence as the platform writes it (Ctrl+Shift+C)."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)


def _od(gauge: int) -> float:
    from planning.model import NEEDLE_OUTER_DIAMETER_MM

    return NEEDLE_OUTER_DIAMETER_MM[gauge]


__all__ = ["CementPanel", "PlanningError"]
