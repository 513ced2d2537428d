"""The Coverage dock: how much of the selected target (lesion + margin) the predicted zones cover.

Shows the covered percentage, the uncovered volume (mL, drawn in red on the 2D views), the smallest
margin (mm; negative = lesion outside the zones), the planned margin (editable, default 2 mm from
PlanSettings / CLINICAL.md), the distance from the zones to the canal, neural foramina and posterior
wall with a warning under 5 mm and CLINICAL.md's thermal-protection advice (for a spinal target whose
foramina are not known yet, found with its vertebra in the background after a case opens, the dock says
so rather than staying silent), and suggestions when the zones of all
the target's needles leave part of it uncovered, each naming the needle it changes (a button applies
the selected one as a command), or, for a remainder below what the zone model resolves, why none is
made. Recomputation is throttled: the panel recomputes once the event loop is idle after a burst of
changes (a drag step costs the zone arithmetic only; the lesion's context is cached by the controller).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.planning_ui.panel_parts import captioned_list, wrapped_label
from app.planning_ui.zones_overlay import UNCOVERED_COLOUR, MaskOverlay, OverlayMasks
from app.theme import AMBER, RED
from planning.commands import AddTrajectory, SetSettings, UpdateTrajectory
from planning.coverage import (
    DEFAULT_WARN_DISTANCE_MM,
    CoverageResult,
    PositionSuggestion,
    figure_below,
)
from planning.errors import PlanningError

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController

#: the panel recomputes this long after the last change of a burst (ms): a drag stays fluid
RECOMPUTE_DELAY_MS = 15


class CoveragePanel(QWidget):
    """Coverage figures, structure distances, warnings and suggestions for the selected target."""

    def __init__(
        self, controller: PlanningController, overlays: OverlayMasks, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.overlays = overlays
        self.result: CoverageResult | None = None
        #: what the dock says about the selected target's foramina while they are not known (None: known)
        self.foramina_note: str | None = None
        self.suggestions: list[PositionSuggestion] = []
        self.last_compute_s = 0.0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        form = QFormLayout()
        self.target_label = QLabel("–")
        self.covered = QLabel("–")
        self.uncovered = QLabel("–")
        self.min_margin = QLabel("–")
        self.margin = _mm_box(
            20.0, "Margin the zones must cover beyond the lesion (bone: ≥ 2 mm, Qiu; curative 10 mm)"
        )
        self.warn_distance = _mm_box(
            50.0,
            "A zone closer than this to the spinal canal or a foramen is warned, with the thermal-protection "
            f"advice (default {DEFAULT_WARN_DISTANCE_MM:g} mm; CLINICAL.md: thermocouple, low power, "
            "short cycles)",
        )
        self.canal = QLabel("–")
        self.foramina = QLabel("–")
        self.foramina.setWordWrap(True)
        self.wall = QLabel("–")
        form.addRow("Target", self.target_label)
        form.addRow("Covered", self.covered)
        form.addRow("Uncovered", self.uncovered)
        form.addRow("Smallest margin", self.min_margin)
        form.addRow("Planned margin", self.margin)
        form.addRow("Warn heat within", self.warn_distance)
        form.addRow("Zone to canal", self.canal)
        form.addRow("Zone to foramina", self.foramina)
        form.addRow("Zone to posterior wall", self.wall)
        layout.addLayout(form)
        self.warnings = wrapped_label(layout)
        self.warnings.setStyleSheet(AMBER)
        self.suggestion_list = captioned_list(layout, "Suggestions", max_height_px=110)
        self.apply_button = QPushButton("Apply suggestion")
        self.apply_button.setEnabled(False)
        layout.addWidget(self.apply_button)
        layout.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RECOMPUTE_DELAY_MS)
        self._timer.timeout.connect(self.recompute)
        controller.plan_changed.connect(self._timer.start)
        controller.selection_changed.connect(self._timer.start)
        self.margin.valueChanged.connect(self._on_margin_value_changed)
        self.warn_distance.valueChanged.connect(self._on_warn_distance_changed)
        self.apply_button.clicked.connect(self.apply_selected)
        self.suggestion_list.currentRowChanged.connect(lambda r: self.apply_button.setEnabled(r >= 0))
        self.recompute()

    def recompute(self) -> None:
        """Recompute and show the coverage of the selected target now."""
        import time

        start = time.perf_counter()
        c = self.controller
        with QSignalBlocker(self.margin), QSignalBlocker(self.warn_distance):
            self.margin.setValue(c.case.settings.margin_mm)
            self.warn_distance.setValue(c.case.settings.heat_warn_distance_mm)
        target = c.target()
        self.result = None
        self.suggestions = []
        try:
            if target is not None:
                self.result = c.coverage(target)
        except (PlanningError, ValueError) as exc:
            self.warnings.setText(f"Coverage not computed: {exc}")
        self.target_label.setText(target.name if target is not None else "no target")
        has_lesion = target is not None and c.lesion_mask(target) is not None
        self.foramina_note = c.foramina_note(target) if target is not None and has_lesion else None
        self._show(has_lesion)
        self.last_compute_s = time.perf_counter() - start

    def _show(self, has_lesion: bool) -> None:
        r = self.result
        for lab in (self.covered, self.uncovered, self.min_margin, self.canal, self.foramina, self.wall):
            lab.setStyleSheet("")
        self.suggestion_list.clear()
        if r is None:
            text = "–" if has_lesion else "no lesion mask"
            for lab in (self.covered, self.uncovered, self.min_margin, self.canal, self.foramina, self.wall):
                lab.setText("–")
            self.covered.setText(text if has_lesion else "no lesion mask")
            if has_lesion:
                self.covered.setText("no zone: choose a device for a needle of this target")
            self.overlays.set_group("uncovered", [])
            self.controller.window.state.overlays_changed.emit()
            return
        self.covered.setText(f"{r.covered_percent:.1f} % of {r.target_ml:.2f} mL (lesion + margin)")
        self.covered.setStyleSheet("" if r.covered_percent >= 99.95 else AMBER)
        self.uncovered.setText(f"{r.uncovered_ml:.2f} mL")
        # the figure reads below the planned margin (or zero) whenever the colour says it is (QA s30 D2)
        limit = 0.0 if r.min_margin_mm < 0 else self.margin.value()
        self.min_margin.setText(f"{figure_below(r.min_margin_mm, limit)} mm")
        self.min_margin.setStyleSheet(
            RED if r.min_margin_mm < 0 else (AMBER if r.min_margin_mm < self.margin.value() else "")
        )
        for key, lab in (("canal", self.canal), ("foramina", self.foramina), ("posterior_wall", self.wall)):
            sd = r.structures.get(key)
            if sd is None:
                if key == "foramina":
                    note = self.foramina_note
                    lab.setText("–" if note is None else note)
                    lab.setStyleSheet("" if note is None else AMBER)
                else:
                    lab.setText("not known (no layer)")
                continue
            lab.setText(
                f"{figure_below(sd.distance_mm, self.warn_distance.value())} mm"
                + (f", overlap {sd.overlap_ml:.2f} mL" if sd.overlap_ml > 0 else "")
            )
            lab.setStyleSheet(RED if sd.distance_mm < self.warn_distance.value() else "")
        warnings = list(r.warnings)
        if self.foramina_note is not None:
            # a safety warning that cannot be given yet is said to be missing, not left out silently
            warnings.insert(
                0, f"neural foramina {self.foramina_note} (whether the zone reaches them is not known yet)"
            )
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.overlays.set_group(
            "uncovered",
            [MaskOverlay("uncovered", r.uncovered, QColor(UNCOVERED_COLOUR), 120)]
            if r.uncovered.any()
            else [],
        )
        self.controller.window.state.overlays_changed.emit()
        if r.covered_percent < 99.0:
            self._suggest()

    def _suggest(self) -> None:
        """Suggestions against the union of the zones of all the target's needles (what "Covered"
        measures), each naming the needle it changes; the selected needle is listed first."""
        from planning.coverage import NeedleZones
        from planning.coverage_suggestions import suggestions_and_note
        from planning.model import TargetKind
        from planning.trajectory import TrajectoryGeometry

        c = self.controller
        target = c.target()
        ctx = c.coverage_context(target) if target is not None else None
        if target is None or ctx is None:
            return
        needles: list[NeedleZones] = []
        for traj in c.case.trajectories.values():
            zm = c.zone_model(traj) if traj.target == target.name else None
            if zm is None:  # a needle without a device has no zone: the coverage figure leaves it out
                continue
            geometry = TrajectoryGeometry(traj.entry_lps, traj.target_lps)
            needles.append(
                NeedleZones.of(traj.name, geometry, traj.antenna_extension_mm, zm, traj.ablation_positions_mm)
            )
        selected = c.trajectory()
        self.suggestions, note = suggestions_and_note(
            ctx,
            needles,
            spinal=target.kind == TargetKind.SPINE,
            reference=selected.name if selected is not None else None,
        )
        for s in self.suggestions:
            pct = f" → {s.covered_percent:.0f} %" if s.covered_percent is not None else ""
            self.suggestion_list.addItem(f"{s.text}{pct}")
        if note is not None:
            # why nothing is suggested, where the suggestions would be; not a suggestion to apply
            item = QListWidgetItem(note[0].upper() + note[1:])
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.suggestion_list.addItem(item)

    def apply_selected(self) -> None:
        """Apply the selected suggestion to the needle it names (one undoable command)."""
        row = self.suggestion_list.currentRow()
        if row < 0 or row >= len(self.suggestions):
            return
        s = self.suggestions[row]
        c = self.controller
        traj = c.trajectory(s.trajectory) if s.trajectory else None
        if traj is None:
            return
        import numpy as np

        try:
            if s.kind == "pullback" and s.pullback_mm:
                new = replace(traj, ablation_positions_mm=s.pullback_mm)
                c.push(UpdateTrajectory(traj.name, new, previous=traj))
            elif s.kind == "advance" and s.advance_mm > 0:
                d = np.asarray(traj.direction_lps)
                tip = np.asarray(traj.target_lps) + s.advance_mm * d
                c.push(UpdateTrajectory(traj.name, replace(traj, target_lps=tuple(tip)), previous=traj))
            elif s.kind == "second_trajectory" and s.entry_lps is not None and s.target_lps is not None:
                name = c.new_trajectory_name(traj.target)
                c.push(
                    AddTrajectory(replace(traj, name=name, entry_lps=s.entry_lps, target_lps=s.target_lps))
                )
        except (PlanningError, ValueError) as exc:
            c.window.statusBar().showMessage(f"Suggestion not applied: {exc}", 8000)

    def _on_margin_value_changed(self, value: float) -> None:
        settings = self.controller.case.settings
        if abs(settings.margin_mm - value) > 1e-9:
            self.controller.push(SetSettings(replace(settings, margin_mm=value), merge_id="coverage-margin"))

    def _on_warn_distance_changed(self, value: float) -> None:
        settings = self.controller.case.settings
        if abs(settings.heat_warn_distance_mm - value) > 1e-9:
            self.controller.push(
                SetSettings(replace(settings, heat_warn_distance_mm=value), merge_id="coverage-warn-distance")
            )


def _mm_box(high_mm: float, tip: str) -> QDoubleSpinBox:
    """A 0-``high_mm`` case setting in mm, 0.1 mm steps, taken when editing is finished."""
    box = QDoubleSpinBox()
    box.setRange(0.0, high_mm)
    box.setDecimals(1)
    box.setSuffix(" mm")
    box.setKeyboardTracking(False)
    box.setToolTip(tip)
    return box
