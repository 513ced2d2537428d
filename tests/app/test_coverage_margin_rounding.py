"""A smallest margin just below the planned one reads below it in the Coverage dock (QA s30 D2).

On ed3e5b9 the dock and its warning wrote the margin to 0.1 mm: on the sample case, T9, two ECO-100A1
zones, "Smallest margin 2.0 mm" in amber and "⚠ smallest margin 2.0 mm is below the planned 2 mm".
Here: conftest's marker phantom, a sphere lesion of radius 3 mm at the origin, one needle along +x whose
custom zone (centre on the lesion) is widened in 0.1 mm steps until its smallest margin m rounds *up* at
0.1 mm; the planned margin is then set to that rounded figure through the dock's spin box. Positions LPS
mm, distances mm.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from planning.commands import AddTrajectory, UpdateTrajectory
from planning.model import AblationSpec, Approach, Trajectory
from tests.app.test_planning_ui_needles import (  # noqa: F401  (fixture)
    _add_target,
    planning,
    pytestmark,
)

ENTRY, TIP = (-60.0, 0.0, 0.0), (-5.0, 0.0, 0.0)  # antenna tip 15 mm beyond: zone centre 10 mm behind = 0


def _first(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found is not None, f"{pattern!r} not in {text!r}"
    return float(found.group(1))


def _amber_pixels(widget: Any) -> int:
    """Pixels of the label drawn in the theme's amber (#ffb347): red high, green middling, blue low."""
    image = widget.grab().toImage()
    count = 0
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if c.red() > 180 and 90 < c.green() < 200 and c.blue() < 120 and c.red() - c.blue() > 100:
                count += 1
    return count


def test_a_margin_just_below_the_planned_one_never_reads_as_the_planned_one(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 3.0)
    window.case.push(AddTrajectory(Trajectory("T1 needle 1", "T1", Approach.DIRECT, ENTRY, TIP)))
    c = planning.controller
    c.select_target("T1")
    margin = None
    for width in np.arange(14.0, 16.05, 0.1):  # margins of about 4 mm
        spec = AblationSpec(width_mm=float(width), length_mm=float(width) + 4.0, center_behind_tip_mm=10.0)
        t = window.case.case.trajectories["T1 needle 1"]
        window.case.push(
            UpdateTrajectory(t.name, Trajectory(t.name, "T1", t.approach, ENTRY, TIP, ablation=spec))
        )
        result = c.coverage(c.target("T1"))
        assert result is not None
        m = result.min_margin_mm
        if round(m, 1) - m > 0.005:  # one decimal would write it as more than it is
            margin = m
            break
    assert margin is not None, "no zone width gave a margin that rounds up"
    planned = round(margin, 1)
    panel = planning.coverage_panel
    planning.docks["coverage"].raise_()
    panel.margin.setValue(planned)  # the operator's edit: one undoable settings change
    assert window.case.case.settings.margin_mm == pytest.approx(planned)
    panel.recompute()
    qtbot.wait(20)
    assert panel.result is not None and panel.result.min_margin_mm == pytest.approx(margin)
    shown = _first(r"(-?[0-9.]+) mm", panel.min_margin.text())
    assert shown < planned, panel.min_margin.text()
    assert shown == pytest.approx(margin, abs=0.01)
    warning = panel.warnings.text()
    said = _first(r"smallest margin (-?[0-9.]+) mm is below the planned", warning)
    limit = _first(r"below the planned (-?[0-9.]+) mm", warning)
    assert limit == pytest.approx(planned)
    assert said < limit, warning
    assert _amber_pixels(panel.min_margin) > 5  # drawn, in the caution colour
    window.case.undo_stack.undo()  # the planned margin back: the figure is no longer below it
    panel.recompute()
    assert window.case.case.settings.margin_mm == pytest.approx(2.0)
    assert "is below the planned" not in panel.warnings.text()
    window.case.undo_stack.setClean()
