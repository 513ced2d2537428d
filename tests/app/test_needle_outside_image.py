"""A needle whose entry lies beyond the scanned image says so (QA s30 D row 8, patient safety).

On bc468dd an entry clicked in the black band beside the CT was taken without a word: skin to tip and
"crosses" read as if the image were there. Phantom: conftest's marker volume, whose body block (|x| < 45
mm) is cut off by the field of view at x = +-35 mm (56 columns of 1.25 mm centred on the origin, outer
faces), with a sphere lesion at the origin; LPS mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.display_geometry import ViewAxis
from tests.app.test_needle_angle_words import _bright_pixels
from tests.app.test_planning_ui_needles import (  # noqa: F401  (fixture)
    _add_target,
    _click,
    _slice_z,
    planning,
    pytestmark,
)

#: the outer face of the marker volume's last column (patient left)
IMAGE_EDGE_X_MM = 35.0


def test_an_entry_clicked_beyond_the_image_is_said_to_be_outside_it(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    window.state.set_crosshair((0.0, 0.0, z))
    axial = window.views[ViewAxis.AXIAL]
    axial.zoom = 0.6  # zoomed out (Ctrl+wheel) to show the black band beside the image
    axial.update()
    qtbot.wait(20)
    entry, tip = (47.0, 10.0, z), (2.0, 2.0, z)  # the entry 12 mm beyond the image, where the body goes on
    p = axial.lps_to_widget(entry)
    assert axial.rect().contains(round(p.x()), round(p.y())), "the entry must be a click inside the view"
    planning.tool_action.trigger()
    _click(qtbot, axial, entry)
    _click(qtbot, axial, tip)
    (t,) = window.case.case.trajectories.values()
    (ex, _, _), (tx, _, _) = t.entry_lps, t.target_lps
    assert ex - IMAGE_EDGE_X_MM == pytest.approx(12.0, abs=0.5)
    length = float(np.linalg.norm(np.subtract(t.target_lps, t.entry_lps)))
    outside = length * (ex - IMAGE_EDGE_X_MM) / (ex - tx)  # the part of the straight needle beyond x = 35
    planning.controller.select(t.name)
    planning.docks["needles"].raise_()
    qtbot.wait(20)
    box = planning.trajectory_panel.readouts_box
    said = f"{outside:.1f} mm"
    warning = f"⚠ {said} of the needle lies outside the scanned image: skin to tip and what it crosses are"
    assert f"{warning} not known there" in box.warnings.text().splitlines()
    # the image ends in the body: the depth is a lower bound, and the part outside is named
    assert (
        box.readouts["depth"]
        .text()
        .endswith(f"(≥, skin not found) / needle 150 mm ({said} outside the image)")
    )
    assert box.readouts["crossed"].text() == f"none in the image ({said} outside it not seen)"
    assert _bright_pixels(box.warnings) > 10  # drawn, not a black screen
    assert box.warnings.isVisible() and box.readouts["depth"].isVisible()
    # dragged back into the image, the words go
    from planning.commands import UpdateTrajectory
    from planning.model import Trajectory

    window.case.push(UpdateTrajectory(t.name, Trajectory(t.name, "T1", t.approach, (30.0, 10.0, z), tip)))
    qtbot.wait(20)
    assert "outside the scanned image" not in box.warnings.text()
    assert "outside" not in box.readouts["depth"].text()
    assert box.readouts["crossed"].text() == "none"
    window.case.undo_stack.setClean()
