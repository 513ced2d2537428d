"""Before any needle is selected, the Needles dock's (disabled) needle fields show what a new needle gets
(QA s30 D row 5): on bc468dd the Gauge combo read its first item, "10 G (3.40 mm)", while a proposed or
placed needle got 13 G (2.41 mm). Phantom: conftest's marker volume with a sphere lesion at the origin;
LPS mm.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.display_geometry import ViewAxis
from planning.commands import UpdateTrajectory
from tests.app.test_needle_angle_words import _bright_pixels
from tests.app.test_planning_ui_needles import (  # noqa: F401  (fixture)
    _add_target,
    _click,
    _slice_z,
    planning,
    pytestmark,
)


def _place(window: Any, planning: Any, qtbot: Any, z: float, x: float, tip_y: float) -> Any:  # noqa: F811
    axial = window.views[ViewAxis.AXIAL]
    planning.tool_action.trigger()
    before = set(window.case.case.trajectories)
    _click(qtbot, axial, (x, 30.0, z))
    _click(qtbot, axial, (0.0, tip_y, z))  # tips apart: a click on a handle drags it
    (name,) = set(window.case.case.trajectories) - before
    return window.case.case.trajectories[name]


def test_the_needle_fields_show_what_a_new_needle_gets(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
) -> None:
    panel = planning.trajectory_panel
    planning.docks["needles"].raise_()
    panel.sections.setCurrentIndex(0)
    qtbot.wait(20)
    gauge, length, extension = panel.gauge, panel.length, panel.extension
    assert not gauge.isEnabled()
    assert gauge.currentText() == "13 G (2.41 mm)"
    assert (length.value(), extension.value()) == (150.0, 15.0)
    assert "No needle selected: a new needle gets this" in gauge.toolTip()
    assert gauge.isVisible() and _bright_pixels(gauge) > 10  # drawn, not a black screen
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    window.state.set_crosshair((0.0, 0.0, z))
    first = _place(window, planning, qtbot, z, 20.0, 0.0)
    assert (first.needle_gauge, first.needle_length_mm, first.antenna_extension_mm) == (13, 150.0, 15.0)
    assert gauge.isEnabled() and gauge.currentText() == "13 G (2.41 mm)"
    assert gauge.toolTip() == "Access needle gauge (outer diameter)"
    # the selected needle made 11 G, 120 mm: a needle placed now copies it, and the fields say so
    window.case.push(UpdateTrajectory(first.name, replace(first, needle_gauge=11, needle_length_mm=120.0)))
    qtbot.wait(20)
    assert gauge.currentText().startswith("11 G")
    second = _place(window, planning, qtbot, z, -20.0, -8.0)
    assert (second.needle_gauge, second.needle_length_mm) == (11, 120.0)
    # nothing selected: the fields go back to the defaults a new needle gets then
    planning.controller.select(None)
    qtbot.wait(20)
    assert not gauge.isEnabled() and gauge.currentText() == "13 G (2.41 mm)" and length.value() == 150.0
    third = _place(window, planning, qtbot, z, 0.0, 8.0)
    assert (third.needle_gauge, third.needle_length_mm) == (13, 150.0)
    window.case.undo_stack.setClean()
