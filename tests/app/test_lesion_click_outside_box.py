"""A lesion click outside the box drawn says that the box is cleared and what to do (QA s31 C).

On ab7d7e8, with a box drawn beside the lesion (bone-lesions case4, first lesion, box 15 mm off), a click on
the lesion ran the segmentation, which refused it: "Lesion segmentation: seed (-57.7, 186.3, -469.7) mm LPS
lies outside the box given to limit the lesion"; the box was cleared without a word, so the same click next
time segmented without a box. Now the window says so at once (no job is run), and the next click segments
the lesion. Phantom: the lytic sphere of tests/phantoms/lesion.py (radius 8 mm, centre (2, -1.5, 3) mm).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, Qt

from app.display_geometry import ViewAxis
from tests.app.test_segmentation_tools import click, loaded, lytic, send_mouse, wait_job

__all__ = ["loaded", "lytic"]  # fixtures used here by name


def test_click_outside_the_box_clears_it_and_says_so(loaded: Any, qtbot: Any, lytic: Any) -> None:
    win = loaded
    seg = win.segmentation
    axial = win.views[ViewAxis.AXIAL]
    seed = np.asarray(lytic.seed_lps)
    seg.activate(seg.lesion_tool)
    shift = Qt.KeyboardModifier.ShiftModifier
    a, b = seed + np.array([12.0, 12.0, 0.0]), seed + np.array([20.0, 20.0, 0.0])
    send_mouse(axial, QEvent.Type.MouseButtonPress, a, modifiers=shift)
    send_mouse(axial, QEvent.Type.MouseMove, b, modifiers=shift)
    send_mouse(axial, QEvent.Type.MouseButtonRelease, b, modifiers=shift)
    assert seg.lesion_tool.box_lps() is not None

    click(axial, seed)
    wait_job(win, qtbot)
    said = seg.jobs.last_message
    assert "the click lies outside the box drawn, so the box is cleared" in said, said
    assert "Click the lesion again to segment it without a box" in said
    assert seg.lesion_tool.box is None and not win.case.case.targets

    click(axial, seed)
    wait_job(win, qtbot)
    assert list(win.case.case.targets) == ["Lesion 1"], seg.jobs.last_message
    win.case.undo_stack.setClean()
