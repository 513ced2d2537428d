"""The Needles dock: needles of the case, proposals, live readouts, needle and ablation-device choices.

Readouts (recomputed from the Case on every change, so they follow a drag live): length; tip depth
below the skin against the needle's length; craniocaudal and mediolateral angles (conventions of
planning.trajectory); narrowest pedicle width against the needle's outer diameter; pedicle
clearance; smallest distance from the needle surface to the canal (red when the needle enters it or
breaches the pedicle's medial wall); forbidden structures crossed. Choices (gauge, length, antenna
extension, device profile or custom zone, pull-back positions) are pushed as commands. Units mm,
degrees; positions LPS mm.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from planning.commands import AddTrajectory, RemoveTrajectory, UpdateTrajectory
from planning.errors import PlanningError
from planning.model import NEEDLE_OUTER_DIAMETER_MM, AblationSpec, Approach, Trajectory, as_point

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController

RED = "color: #ff5c5c; font-weight: bold;"
AMBER = "color: #ffb347;"
OK = "color: #9be39b;"
CUSTOM = "Custom dimensions…"
NONE_PROFILE = "(no device)"
#: ``Trajectory.extra`` key set False on a route proposed without a traced pedicle (the plan runner's
#: saved cases use the same key): the panel keeps warning about it while the needle exists
PEDICLE_TRACED_KEY = "pedicle_traced"
UNTRACED_NOTE = (
    "{side} pedicle not traced: this {approach} route was built from the body and the canal alone; "
    "check the pedicle, rib head, pleura, nerve root and segmental vessels on the images"
)


class TrajectoryPanel(QWidget):
    """Needle list, proposals, readouts and choices for the selected needle."""

    def __init__(
        self, controller: PlanningController, tool_action: Any, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)

        top = QHBoxLayout()
        top.addWidget(QLabel("Target"))
        self.target_combo = QComboBox()
        self.target_combo.setToolTip("The lesion new needles are for")
        top.addWidget(self.target_combo, 1)
        layout.addLayout(top)
        self.list = QListWidget()
        self.list.setMaximumHeight(90)
        layout.addWidget(self.list)
        row = QHBoxLayout()
        self.tool_button = QPushButton("Place (N)")
        self.tool_button.setCheckable(True)
        self.tool_button.setToolTip("Click the entry, then the tip, in any 2D view; drag the E / T handles")
        self.tool_button.toggled.connect(tool_action.setChecked)
        tool_action.toggled.connect(self.tool_button.setChecked)
        self.delete_button = QPushButton("Delete")
        row.addWidget(self.tool_button)
        row.addWidget(self.delete_button)
        layout.addLayout(row)
        prop = QHBoxLayout()
        self.propose_buttons: dict[str, QPushButton] = {}
        for key, text, tip in (
            (
                "left",
                "Left",
                "Transpedicular needle through the left pedicle of the target's vertebra "
                "(beside it, flagged, when the pedicle was not traced)",
            ),
            ("right", "Right", "Transpedicular needle through the right pedicle (beside it when not traced)"),
            ("bilateral", "Bilateral", "Both needles (transpedicular; beside a pedicle not traced)"),
            ("direct", "Direct", "Extraspinal: from the crosshair (a skin point) through the lesion centre"),
        ):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(lambda _=False, k=key: self.propose(k))
            prop.addWidget(b)
            self.propose_buttons[key] = b
        layout.addWidget(QLabel("Propose:"))
        layout.addLayout(prop)

        box = QGroupBox("Readouts")
        form = QFormLayout(box)
        self.readouts: dict[str, QLabel] = {}
        for key, label in (
            ("length", "Length"),
            ("depth", "Skin to tip"),
            ("cc", "Craniocaudal"),
            ("ml", "Mediolateral"),
            ("pedicle", "Pedicle width"),
            ("clearance", "Pedicle clearance"),
            ("canal", "To canal"),
            ("crossed", "Crosses"),
        ):
            lab = QLabel("–")
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, lab)
            self.readouts[key] = lab
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(AMBER)
        form.addRow(self.warnings)
        layout.addWidget(box)

        needle = QGroupBox("Needle")
        nform = QFormLayout(needle)
        self.gauge = QComboBox()
        for g, od in sorted(NEEDLE_OUTER_DIAMETER_MM.items()):
            self.gauge.addItem(f"{g} G ({od:.2f} mm)", g)
        self.length = self._spin(10.0, 400.0, 150.0, " mm", "Usable length of the access needle")
        self.extension = self._spin(0.0, 60.0, 15.0, " mm", "Antenna tip beyond the needle tip (1.5-2.0 cm)")
        nform.addRow("Gauge", self.gauge)
        nform.addRow("Length", self.length)
        nform.addRow("Antenna beyond tip", self.extension)
        layout.addWidget(needle)

        abl = QGroupBox("Ablation zone")
        aform = QFormLayout(abl)
        self.profile = QComboBox()
        self.profile.setToolTip("Device profile (CLINICAL.md zone table); unverified figures are marked")
        self.zone_width = self._spin(1.0, 120.0, 35.0, " mm", "Zone diameter across the antenna")
        self.zone_length = self._spin(1.0, 120.0, 37.0, " mm", "Zone extent along the antenna")
        self.zone_centre = self._spin(-60.0, 60.0, 11.5, " mm", "Zone centre behind the antenna tip")
        self.positions = QLineEdit("0")
        self.positions.setToolTip("Pull-back offsets of the antenna tip along the needle, mm (e.g. 0, 25)")
        self.source = QLabel("")
        self.source.setWordWrap(True)
        aform.addRow("Device", self.profile)
        aform.addRow("Width", self.zone_width)
        aform.addRow("Length", self.zone_length)
        aform.addRow("Centre behind tip", self.zone_centre)
        aform.addRow("Pull-backs", self.positions)
        aform.addRow(self.source)
        layout.addWidget(abl)
        layout.addStretch(1)

        self.target_combo.currentIndexChanged.connect(self._on_target_combo_changed)
        self.list.currentRowChanged.connect(self._on_list_row_changed)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.gauge.currentIndexChanged.connect(lambda _i: self._push_needle())
        self.length.editingFinished.connect(self._push_needle)
        self.extension.editingFinished.connect(self._push_needle)
        self.profile.currentIndexChanged.connect(lambda _i: self._push_ablation())
        for spin in (self.zone_width, self.zone_length, self.zone_centre):
            spin.editingFinished.connect(self._push_ablation)
        self.positions.editingFinished.connect(self._push_ablation)
        controller.plan_changed.connect(self.refresh)
        controller.selection_changed.connect(self.refresh)
        self._fill_profiles()
        self.refresh()

    # -- refresh from the model -----------------------------------------------------------------
    def refresh(self) -> None:
        """Show the case's needles and the selected one's readouts and choices."""
        c = self.controller
        with QSignalBlocker(self.target_combo), QSignalBlocker(self.list):
            names = list(c.case.targets)
            if [self.target_combo.itemText(i) for i in range(self.target_combo.count())] != names:
                self.target_combo.clear()
                self.target_combo.addItems(names)
            t = c.target()
            self.target_combo.setCurrentIndex(names.index(t.name) if t is not None else -1)
            trajs = list(c.case.trajectories)
            if [self.list.item(i).text() for i in range(self.list.count())] != trajs:
                self.list.clear()
                self.list.addItems(trajs)
            self.list.setCurrentRow(trajs.index(c.selected) if c.selected in trajs else -1)
        traj = c.trajectory()
        self.delete_button.setEnabled(traj is not None)
        self._show_readouts(traj)
        self._show_choices(traj)

    def _show_readouts(self, traj: Trajectory | None) -> None:
        for lab in self.readouts.values():
            lab.setText("–")
            lab.setStyleSheet("")
        self.warnings.setText("")
        if traj is None:
            return
        m = self.controller.metrics(traj)
        if m is None:
            return
        r = self.readouts
        od = NEEDLE_OUTER_DIAMETER_MM[traj.needle_gauge]
        r["length"].setText(f"{m.length_mm:.1f} mm")
        lower = "" if m.skin_found else " (≥, skin not found)"
        depth = f"{m.skin_depth_mm:.1f} mm{lower} / needle {traj.needle_length_mm:.0f} mm"
        r["depth"].setText(depth)
        r["depth"].setStyleSheet(RED if m.skin_depth_mm > traj.needle_length_mm else "")
        r["cc"].setText(f"{m.craniocaudal_deg:+.1f}° ({'cranial' if m.craniocaudal_deg >= 0 else 'caudal'})")
        r["ml"].setText(
            f"{m.mediolateral_deg:+.1f}° (towards {'left' if m.mediolateral_deg >= 0 else 'right'})"
        )
        width = self.controller.pedicle_width_mm(traj)
        untraced = traj.extra.get(PEDICLE_TRACED_KEY) is False
        if width is not None:
            r["pedicle"].setText(f"{width:.1f} mm vs needle {od:.2f} mm")
            r["pedicle"].setStyleSheet(RED if width < od else OK)
        elif untraced:
            r["pedicle"].setText("not traced: check it on the images")
            r["pedicle"].setStyleSheet(AMBER)
        else:
            r["pedicle"].setText("not known (propose from the vertebra)")
        if m.pedicle_clearance_mm is not None:
            r["clearance"].setText(f"{m.pedicle_clearance_mm:.1f} mm")
            r["clearance"].setStyleSheet(RED if m.pedicle_clearance_mm < 0 else OK)
        if m.canal_distance_mm is not None:
            medial = self._medial_breach(traj, m)
            text = f"{m.canal_distance_mm:.1f} mm"
            if m.canal_distance_mm < 0:
                text += " — ENTERS THE CANAL"
            elif medial:
                text += " — MEDIAL WALL BREACH"
            r["canal"].setText(text)
            r["canal"].setStyleSheet(
                RED if (m.canal_distance_mm < 0 or medial) else (AMBER if m.canal_distance_mm < 2 else OK)
            )
        else:
            r["canal"].setText("no canal layer")
        r["crossed"].setText(", ".join(m.crossed) if m.crossed else "none")
        r["crossed"].setStyleSheet(RED if m.crossed else "")
        warnings = list(m.warnings)
        if untraced:
            side = traj.approach.value.rsplit("-", 1)[-1]
            warnings.insert(0, UNTRACED_NOTE.format(side=side.capitalize(), approach=traj.approach.value))
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings))

    def _medial_breach(self, traj: Trajectory, m: Any) -> bool:
        """The pedicle cortex is breached on its canal side (clearance < 0, canal closer than the axis)."""
        if m.pedicle_clearance_mm is None or m.pedicle_clearance_mm >= 0 or m.canal_closest_lps is None:
            return False
        anatomy = self.controller.anatomy(traj.target)
        if anatomy is None:
            return False
        canal = np.asarray(anatomy.canal_centroid_lps)
        tip, entry = np.asarray(traj.target_lps), np.asarray(traj.entry_lps)
        # the needle's lateral offset from the canal centre shrinks towards the tip = medial drift
        return bool(abs(float(tip[0] - canal[0])) < abs(float(entry[0] - canal[0])))

    def _show_choices(self, traj: Trajectory | None) -> None:
        widgets = (
            self.gauge,
            self.length,
            self.extension,
            self.profile,
            self.zone_width,
            self.zone_length,
            self.zone_centre,
            self.positions,
        )
        for w in widgets:
            w.setEnabled(traj is not None)
        if traj is None:
            self.source.setText("")
            return
        blockers = [QSignalBlocker(w) for w in widgets]
        self.gauge.setCurrentIndex(self.gauge.findData(traj.needle_gauge))
        self.length.setValue(traj.needle_length_mm)
        self.extension.setValue(traj.antenna_extension_mm)
        spec = traj.ablation
        name = spec.profile or (CUSTOM if spec.is_custom else NONE_PROFILE)
        self.profile.setCurrentIndex(max(0, self.profile.findData(name)))
        zm = self.controller.zone_model(traj)
        for spin, value in (
            (self.zone_width, zm.width_mm),
            (self.zone_length, zm.length_mm),
            (self.zone_centre, zm.center_behind_tip_mm),
        ):
            if value is not None:
                spin.setValue(value)
        custom = name == CUSTOM
        self.zone_width.setEnabled(custom)
        self.zone_length.setEnabled(custom)
        self.zone_centre.setEnabled(
            custom
            or (bool(spec.profile) and zm.center_behind_tip_mm is None)
            or spec.center_behind_tip_mm is not None
        )
        self.positions.setText(", ".join(f"{p:g}" for p in traj.ablation_positions_mm))
        text = zm.label if zm.valid else zm.reason
        self.source.setText(text)
        self.source.setStyleSheet(AMBER if (zm.unverified or not zm.valid) else "")
        del blockers

    # -- pushes ---------------------------------------------------------------------------------
    def _update(self, traj: Trajectory, new: Trajectory) -> None:
        if new != traj:
            self.controller.push(UpdateTrajectory(traj.name, new))

    def _push_needle(self) -> None:
        traj = self.controller.trajectory()
        if traj is None:
            return
        try:
            new = replace(
                traj,
                needle_gauge=int(self.gauge.currentData()),
                needle_length_mm=self.length.value(),
                antenna_extension_mm=self.extension.value(),
            )
        except (PlanningError, ValueError) as exc:
            self.controller.window.statusBar().showMessage(str(exc), 8000)
            return
        self._update(traj, new)

    def _push_ablation(self) -> None:
        traj = self.controller.trajectory()
        if traj is None:
            return
        name = self.profile.currentData()
        try:
            positions = tuple(
                float(v) for v in self.positions.text().replace(";", ",").split(",") if v.strip()
            )
            if name == CUSTOM:
                spec = AblationSpec(
                    width_mm=self.zone_width.value(),
                    length_mm=self.zone_length.value(),
                    center_behind_tip_mm=self.zone_centre.value(),
                )
            elif name == NONE_PROFILE:
                spec = AblationSpec()
            else:
                p = self.controller.profiles()[name]
                centre = None
                if p.center_behind_tip_mm is None:
                    centre = self.zone_centre.value()
                spec = AblationSpec(
                    profile=name, power_w=p.power_w[0], duration_s=p.time_s[0] if p.time_s else None
                )
                if centre is not None:
                    spec = AblationSpec(
                        profile=name,
                        width_mm=p.width_mm,
                        length_mm=p.length_mm,
                        center_behind_tip_mm=centre,
                        power_w=p.power_w[0],
                    )
            new = replace(traj, ablation=spec, ablation_positions_mm=positions or (0.0,))
        except (PlanningError, ValueError, KeyError) as exc:
            self.controller.window.statusBar().showMessage(f"Ablation not changed: {exc}", 8000)
            self._show_choices(traj)
            return
        self._update(traj, new)

    def _fill_profiles(self) -> None:
        with QSignalBlocker(self.profile):
            self.profile.clear()
            self.profile.addItem(NONE_PROFILE, NONE_PROFILE)
            for name, p in self.controller.profiles().items():
                flag = " — unverified" if p.unverified else ""
                self.profile.addItem(f"{name}{flag}", name)
                self.profile.setItemData(
                    self.profile.count() - 1, f"{p.source}{flag}", Qt.ItemDataRole.ToolTipRole
                )
            self.profile.addItem(CUSTOM, CUSTOM)

    @staticmethod
    def _spin(lo: float, hi: float, value: float, suffix: str, tip: str) -> QDoubleSpinBox:
        s = QDoubleSpinBox()
        s.setRange(lo, hi)
        s.setDecimals(1)
        s.setValue(value)
        s.setSuffix(suffix)
        s.setToolTip(tip)
        s.setKeyboardTracking(False)
        return s

    # -- handlers -------------------------------------------------------------------------------
    def _on_target_combo_changed(self, index: int) -> None:
        self.controller.select_target(self.target_combo.itemText(index) if index >= 0 else None)

    def _on_list_row_changed(self, row: int) -> None:
        self.controller.select(self.list.item(row).text() if row >= 0 else None)

    def _on_delete_clicked(self) -> None:
        if self.controller.selected is not None:
            self.controller.push(RemoveTrajectory(self.controller.selected))

    # -- proposals ------------------------------------------------------------------------------
    def propose(self, kind: str) -> None:
        """Propose needles for the selected target: ``left``, ``right``, ``bilateral`` or ``direct``."""
        c = self.controller
        target = c.target()
        status = c.window.statusBar()
        if target is None or c.volume is None:
            status.showMessage("Propose: segment a lesion first (a target is needed)", 8000)
            return
        if kind == "direct":
            self._propose_direct(target)
            return
        if target.vertebra_lps is None:
            status.showMessage(f"{target.name} has no vertebra: use Direct or place the needle by hand", 8000)
            return
        if c.anatomy(target.name) is None:
            c.request_anatomy(target.name, lambda value: self._after_anatomy(kind, target.name, value))
            return
        self._propose_spine(kind, target.name)

    def _after_anatomy(self, kind: str, target: str, value: object) -> None:
        if not isinstance(value, BaseException):
            self._propose_spine(kind, target)

    def _propose_spine(self, kind: str, target: str) -> None:
        """Transpedicular proposals on the asked sides, as ``planning.proposals.propose_side`` makes
        them: a side whose pedicle the anatomy did not trace gets the route built from the body and
        canal (``propose_untraced_side``, ``extra["pedicle_traced"]`` False on the trajectory); a narrow
        pedicle adds its alternative route. All the needles added form one undo step."""
        from planning.proposals import propose_side

        c = self.controller
        anatomy = c.anatomy(target)
        vol = c.volume
        if anatomy is None or vol is None:
            return
        template = c.trajectory()
        gauge = template.needle_gauge if template is not None else 13
        ext = template.antenna_extension_mm if template is not None else 15.0
        sides = ["left", "right"] if kind == "bilateral" else [kind]
        proposals = []
        failures = []
        for side in sides:
            try:
                proposals.append(
                    propose_side(
                        vol,
                        anatomy,
                        side,
                        outer_diameter_mm=NEEDLE_OUTER_DIAMETER_MM[gauge],
                        antenna_extension_mm=ext,
                    )
                )
            except (PlanningError, ValueError, KeyError) as exc:
                failures.append(f"No {side} proposal: {exc}")
        notes = list(failures)
        stack = c.window.case.undo_stack
        stack.beginMacro(f"Propose {kind}")
        try:
            for p in proposals:
                extra = {} if p.pedicle_traced else {PEDICLE_TRACED_KEY: False}
                name = self._add_proposal(
                    target, p.approach, p.geometry.entry_lps, p.geometry.target_lps, template, extra
                )
                if not p.pedicle_traced:
                    notes.append(f"{name}: {p.approach.value} proposed, its pedicle not traced")
                if p.narrow and p.alternative is not None:
                    notes.append(
                        f"{name}: narrow pedicle ({p.pedicle_min_width_mm:.1f} mm); "
                        f"alternative {p.alternative.approach.value} proposed too"
                    )
                    self._add_proposal(
                        target,
                        p.alternative.approach,
                        p.alternative.geometry.entry_lps,
                        p.alternative.geometry.target_lps,
                        template,
                    )
                notes += list(p.warnings)
        finally:
            stack.endMacro()
        if notes:
            c.window.statusBar().showMessage("; ".join(notes), 12000)

    def _propose_direct(self, target: Any) -> None:
        from planning.proposals import propose_direct

        c = self.controller
        lesion = c.lesion_mask(target)
        if lesion is None or c.volume is None:
            c.window.statusBar().showMessage(f"{target.name} has no lesion mask on this image", 8000)
            return
        skin = c.window.state.crosshair_lps
        try:
            p = propose_direct(c.volume, lesion, as_point(skin))
        except (PlanningError, ValueError) as exc:
            c.window.statusBar().showMessage(f"No direct proposal: {exc}", 8000)
            return
        self._add_proposal(
            target.name, Approach.DIRECT, p.geometry.entry_lps, p.geometry.target_lps, c.trajectory()
        )

    def _add_proposal(  # noqa: PLR0917 - the proposal's parts, as the callers have them
        self,
        target: str,
        approach: Approach,
        entry: Any,
        tip: Any,
        template: Trajectory | None,
        extra: dict[str, bool] | None = None,
    ) -> str:
        c = self.controller
        name = c.new_trajectory_name(target)
        traj = Trajectory(name, target, approach, entry, tip, extra=extra or {})
        if template is not None:
            traj = replace(
                traj,
                needle_gauge=template.needle_gauge,
                needle_length_mm=template.needle_length_mm,
                antenna_extension_mm=template.antenna_extension_mm,
                ablation=template.ablation,
            )
        c.push(AddTrajectory(traj))
        c.select(name)
        return name
