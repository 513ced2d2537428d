"""Undo and Redo say which step they took back or did again (QA s28 G1), in the real window (Xvfb).

QA s28 G1: after a brush stroke the status bar and the Lesions dock's line said "Painted 0.10 mL (101
voxels) into Lesion 2, now 2.53 mL (Ctrl+Z undoes the stroke)."; Ctrl+Z took the stroke back (2.43 mL)
and both still said "now 2.53 mL" (the dock's line until the next sentence). Now Ctrl+Z says "Undone:
Brush on Lesion 1." there and Ctrl+Shift+Z "Redone: Brush on Lesion 1.".

Phantom: the lytic sphere of tests/phantoms/lesion.py (radius 8 mm, centre LPS (2, -1.5, 3) mm, 1 mm
grid); a 2 mm dab 20 mm from the centre, on the axial slice shown, drawn in the lesion's colour and gone
after Ctrl+Z (pixels read at its projected point).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt

from app.display_geometry import ViewAxis
from tests.app.test_segmentation_tools import click, click_lesion, loaded, lytic, mask_at, press_key, wait_job
from tests.app.test_view_orientation import grab_grey

__all__ = ["loaded", "lytic"]  # fixtures used here by name


def _colour_at(view: Any, point_lps: Any) -> np.ndarray:
    p = view.lps_to_widget(point_lps)
    return grab_grey(view)[round(p.y()), round(p.x())].astype(int)


def test_undo_and_redo_of_a_stroke_say_the_step_not_the_stroke_sentence(
    loaded: Any, qtbot: Any, lytic: Any
) -> None:
    win = loaded
    seg = win.segmentation
    case = win.case
    axial = win.views[ViewAxis.AXIAL]
    seed = np.asarray(lytic.seed_lps)
    panel = click_lesion(win, qtbot, seed)
    wait_job(win, qtbot)
    z = float(win.state.display.pixel_to_lps(ViewAxis.AXIAL, axial.slice_index(), 0, 0)[2])
    far = np.array((seed[0] + 20.0, seed[1], z))  # 12 mm beyond the sphere's edge
    win.state.set_crosshair(seed)  # the crosshair lines away from the dab
    qtbot.wait(10)
    grey = _colour_at(axial, far)
    assert np.ptp(grey) < 4  # bone, grey, before the dab

    press_key(win, axial, qtbot, Qt.Key.Key_B)
    seg.set_brush_radius(2.0)
    click(axial, far)
    mask = case.case.layers["Lesion 1"].mask
    assert mask_at(mask, lytic.volume, far) and case.undo_stack.undoText() == "Brush on Lesion 1"
    painted = _colour_at(axial, far)
    assert np.abs(painted - grey).max() > 20  # the dab is drawn in the lesion's colour
    stroke_said = seg.jobs.last_message
    assert stroke_said.startswith("Painted ") and "into Lesion 1, now" in stroke_said
    assert panel.info.text() == stroke_said

    # Ctrl+Z in the view: the dab is gone from the mask and the view, and the sentence says so
    press_key(win, axial, qtbot, Qt.Key.Key_Z)  # without Ctrl: nothing (not a shortcut)
    assert mask_at(case.case.layers["Lesion 1"].mask, lytic.volume, far)
    win.activateWindow()
    axial.setFocus()
    qtbot.keyClick(axial, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not mask_at(case.case.layers["Lesion 1"].mask, lytic.volume, far)
    qtbot.wait(10)
    assert np.abs(_colour_at(axial, far) - grey).max() <= 6
    said = "Undone: Brush on Lesion 1."
    assert win.statusBar().currentMessage() == said
    assert panel.info.text() == said and seg.jobs.last_message == said

    # Ctrl+Shift+Z does it again, and says that
    qtbot.keyClick(
        axial, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert mask_at(case.case.layers["Lesion 1"].mask, lytic.volume, far)
    qtbot.wait(10)
    assert np.abs(_colour_at(axial, far) - painted).max() <= 6
    assert win.statusBar().currentMessage() == "Redone: Brush on Lesion 1."
    assert panel.info.text() == "Redone: Brush on Lesion 1."
    case.undo_stack.setClean()
