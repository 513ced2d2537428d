"""Dragging a needle end drawn off the slice keeps its depth (QA session 13, item 5).

On the chest CT an entry 4.2 mm above the axial slice, dragged 3 mm sideways, landed on the slice:
the craniocaudal angle changed by 3 degrees and a medial-wall breach appeared that the operator never
made. The end now moves only in the plane parallel to the view through its own position. Positions
LPS mm on the marker phantom (tests/app/conftest.py).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from app.display_geometry import ViewAxis
from app.planning_ui.segment_drawing import view_plane
from planning.commands import AddTrajectory
from planning.model import Approach, Trajectory
from tests.app.test_planning_ui_needles import _add_target, _slice_z, planning  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"),
        reason="GUI tests need a display: run them under xvfb-run",
    ),
]

#: how far the end may leave its depth: rounding only (the brief's 0.1 mm)
DEPTH_TOLERANCE_MM = 0.1
#: in-plane error of a drag: one screen pixel is under 0.3 mm here; half a millimetre with margin
IN_PLANE_TOLERANCE_MM = 0.5


def _drag(qtbot: object, view: object, a_lps: object, b_lps: object, steps: int = 5) -> None:
    s = view.lps_to_widget(a_lps)  # type: ignore[attr-defined]
    e = view.lps_to_widget(b_lps)  # type: ignore[attr-defined]
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(round(s.x()), round(s.y())))  # type: ignore[attr-defined]
    for f in np.linspace(1.0 / steps, 1.0, steps):
        p = QPointF(s.x() + f * (e.x() - s.x()), s.y() + f * (e.y() - s.y()))
        ev = QMouseEvent(
            QMouseEvent.Type.MouseMove,
            p,
            view.mapToGlobal(p),  # type: ignore[attr-defined]
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(view, ev)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(round(e.x()), round(e.y())))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("axis", "end", "offset_lps", "shift_lps"),
    [
        # an entry 5 mm above the axial slice, dragged 6 mm to the patient's left
        (ViewAxis.AXIAL, "entry", (0.0, 0.0, 5.0), (6.0, 0.0, 0.0)),
        # a tip 4 mm to the left of the sagittal slice, dragged 5 mm caudally and 3 mm anteriorly
        (ViewAxis.SAGITTAL, "target", (4.0, 0.0, 0.0), (0.0, -3.0, -5.0)),
    ],
)
def test_dragging_an_off_slice_end_keeps_its_depth(
    planning: object,  # noqa: F811 - the fixture imported above
    window: object,
    qtbot: object,
    axis: ViewAxis,
    end: str,
    offset_lps: tuple[float, float, float],
    shift_lps: tuple[float, float, float],
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    plane = np.array([0.0, 0.0, z])  # the crosshair: the axial slice at z, the sagittal slice at x = 0
    window.state.set_crosshair(plane)  # type: ignore[attr-defined]
    view = window.views[axis]  # type: ignore[attr-defined]
    on_slice = {"entry": np.array([25.0, 30.0, z]), "target": np.array([0.0, 0.0, z])}
    if axis == ViewAxis.SAGITTAL:
        on_slice = {"entry": np.array([0.0, 30.0, z + 20.0]), "target": np.array([0.0, 0.0, z])}
    points = dict(on_slice)
    points[end] = on_slice[end] + np.asarray(offset_lps)
    name = "T1 needle 1"
    window.case.push(  # type: ignore[attr-defined]
        AddTrajectory(Trajectory(name, "T1", Approach.DIRECT, points["entry"], points["target"]))
    )
    planning.controller.select(name)  # type: ignore[attr-defined]
    planning.tool_action.trigger()  # type: ignore[attr-defined]
    normal = np.array([0.0, 0.0, 1.0]) if axis == ViewAxis.AXIAL else np.array([1.0, 0.0, 0.0])
    slice_point, slice_normal, spacing = view_plane(view)
    assert abs(float(slice_normal @ normal)) == pytest.approx(1.0)
    # the view really shows another slice than the end's: the handle is drawn dashed
    assert abs(float((points[end] - slice_point) @ normal)) > spacing / 2.0
    count = window.case.undo_stack.count()  # type: ignore[attr-defined]

    _drag(qtbot, view, points[end], points[end] + np.asarray(shift_lps))

    t = window.case.case.trajectories[name]  # type: ignore[attr-defined]
    moved = np.asarray(t.entry_lps if end == "entry" else t.target_lps)
    still = np.asarray(t.target_lps if end == "entry" else t.entry_lps)
    other = "target" if end == "entry" else "entry"
    # depth along the view's normal: unchanged
    assert float(moved @ normal) == pytest.approx(float(points[end] @ normal), abs=DEPTH_TOLERANCE_MM)
    # in the plane: moved by the drag
    assert np.linalg.norm(moved - (points[end] + np.asarray(shift_lps))) < IN_PLANE_TOLERANCE_MM
    assert still == pytest.approx(points[other])
    # one undo step brings the end back
    assert window.case.undo_stack.count() == count + 1  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    t = window.case.case.trajectories[name]  # type: ignore[attr-defined]
    assert np.asarray(t.entry_lps if end == "entry" else t.target_lps) == pytest.approx(points[end])
    # the view stayed on its slice (the crosshair followed the cursor within the view's plane)
    assert float(window.state.crosshair_lps @ normal) == pytest.approx(float(slice_point @ normal), abs=1e-6)  # type: ignore[attr-defined]
