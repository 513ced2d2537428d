"""The probe's-eye view's depth follows a needle made shorter (QA s32 B, sample case): the depth slider
reaches the antenna's tip (needle length plus antenna extension); when an undo, a drag or the Antenna field
shortens the needle, Qt clamps the slider, but on 0662c75 the view and the label kept the old depth: after
Antenna 25 mm, depth at its end (111 mm) and Ctrl+Z, the slider stood at 101 while the label read 111 mm and
the view showed an antenna section 10 mm beyond the antenna's tip. Marker phantom; LPS mm."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from planning.commands import AddTrajectory, UpdateTrajectory
from planning.model import Approach, Trajectory
from tests.app.test_planning_ui_needles import (  # noqa: F401  (fixture)
    _add_target,
    _slice_z,
    planning,
    pytestmark,
)


def test_probe_depth_is_clamped_with_the_slider_when_the_antenna_is_shortened(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    traj = Trajectory("T1 needle 1", "T1", Approach.DIRECT, (30.0, 0.0, z), (0.0, 0.0, z))
    window.case.push(AddTrajectory(traj))
    planning.controller.select(traj.name)
    window.case.push(UpdateTrajectory(traj.name, replace(traj, antenna_extension_mm=25.0)))
    qtbot.wait(20)
    assert planning.depth.maximum() == 55  # 30 mm needle + 25 mm antenna
    planning.depth.setValue(55)
    assert planning.probe.depth_mm == 55.0
    window.case.undo_stack.undo()  # the antenna back to 15 mm: the antenna's tip at 45 mm
    qtbot.wait(20)
    assert planning.depth.maximum() == 45 and planning.depth.value() == 45
    assert planning.probe.depth_mm == 45.0
    assert planning.depth_label.text() == "45 mm"
    # the view resampled at that depth: its section's centre is the antenna's tip
    qtbot.waitUntil(lambda: planning.probe._frame is not None, timeout=3000)
    planning.probe.refresh()
    assert abs(float(planning.probe._frame[0][0]) - (-15.0)) < 1e-6
    window.case.undo_stack.setClean()
