"""The Needles dock: needles of the case, proposals, live readouts, needle and ablation-device choices.

The panel holds the target choice, the needle list, the Place / Delete and Propose buttons (proposals
made by :class:`app.planning_ui.needle_proposals.NeedleProposer`) with the case's pedicle safety margin
(``PlanSettings.pedicle_safety_margin_mm``: the proposals and the pedicle readouts judge a pedicle
against the needle plus it) and least needle depth of a direct route the program chooses
(``PlanSettings.min_needle_depth_mm``), each change one undo step, the readouts of the selected needle
(:class:`app.planning_ui.needle_readouts.NeedleReadoutsBox`, recomputed from the Case on every change,
so they follow a drag live) and its choices. Choices (gauge, length, antenna extension, device profile
or custom zone, pull-back positions) are pushed as commands. Units mm, degrees; positions LPS mm.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.planning_ui.ablation_choices import CUSTOM, NONE_PROFILE, AblationChoicesBox, spin_box
from app.planning_ui.needle_proposals import NeedleProposer
from app.planning_ui.needle_readouts import NeedleReadoutsBox
from app.theme import AMBER, RED
from app.undo_keys import route_undo_to_case
from planning.commands import RemoveTrajectory, SetSettings, UpdateTrajectory
from planning.errors import PlanningError
from planning.model import (
    DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
    HELD_NEEDLE_DEPTH_MM,
    MAX_NEEDLE_DEPTH_MM,
    MAX_PEDICLE_SAFETY_MARGIN_MM,
    NEEDLE_OUTER_DIAMETER_MM,
    Trajectory,
)

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController

__all__ = ["CUSTOM", "NONE_PROFILE", "TrajectoryPanel"]

#: rows of the needle list shown before it scrolls
LIST_ROWS_SHOWN = 3
#: gauge, length (mm) and antenna extension (mm) a needle gets when no needle is selected to copy them
#: from (the needle tool and the proposals): the Trajectory defaults (CLINICAL.md "Needles")
NEW_NEEDLE_CHOICES: tuple[int, float, float] = (
    Trajectory.needle_gauge,
    Trajectory.needle_length_mm,
    Trajectory.antenna_extension_mm,
)
#: the tabs of the needle and of its zone; the needle's is marked while a readout needs attention
NEEDLE_TAB = "Needle"
ZONE_TAB = "Ablation zone"
ATTENTION_MARK = " ⚠"
#: the least-depth box's tooltip: what it does and why (the reason of planning.model.HELD_NEEDLE_DEPTH_MM)
MIN_DEPTH_TIP = (
    "When the program chooses the direct route (Direct with the crosshair in or near the lesion), the "
    "needle tip lies at least this far under the skin along the needle, so that the tissue holds the "
    "needle: the 10-15 cm access needle stands free between the CT checks and carries the antenna, and "
    f"with less than about a centimetre of tissue round it, it tips over (default {HELD_NEEDLE_DEPTH_MM:g} "
    "mm, a planning choice: CLINICAL.md gives no figure). Saved with the case; the plan command reads it "
    'as "min_needle_depth_mm".'
)
#: the pedicle margin box's tooltip: what the margin does, and where its default comes from
PEDICLE_MARGIN_TIP = (
    "Safety margin added to the needle's outer diameter wherever a pedicle's narrowest width is judged: "
    "the Left / Right / Bilateral proposals (a pedicle narrower than the needle plus this margin gets "
    "its alternative route proposed too), the Pedicle width readout (amber, with a warning, when the "
    "width or the low end of its range is under the needle plus this margin) and the Pedicle clearance "
    f"readout (amber under half of it). Default {DEFAULT_PEDICLE_SAFETY_MARGIN_MM:g} mm, "
    f"0-{MAX_PEDICLE_SAFETY_MARGIN_MM:g} mm: a planning choice; CLINICAL.md says only that a needle whose "
    "outer diameter exceeds the pedicle's narrowest width calls for a parapedicular or "
    'transcostovertebral route. Saved with the case; the plan command reads it as "pedicle_safety_margin_mm".'
)
#: spacing between rows and sections, pixels (Fusion's default is 6): the dock's rows stay readable
COMPACT_SPACING_PX = 3


class TrajectoryPanel(QWidget):
    """Needle list, proposals, readouts and choices for the selected needle."""

    def __init__(
        self, controller: PlanningController, tool_action: Any, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.proposer = NeedleProposer(controller)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)

        top = QHBoxLayout()  # target, Place and Delete on one row: the dock is short (see below)
        top.addWidget(QLabel("Target"))
        self.target_combo = QComboBox()
        self.target_combo.setToolTip("The lesion new needles are for")
        top.addWidget(self.target_combo, 1)
        self.tool_button = QPushButton("Place (N)")
        self.tool_button.setCheckable(True)
        self.tool_button.setToolTip("Click the entry, then the tip, in any 2D view; drag the E / T handles")
        self.tool_button.toggled.connect(tool_action.setChecked)
        tool_action.toggled.connect(self.tool_button.setChecked)
        self.delete_button = QPushButton("Delete")
        top.addWidget(self.tool_button)
        top.addWidget(self.delete_button)
        layout.addLayout(top)
        self.list = QListWidget()
        # three needles show (a bilateral pair and one more); more scroll inside the list
        row_px = self.list.fontMetrics().height() + 4
        self.list.setMaximumHeight(LIST_ROWS_SHOWN * row_px + 2 * self.list.frameWidth())
        layout.addWidget(self.list)
        prop = QHBoxLayout()
        prop.addWidget(QLabel("Propose"))
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
        layout.addLayout(prop)
        pedicle = QHBoxLayout()
        self.pedicle_margin_label = QLabel("Pedicle: needle +")
        self.pedicle_margin_label.setToolTip(PEDICLE_MARGIN_TIP)
        pedicle.addWidget(self.pedicle_margin_label)
        self.pedicle_margin = spin_box(
            0.0, MAX_PEDICLE_SAFETY_MARGIN_MM, DEFAULT_PEDICLE_SAFETY_MARGIN_MM, " mm", PEDICLE_MARGIN_TIP
        )
        # two decimals: a margin the plan command set (its spec takes any figure) is shown as it is used
        self.pedicle_margin.setDecimals(2)
        self.pedicle_margin.setSingleStep(0.5)
        pedicle.addWidget(self.pedicle_margin)
        pedicle.addWidget(QLabel("safety margin"))
        pedicle.addStretch(1)
        layout.addLayout(pedicle)
        depth = QHBoxLayout()
        self.min_depth_label = QLabel("Direct route: needle tip ≥")
        self.min_depth_label.setToolTip(MIN_DEPTH_TIP)
        depth.addWidget(self.min_depth_label)
        self.min_depth = spin_box(0.0, MAX_NEEDLE_DEPTH_MM, HELD_NEEDLE_DEPTH_MM, " mm", MIN_DEPTH_TIP)
        depth.addWidget(self.min_depth)
        depth.addWidget(QLabel("under the skin"))
        depth.addStretch(1)
        layout.addLayout(depth)

        self.readouts_box = NeedleReadoutsBox(controller)
        self.readouts = self.readouts_box.readouts
        self.warnings = self.readouts_box.warnings
        needle = QGroupBox()  # its tab names it
        nform = QFormLayout(needle)
        self.gauge = QComboBox()
        for g, od in sorted(NEEDLE_OUTER_DIAMETER_MM.items()):
            self.gauge.addItem(f"{g} G ({od:.2f} mm)", g)
        self.length = spin_box(10.0, 400.0, 150.0, " mm", "Usable length of the access needle")
        self.extension = spin_box(0.0, 60.0, 15.0, " mm", "Antenna tip beyond the needle tip (1.5-2.0 cm)")
        self.gauge.setToolTip("Access needle gauge (outer diameter)")
        #: the fields' own tooltips (a word is added while no needle is selected)
        self._tips = {w: w.toolTip() for w in (self.gauge, self.length, self.extension)}
        nform.addRow("Gauge", self.gauge)
        nform.addRow("Length", self.length)
        nform.addRow("Antenna beyond tip", self.extension)
        self.ablation_box = AblationChoicesBox(controller)
        self.ablation_box.setTitle("")  # its tab names it
        for box in (self.readouts_box, needle, self.ablation_box):
            _compact(box)

        # The needle (its readouts and choices) and the ablation zone are two tabs: one under the other
        # they were taller than the dock at a 1700x1100 window, where it shares the right column with
        # the Layers, Lesions and Mask editing docks, and the zone's box lay below the fold
        # (tests/app/test_planning_ui_layout.py).
        self.sections = QTabWidget()
        self.sections.setDocumentMode(True)
        needle_page = QWidget()
        page = QVBoxLayout(needle_page)
        page.setContentsMargins(0, COMPACT_SPACING_PX, 0, 0)
        page.setSpacing(COMPACT_SPACING_PX)
        page.addWidget(self.readouts_box)
        page.addWidget(needle)
        page.addStretch(1)
        zone_page = QWidget()
        page = QVBoxLayout(zone_page)
        page.setContentsMargins(0, COMPACT_SPACING_PX, 0, 0)
        page.addWidget(self.ablation_box)
        page.addStretch(1)
        self.sections.addTab(needle_page, NEEDLE_TAB)
        self.sections.addTab(zone_page, ZONE_TAB)
        self.sections.setTabToolTip(
            0,
            "Readouts of the selected needle (the tab is marked ⚠ while one needs attention); "
            "its gauge, length and antenna extension",
        )
        self.sections.setTabToolTip(1, "Device profile or custom zone, power, time and pull-backs")
        layout.addWidget(self.sections)
        layout.addStretch(1)
        layout.setSpacing(COMPACT_SPACING_PX)

        self.target_combo.currentIndexChanged.connect(self._on_target_combo_changed)
        self.list.currentRowChanged.connect(self._on_list_row_changed)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.gauge.currentIndexChanged.connect(lambda _i: self._push_needle())
        self.length.editingFinished.connect(self._push_needle)
        self.extension.editingFinished.connect(self._push_needle)
        self.min_depth.valueChanged.connect(self._on_min_depth_changed)
        self.pedicle_margin.valueChanged.connect(self._on_pedicle_margin_changed)
        controller.plan_changed.connect(self.refresh)
        controller.selection_changed.connect(self.refresh)
        route_undo_to_case(self)  # Ctrl+Z after Enter in a field undoes that change
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
        with QSignalBlocker(self.min_depth), QSignalBlocker(self.pedicle_margin):
            self.min_depth.setValue(c.case.settings.min_needle_depth_mm)
            self.pedicle_margin.setValue(c.case.settings.pedicle_safety_margin_mm)
        traj = c.trajectory()
        self.delete_button.setEnabled(traj is not None)
        self.readouts_box.show_readouts(traj)
        self._show_choices(traj)
        self._mark_needle_tab()

    def needs_attention(self) -> bool:
        """True when a readout of the selected needle is red or amber, or a warning is shown."""
        flagged = (RED, AMBER)
        return bool(self.warnings.text()) or any(
            lab.styleSheet() in flagged for lab in self.readouts.values()
        )

    def propose(self, kind: str) -> None:
        """Propose needles for the selected target: ``left``, ``right``, ``bilateral`` or ``direct``."""
        self.proposer.propose(kind)

    def _show_choices(self, traj: Trajectory | None) -> None:
        widgets = (self.gauge, self.length, self.extension)
        for w in widgets:
            w.setEnabled(traj is not None)
        self.ablation_box.show_choices(traj)
        # no needle selected: the (disabled) fields show what the next needle placed or proposed gets, the
        # Trajectory defaults (the combo's first item, "10 G", read while a proposal got 13 G; QA s30 D5)
        gauge, length, extension = (
            (traj.needle_gauge, traj.needle_length_mm, traj.antenna_extension_mm)
            if traj is not None
            else NEW_NEEDLE_CHOICES
        )
        blockers = [QSignalBlocker(w) for w in widgets]
        self.gauge.setCurrentIndex(self.gauge.findData(gauge))
        self.length.setValue(length)
        self.extension.setValue(extension)
        del blockers
        for w in widgets:
            said = self._tips[w]
            w.setToolTip(said if traj is not None else f"{said}. No needle selected: a new needle gets this")

    def _mark_needle_tab(self) -> None:
        # the readouts hide while the zone's tab is shown: a danger or caution there marks their tab
        self.sections.setTabText(0, NEEDLE_TAB + (ATTENTION_MARK if self.needs_attention() else ""))

    # -- pushes ---------------------------------------------------------------------------------
    def _update(self, traj: Trajectory, new: Trajectory) -> None:
        if new != traj:
            self.controller.push(UpdateTrajectory(traj.name, new, previous=traj))

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

    # -- handlers -------------------------------------------------------------------------------
    def _on_target_combo_changed(self, index: int) -> None:
        self.controller.select_target(self.target_combo.itemText(index) if index >= 0 else None)

    def _on_list_row_changed(self, row: int) -> None:
        self.controller.select(self.list.item(row).text() if row >= 0 else None)

    def _on_min_depth_changed(self, value: float) -> None:
        settings = self.controller.case.settings
        if abs(settings.min_needle_depth_mm - value) > 1e-9:
            self.controller.push(
                SetSettings(replace(settings, min_needle_depth_mm=value), merge_id="needles-min-depth")
            )

    def _on_pedicle_margin_changed(self, value: float) -> None:
        settings = self.controller.case.settings
        if abs(settings.pedicle_safety_margin_mm - value) > 1e-9:
            self.controller.push(
                SetSettings(
                    replace(settings, pedicle_safety_margin_mm=value), merge_id="needles-pedicle-margin"
                )
            )

    def _on_delete_clicked(self) -> None:
        if self.controller.selected is not None:
            self.controller.push(RemoveTrajectory(self.controller.selected))


def _compact(box: QGroupBox) -> None:
    """Tighter rows and margins for a group box whose layout is a form."""
    form = box.layout()
    if isinstance(form, QFormLayout):
        form.setVerticalSpacing(COMPACT_SPACING_PX)
        form.setContentsMargins(6, COMPACT_SPACING_PX, 6, COMPACT_SPACING_PX)
