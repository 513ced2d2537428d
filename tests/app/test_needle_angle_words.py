"""The Needles dock's angles: a figure that reads 0.0° is not given a direction (QA s30 D).

On ed3e5b9 a needle in the axial plane read "+0.0° (cranial)", and one tipped down by a few thousandths
of a degree "-0.0° (caudal)": two directions for the same figure. Phantom: conftest's marker volume with
a sphere lesion at the origin; needles straight from the back (+y) to the front, LPS mm.
"""

from __future__ import annotations

from typing import Any

import pytest

from planning.commands import AddTrajectory, UpdateTrajectory
from planning.model import Approach, Trajectory
from tests.app.test_planning_ui_needles import (  # noqa: F401  (fixture)
    _add_target,
    planning,
    pytestmark,
)

ENTRY = (0.0, 60.0, 0.0)


def _bright_pixels(label: Any) -> int:
    image = label.grab().toImage()
    return sum(
        image.pixelColor(x, y).lightness() > 150 for y in range(image.height()) for x in range(image.width())
    )


@pytest.mark.parametrize("tip_z_mm", [0.0, -0.005, 0.005])
def test_an_angle_that_reads_zero_has_no_direction(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
    tip_z_mm: float,
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    window.case.push(
        AddTrajectory(Trajectory("T1 needle 1", "T1", Approach.DIRECT, ENTRY, (0.0, 5.0, tip_z_mm)))
    )
    planning.controller.select("T1 needle 1")
    planning.docks["needles"].raise_()
    qtbot.wait(20)
    r = planning.trajectory_panel.readouts_box.readouts
    assert r["cc"].text() == "0.0° (in the axial plane)"
    assert r["ml"].text() == "0.0° (parallel to the sagittal plane)"
    assert _bright_pixels(r["cc"]) > 10  # drawn
    # tipped 10 mm up over 55 mm: a direction again, with its sign
    t = window.case.case.trajectories["T1 needle 1"]
    window.case.push(UpdateTrajectory(t.name, Trajectory(t.name, "T1", t.approach, ENTRY, (0.0, 5.0, 10.0))))
    qtbot.wait(20)
    assert r["cc"].text() == "+10.3° (cranial)"
    window.case.undo_stack.undo()
    qtbot.wait(20)
    assert r["cc"].text() == "0.0° (in the axial plane)"
    window.case.undo_stack.setClean()
