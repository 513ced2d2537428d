"""The views along the needle are resampled only while their dock's tab is on screen (QA session 13,
item 16): under another tab they cost 60-80 ms of every drag step on the chest CT for nothing. Raised
again, they show the needle as it is now. Positions LPS mm on the marker phantom."""

from __future__ import annotations

import os

import numpy as np
import pytest

from planning.commands import AddTrajectory, MoveTrajectoryTarget
from planning.model import Approach, Trajectory
from tests.app.test_planning_ui_needles import _add_target, _slice_z, planning  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"),
        reason="GUI tests need a display: run them under xvfb-run",
    ),
]


def test_reslices_wait_under_another_tab_and_follow_the_needle_when_raised(
    planning: object,  # noqa: F811 - the fixture imported above
    window: object,
    qtbot: object,
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    name = "T1 needle 1"
    window.case.push(  # type: ignore[attr-defined]
        AddTrajectory(Trajectory(name, "T1", Approach.DIRECT, (25.0, 30.0, z), (0.0, 0.0, z)))
    )
    planning.controller.select(name)  # type: ignore[attr-defined]
    along = planning.docks["along"]  # type: ignore[attr-defined]
    view = planning.in_plane  # type: ignore[attr-defined]
    along.raise_()
    qtbot.waitUntil(lambda: not view.visibleRegion().isEmpty() and view._frame is not None, timeout=3000)  # type: ignore[attr-defined]
    shown_centre = np.array(view._frame[0])
    planning.docks["needles"].raise_()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: view.visibleRegion().isEmpty(), timeout=3000)  # type: ignore[attr-defined]
    new_tip = (-10.0, -12.0, z)
    window.case.push(MoveTrajectoryTarget(name, new_tip, drag_id=1))  # type: ignore[attr-defined]
    qtbot.wait(50)  # type: ignore[attr-defined]
    # under the Needles tab: not resampled (its centre is still the old needle's), marked stale
    assert view.stale
    assert np.array(view._frame[0]) == pytest.approx(shown_centre)
    along.raise_()
    qtbot.waitUntil(lambda: not view.stale, timeout=3000)  # type: ignore[attr-defined]
    expected, _right, _up = view.frame()
    assert np.array(view._frame[0]) == pytest.approx(expected)
    assert np.linalg.norm(np.array(view._frame[0]) - shown_centre) > 1.0
