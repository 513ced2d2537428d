"""A change of a needle's gauge, length or antenna extension in the Needles dock is one undo step named after
what changed (QA s32 B on the sample case): on 0662c75 every one was "Change trajectory <name>", so the Edit
menu and the status bar's "Undone: Change trajectory Lesion 1 needle 1." did not say what Ctrl+Z took back
(gauge and antenna changed one after the other read the same). Marker phantom; LPS mm."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.display_geometry import ViewAxis
from planning.commands import AddTrajectory
from planning.model import Approach, Trajectory
from tests.app.test_planning_ui_needles import (  # noqa: F401  (fixture)
    _add_target,
    _slice_z,
    planning,
    pytestmark,
)


def test_needle_choices_are_undo_steps_named_after_what_changed(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    name = "T1 needle 1"
    window.case.push(AddTrajectory(Trajectory(name, "T1", Approach.DIRECT, (30.0, 0.0, z), (0.0, 0.0, z))))
    planning.controller.select(name)
    panel = planning.trajectory_panel
    stack = window.case.undo_stack
    panel.gauge.setCurrentIndex(panel.gauge.findData(11))
    assert window.case.case.trajectories[name].needle_gauge == 11
    assert stack.undoText() == f"Set needle gauge of {name} to 11 G"
    panel.extension.setValue(25.0)
    panel.extension.editingFinished.emit()
    assert window.case.case.trajectories[name].antenna_extension_mm == 25.0
    assert stack.undoText() == f"Set antenna extension of {name} to 25 mm"
    panel.length.setValue(120.0)
    panel.length.editingFinished.emit()
    assert stack.undoText() == f"Set needle length of {name} to 120 mm"
    # Ctrl+Z in a view: the status bar says what was taken back, and the dock shows it
    window.activateWindow()
    axial = window.views[ViewAxis.AXIAL]
    axial.setFocus()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.keyClick(axial, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(axial, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.case.case.trajectories[name].antenna_extension_mm == 15.0
    assert window.statusBar().currentMessage() == f"Undone: Set antenna extension of {name} to 25 mm."
    assert panel.extension.value() == 15.0 and panel.gauge.currentData() == 11
    stack.setClean()
