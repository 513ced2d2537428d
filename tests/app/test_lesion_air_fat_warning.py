"""A lesion mask a meaningful part of which reads as air or fat is warned in the Lesions dock and the status
bar (QA s31 C13).

On 73d3a8e one dab of the largest 3D sphere (50 mm) at T9's body centre in the sample case put 523 mL of
lung and mediastinum into Lesion 1 with no word (its row read "lytic"); Grow by 30 mm added 188 mL the
same way. Measured here: after the dab 267.31 mL (51 %) of the lesion reads below the lesion tool's
air-or-fat limit (-50 HU), after the grow 80.72 mL (43 %); the sample's 3 mm stroke across T9
(tests/app/test_drawn_lesion_breach_sample.py) and that stroke grown by 2 mm 0 %, the bone-lesions cases'
lesions from a click 0-3.4 % (s31 H report). The warning is given from 20 %
(app.segmentation.lesion_warnings.AIR_FAT_WARN_SHARE) and follows the mask through undo and redo.
"""

from __future__ import annotations

from typing import Any

from app.display_geometry import ViewAxis
from app.segmentation.edit_tools import MAX_RADIUS_MM, BrushShape
from app.segmentation.lesion_row import COL_NAME
from tests.app.test_drawn_lesion_breach_sample import T9_CENTRE, draw_t9_stroke
from tests.app.test_segmentation_tools import (
    click,
    pytestmark,  # noqa: F401  (gui marker and display check)
)

AIR_FAT = "reads as air or fat (below -50 HU"


def _measured(win: Any, panel: Any, qtbot: Any) -> None:
    """Wait until the Lesions dock has measured the masks as they are now and rebuilt its rows."""
    panel.measure_now()
    assert panel.wait_measured()
    qtbot.waitUntil(lambda: panel.table.item(0, COL_NAME) is not None, timeout=10_000)
    panel.refresh()


def test_a_normal_stroke_is_not_warned_a_huge_dab_is(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    seg = win.segmentation
    panel = draw_t9_stroke(win, qtbot)  # 87 voxels of trabecular bone
    panel.select("Lesion 1")
    assert AIR_FAT not in panel.warning.text()
    assert AIR_FAT not in panel.table.item(0, COL_NAME).toolTip()
    assert "air or fat" not in seg.jobs.last_message
    assert not seg.jobs.last_warning
    seg.set_brush_shape(BrushShape.SPHERE)
    seg.set_brush_radius(MAX_RADIUS_MM)
    click(win.views[ViewAxis.AXIAL], T9_CENTRE)
    said = seg.jobs.last_message
    assert said.startswith("Painted ") and "of Lesion 1 reads as air or fat (below -50 HU)" in said
    assert seg.jobs.last_warning  # amber
    _measured(win, panel, qtbot)
    text = panel.warning.text()
    assert "⚠ " in text and "(51 %) of Lesion 1 " + AIR_FAT + "; warned from 20 %)" in text
    assert AIR_FAT in panel.table.item(0, COL_NAME).toolTip()
    # undone: the stroke's 87 voxels again, no warning; redone: the warning is back
    win.case.undo_stack.undo()
    _measured(win, panel, qtbot)
    assert win.case.case.layers["Lesion 1"].mask.count() == 87
    assert AIR_FAT not in panel.warning.text()
    win.case.undo_stack.redo()
    _measured(win, panel, qtbot)
    assert AIR_FAT in panel.warning.text()
    win.case.undo_stack.setClean()


def test_grow_into_the_lung_is_warned(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    seg = win.segmentation
    panel = draw_t9_stroke(win, qtbot)
    assert seg.run_operation("grow", 2.0)  # stays in the body: not warned
    assert seg.jobs.last_message.startswith("Grew Lesion 1 by 2.0 mm")
    assert "air or fat" not in seg.jobs.last_message and not seg.jobs.last_warning
    assert seg.run_operation("grow", 30.0)
    said = seg.jobs.last_message
    assert said.startswith("Grew Lesion 1 by 30.0 mm") and "reads as air or fat" in said
    assert seg.jobs.last_warning
    _measured(win, panel, qtbot)
    assert AIR_FAT in panel.warning.text()
    win.case.undo_stack.setClean()
