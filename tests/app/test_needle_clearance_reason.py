"""The Pedicle clearance readout says why it has no figure (QA s32 B, sample case: the tip of a left
transpedicular needle dragged into the canal read "–" while To canal read ENTERS THE CANAL). No figure is
measured because the needle's axis then lies outside the pedicle at its isthmus (planning.pedicle_clearance):
the readout says so, in red, and beyond which wall (medial, towards the canal).

Phantom: tests/phantoms/vertebra.py, both pedicle needles proposed (test_planning_ui_vertebra's fixture);
positions LPS mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.theme import RED
from planning.commands import MoveTrajectoryTarget
from tests.app.test_needle_angle_words import _bright_pixels
from tests.app.test_planning_ui_vertebra import phantom, planned, pytestmark  # noqa: F401  (fixtures)


def test_a_tip_dragged_into_the_canal_says_why_there_is_no_clearance(
    planned: Any,  # noqa: F811
    window: Any,
    phantom: Any,  # noqa: F811
    qtbot: Any,
) -> None:
    c = planned.controller
    panel = planned.trajectory_panel
    t = c.trajectory()
    assert c.metrics(t).pedicle_clearance_mm is not None  # proposed through the pedicle: a figure
    canal = np.argwhere(phantom.canal_mask).mean(axis=0)
    canal_lps = window.case.volume.index_to_lps_points(canal[None, :])[0]
    window.case.push(MoveTrajectoryTarget(t.name, tuple(float(v) for v in canal_lps)))
    qtbot.wait(20)
    m = c.metrics(c.trajectory())
    assert m.pedicle_clearance_mm is None and m.pedicle_missed
    assert m.canal_distance_mm is not None and m.canal_distance_mm < 0
    label = panel.readouts["clearance"]
    said = (
        "none: the needle misses the pedicle at its isthmus: it passes medial to it, towards the spinal canal"
    )
    assert label.text() == said
    assert label.styleSheet() == RED
    assert panel.readouts["canal"].text().endswith("ENTERS THE CANAL")
    planned.docks["needles"].raise_()
    qtbot.wait(20)
    assert _bright_pixels(label) > 10  # drawn
    window.case.undo_stack.undo()
    qtbot.wait(20)
    assert label.text().endswith(" mm") and label.styleSheet() != RED
    window.case.undo_stack.setClean()
