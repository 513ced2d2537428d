"""A Shift+drag with the Lesion tool that covers less than a pixel draws no box (QA s31 C).

On ab7d7e8 a Shift+drag of 0.3 mm (a Shift+click that moved a little) was kept as a box, said as "Box drawn:
0 mm across by 0 mm down here and 0 mm deep across this view ... Click the lesion inside it", and the next
click on the lesion was refused: "the lesion at the seed lies outside the box drawn around it" (bone-lesions
case4, first lesion). Now it is no box, the status bar says so and how to draw one, and the next click
segments the lesion without a box. Phantom: the lytic sphere of tests/phantoms/lesion.py (radius 8 mm,
1 mm grid), clicked at its seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt

from app.display_geometry import ViewAxis
from tests.app.test_segmentation_tools import click, loaded, lytic, send_mouse, wait_job

__all__ = ["loaded", "lytic"]  # fixtures used here by name


def test_a_drag_under_a_pixel_is_no_box(loaded: Any, qtbot: Any, lytic: Any) -> None:
    win = loaded
    seg = win.segmentation
    axial = win.views[ViewAxis.AXIAL]
    seed = np.asarray(lytic.seed_lps)
    seg.activate(seg.lesion_tool)
    shift = Qt.KeyboardModifier.ShiftModifier
    send_mouse(axial, QEvent.Type.MouseButtonPress, seed, modifiers=shift)
    send_mouse(axial, QEvent.Type.MouseMove, seed + np.array([0.3, 0.3, 0.0]), modifiers=shift)
    send_mouse(axial, QEvent.Type.MouseButtonRelease, seed + np.array([0.3, 0.3, 0.0]), modifiers=shift)
    assert seg.lesion_tool.box is None and seg.lesion_tool.box_lps() is None
    assert seg.jobs.last_message.startswith("No box: the Shift+drag covered less than a pixel")

    click(axial, seed)
    wait_job(win, qtbot)
    assert list(win.case.case.targets) == ["Lesion 1"], seg.jobs.last_message
    assert win.case.case.targets["Lesion 1"].measures["volume_ml"] == pytest.approx(
        lytic.truth_volume_ml, rel=0.05
    )
    win.case.undo_stack.setClean()
