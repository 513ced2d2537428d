"""The "Ablation zone" box of the Needles dock: device profile or custom zone, power, time, pull-backs.

A device profile gives the zone's width and length (CLINICAL.md "Microwave ablation zone models"). Some
profiles (the ECO-100A1 bone figures) state only a diameter, not where the zone's centre lies behind the
antenna tip: choosing one asks the operator for that distance, and the zone's label says it was entered
by the operator; cancelling leaves the needle's ablation as it was. A profile whose power or time is a
range (60-80 W) records the power and time the operator plans, shown and editable, starting at the low
end of the range. A profile measured in a tissue other than bone (the NeuWave kidney, Emprint liver
figures) says so in amber under the choices. Every choice is pushed as one undoable command. Units mm,
W, minutes on screen (seconds in the model).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.theme import AMBER
from planning.commands import UpdateTrajectory
from planning.devices import DeviceProfile, measured_in_bone
from planning.errors import PlanningError
from planning.model import AblationSpec, Trajectory

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController

CUSTOM = "Custom dimensions…"
NONE_PROFILE = "(no device)"
#: the centre-behind-tip spin box's range, mm (as the command line's plan spec allows)
CENTRE_RANGE_MM = (-60.0, 60.0)

__all__ = ["CENTRE_RANGE_MM", "CUSTOM", "NONE_PROFILE", "AblationChoicesBox", "spin_box"]


def spin_box(lo: float, hi: float, value: float, suffix: str, tip: str) -> QDoubleSpinBox:
    """A one-decimal spin box that reports only finished edits (no keyboard tracking)."""
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setDecimals(1)
    s.setValue(value)
    s.setSuffix(suffix)
    s.setToolTip(tip)
    s.setKeyboardTracking(False)
    return s


def _range_text(values: tuple[float, float] | None, unit: str, scale: float = 1.0) -> str:
    if values is None:
        return "not stated"
    lo, hi = values[0] / scale, values[1] / scale
    return f"{lo:g} {unit}" if lo == hi else f"{lo:g}-{hi:g} {unit}"


class AblationChoicesBox(QGroupBox):
    """Device profile, zone dimensions, power, time and pull-backs of the selected needle."""

    def __init__(self, controller: PlanningController, parent: QWidget | None = None) -> None:
        super().__init__("Ablation zone", parent)
        self.controller = controller
        form = QFormLayout(self)
        self.profile = QComboBox()
        self.profile.setToolTip("Device profile (CLINICAL.md zone table); unverified figures are marked")
        self.zone_width = spin_box(1.0, 120.0, 35.0, " mm", "Zone diameter across the antenna")
        self.zone_length = spin_box(1.0, 120.0, 37.0, " mm", "Zone extent along the antenna")
        self.zone_centre = spin_box(*CENTRE_RANGE_MM, 11.5, " mm", "Zone centre behind the antenna tip")
        self.power = spin_box(0.0, 300.0, 0.0, " W", "Power planned (the profile's range is beside it)")
        self.power.setSpecialValueText("not set")
        self.duration = spin_box(0.0, 60.0, 0.0, " min", "Ablation time planned at this position")
        # "not set" for both: a profile's own time plan (e.g. "per cycle plan") is stated beside the box
        self.duration.setSpecialValueText("not set")
        self.power_range = QLabel("")
        self.time_range = QLabel("")
        self.positions = QLineEdit("0")
        self.positions.setToolTip("Pull-back offsets of the antenna tip along the needle, mm (e.g. 0, 25)")
        self.source = QLabel("")
        self.source.setWordWrap(True)
        form.addRow("Device", self.profile)
        # width and length on one row: the box must fit the Needles dock without scrolling
        form.addRow("Width × length", self._side_by_side(self.zone_width, QLabel("×"), self.zone_length))
        form.addRow("Centre behind tip", self.zone_centre)
        form.addRow("Power", self._with_note(self.power, self.power_range))
        form.addRow("Time", self._with_note(self.duration, self.time_range))
        form.addRow("Pull-backs", self.positions)
        form.addRow(self.source)
        self.widgets = (
            self.profile,
            self.zone_width,
            self.zone_length,
            self.zone_centre,
            self.power,
            self.duration,
            self.positions,
        )
        self.profile.currentIndexChanged.connect(lambda _i: self.push(profile_chosen=True))
        for spin in (self.zone_width, self.zone_length, self.zone_centre, self.power, self.duration):
            spin.editingFinished.connect(self.push)
        self.positions.editingFinished.connect(self.push)
        self.fill_profiles()

    # -- show ---------------------------------------------------------------------------------
    def fill_profiles(self) -> None:
        """List the device profiles (shipped and the operator's), the unverified ones marked."""
        with QSignalBlocker(self.profile):
            self.profile.clear()
            self.profile.addItem(NONE_PROFILE, NONE_PROFILE)
            for name, p in self.controller.profiles().items():
                flag = " — unverified" if p.unverified else ""
                self.profile.addItem(f"{name}{flag}", name)
                measured = f"; measured in {p.tissue}" if p.tissue else ""
                self.profile.setItemData(
                    self.profile.count() - 1, f"{p.source}{flag}{measured}", Qt.ItemDataRole.ToolTipRole
                )
            self.profile.addItem(CUSTOM, CUSTOM)

    def show_choices(self, traj: Trajectory | None) -> None:
        """Show one needle's ablation choices (all disabled without a needle)."""
        for w in self.widgets:
            w.setEnabled(traj is not None)
        if traj is None:
            self.source.setText("")
            self.power_range.setText("")
            self.time_range.setText("")
            return
        blockers = [QSignalBlocker(w) for w in self.widgets]
        spec = traj.ablation
        name = spec.profile or (CUSTOM if spec.is_custom else NONE_PROFILE)
        self.profile.setCurrentIndex(max(0, self.profile.findData(name)))
        zm = self.controller.zone_model(traj)
        p = self.controller.profiles().get(spec.profile) if spec.profile else None
        shown: tuple[float | None, float | None, float | None] = (None, None, None)
        if zm is not None:
            shown = (zm.width_mm, zm.length_mm, zm.center_behind_tip_mm)
        elif p is not None:  # no zone yet (the profile does not state its centre): its size is shown
            shown = (p.width_mm, p.length_mm, None)
        for spin, value in zip((self.zone_width, self.zone_length, self.zone_centre), shown, strict=True):
            if value is not None:
                spin.setValue(value)
        custom = name == CUSTOM
        self.zone_width.setEnabled(custom)
        self.zone_length.setEnabled(custom)
        self.zone_centre.setEnabled(
            custom
            or (p is not None and p.center_behind_tip_mm is None)
            or spec.center_behind_tip_mm is not None
        )
        self.power.setValue(spec.power_w or 0.0)
        self.duration.setValue((spec.duration_s or 0.0) / 60.0)
        self.power.setEnabled(name != NONE_PROFILE)
        self.duration.setEnabled(name != NONE_PROFILE)
        self.power_range.setText(f"profile {_range_text(p.power_w, 'W')}" if p is not None else "")
        if p is not None and p.time_s is None and p.time_note:
            self.time_range.setText(f"profile: {p.time_note.split('(')[0].strip()}")
            self.time_range.setToolTip(p.time_note)
        else:
            self.time_range.setText(f"profile {_range_text(p.time_s, 'min', 60.0)}" if p is not None else "")
            self.time_range.setToolTip("")
        self.positions.setText(", ".join(f"{v:g}" for v in traj.ablation_positions_mm))
        lines = [zm.label if zm is not None else self.controller.zone_reason(traj)]
        off_range = False
        if p is not None and spec.power_w is not None and not p.power_w[0] <= spec.power_w <= p.power_w[1]:
            off_range = True
            lines.append(
                f"{spec.power_w:g} W is outside the profile's {_range_text(p.power_w, 'W')}: "
                "the zone's size is not from its source at this power"
            )
        time_s = None if p is None else p.time_s
        minutes = None if spec.duration_s is None else spec.duration_s / 60.0
        if time_s is not None and minutes is not None and not time_s[0] / 60.0 <= minutes <= time_s[1] / 60.0:
            off_range = True
            lines.append(
                f"{minutes:g} min is outside the profile's {_range_text(time_s, 'min', 60.0)}: "
                "the zone's size is not from its source at this time"
            )
        if p is not None and p.tissue and not measured_in_bone(p.tissue):
            off_range = True  # the base said nothing (QA s32 D)
            lines.append(
                f"figures measured in {p.tissue}, not bone: zones in bone are smaller, so the zone drawn "
                "may overstate the ablation"
            )
        if zm is not None and zm.center_behind_tip_mm < 0:
            off_range = True
            lines.append(
                f"the zone's centre lies {-zm.center_behind_tip_mm:g} mm beyond the antenna tip, not behind "
                "it: microwave zones centre behind the tip; check the figure"
            )
        self.source.setText("\n".join(lines))
        self.source.setStyleSheet(AMBER if (zm is None or zm.unverified or off_range) else "")
        del blockers

    # -- push ---------------------------------------------------------------------------------
    def push(self, *, profile_chosen: bool = False) -> None:
        """Push the choices shown as the selected needle's ablation (one undoable command).

        ``profile_chosen``: the device combo changed; a profile without a stated centre then asks the
        operator for it, and the power and time start at the low end of the profile's ranges.
        """
        traj = self.controller.trajectory()
        if traj is None:
            return
        try:
            new = self._chosen(traj, profile_chosen)
        except (PlanningError, ValueError, KeyError) as exc:
            self.controller.window.statusBar().showMessage(f"Ablation not changed: {exc}", 8000)
            self.show_choices(traj)
            return
        if new is None:  # the operator cancelled
            self.show_choices(traj)
            return
        if new != traj:
            self.controller.push(UpdateTrajectory(traj.name, new, previous=traj))

    def _chosen(self, traj: Trajectory, profile_chosen: bool) -> Trajectory | None:
        name = self.profile.currentData()
        positions = tuple(float(v) for v in self.positions.text().replace(";", ",").split(",") if v.strip())
        power, duration = self._power_and_time()
        if name == CUSTOM:
            spec = AblationSpec(
                width_mm=self.zone_width.value(),
                length_mm=self.zone_length.value(),
                center_behind_tip_mm=self.zone_centre.value(),
                power_w=power,
                duration_s=duration,
            )
        elif name == NONE_PROFILE:
            spec = AblationSpec()
        else:
            p = self.controller.profiles()[name]
            same = traj.ablation.profile == name
            if not same or profile_chosen:  # a newly chosen profile: its power and time (low end of a range)
                power, duration = p.power_w[0], (p.time_s[0] if p.time_s else None)
            known = traj.ablation.center_behind_tip_mm if same else None
            if known is not None:  # the operator's earlier value, or their edit of it
                centre: float | None = known if profile_chosen else self.zone_centre.value()
            elif p.center_behind_tip_mm is None:
                centre = self.ask_centre(p)
                if centre is None:
                    return None
            else:
                centre = None  # the profile's own
            if centre is None:
                spec = AblationSpec(profile=name, power_w=power, duration_s=duration)
            else:
                spec = AblationSpec(
                    profile=name,
                    width_mm=p.width_mm,
                    length_mm=p.length_mm,
                    center_behind_tip_mm=centre,
                    power_w=power,
                    duration_s=duration,
                )
        return replace(traj, ablation=spec, ablation_positions_mm=positions or (0.0,))

    def _power_and_time(self) -> tuple[float | None, float | None]:
        """Power (W) and time (s) shown; None where the spin box shows "not set"."""
        power = self.power.value()
        minutes = self.duration.value()
        return (power or None), (minutes * 60.0 if minutes else None)

    def ask_centre(self, profile: DeviceProfile) -> float | None:
        """Ask where the zone's centre lies behind the antenna tip (None: cancelled or not a number).

        The field starts empty: a figure already in the box belongs to another device, and pressing
        Enter must not record it for this one.
        """
        lo, hi = CENTRE_RANGE_MM
        text, ok = QInputDialog.getText(
            self,
            "Where the zone lies on the antenna",
            f"{profile.name} states only the zone's diameter ({profile.width_mm:g} mm), not where its "
            "centre lies along the antenna.\nEnter the distance from the antenna tip back to the zone's "
            "centre, in mm, from the device's instructions for use:",
        )
        if not ok:
            return None
        try:
            value = float(text.strip().replace(",", "."))
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and lo <= value <= hi):
            self.controller.window.statusBar().showMessage(
                f"Ablation not changed: give the zone's centre as a number of mm ({lo:g} to {hi:g}), "
                f"got {text!r}",
                8000,
            )
            return None
        return value

    @staticmethod
    def _with_note(spin: QDoubleSpinBox, note: QLabel) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(spin, 1)
        layout.addWidget(note)
        return row

    @staticmethod
    def _side_by_side(first: QWidget, between: QLabel, second: QWidget) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(first, 1)
        layout.addWidget(between)
        layout.addWidget(second, 1)
        return row
