"""A lesion drawn in the middle of a vertebral body of the bundled sample case reads "Breach no" in the
Lesions dock (QA s28 G2).

The sample case (resources/sample_case, 2 mm slices of 0.98 mm pixels): Segment > Draw a lesion at T9's
body centre (-10, 125, -68.5) and one stroke of a 3 mm disc 8 mm long across it, in the axial slice: 87
voxels of trabecular bone, 5th-95th percentile 72-241 HU, 8 mm or more from the cortex (x -20 and +8 on
that row). On d7633b6 the Breach cell read "yes" and the details "breach: right lateral cortex", at
(-11.8, 125.1, -68.5), mid-body: marrow under the 130 HU bone threshold reached the tissue around the body
through a stretch of lateral cortex that reads 98-122 HU on its 2 mm slices (z -62.5), and counted as
tissue outside the bone (imaging.bone_outline.bone_outline now keeps it inside).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent

from app.display_geometry import ViewAxis
from app.segmentation.lesion_row import COL_BREACH
from imaging.load import load_volume
from tests.app.test_segmentation_tools import (
    pytestmark,  # noqa: F401  (gui marker and display check)
    send_mouse,
)

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample_case"
T9_CENTRE = np.array([-10.0, 125.0, -68.5])


def draw_t9_stroke(win: Any, qtbot: Any) -> Any:
    """Open the sample case, Segment > Draw a lesion at T9's body centre and paint one stroke of a 3 mm
    disc 8 mm long across it in the axial slice; the Lesions dock once its figures are measured."""
    seg = win.segmentation
    loaded = load_volume(SAMPLE)
    win.opener.show_volume(getattr(loaded, "volume", loaded))
    win.state.set_crosshair(T9_CENTRE)
    qtbot.wait(10)
    seg.actions["draw_lesion"].trigger()
    seg.set_brush_radius(3.0)
    axial = win.views[ViewAxis.AXIAL]
    points = [T9_CENTRE + np.array([dx, 0.0, 0.0]) for dx in np.linspace(-4.0, 4.0, 9)]
    send_mouse(axial, QEvent.Type.MouseButtonPress, points[0])
    for p in points[1:]:
        send_mouse(axial, QEvent.Type.MouseMove, p)
    send_mouse(axial, QEvent.Type.MouseButtonRelease, points[-1])
    assert win.case.case.layers["Lesion 1"].mask.count() == 87
    panel = seg.lesion_panel
    panel.measure_now()
    assert panel.wait_measured()
    qtbot.waitUntil(lambda: panel.table.item(0, COL_BREACH).text() not in ("", "…", "—"), timeout=10_000)
    return panel


def test_lesion_drawn_mid_body_reads_no_breach(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    panel = draw_t9_stroke(win, qtbot)
    assert panel.table.item(0, COL_BREACH).text() == "no"
    assert "breach:" not in panel.details.text()
    win.case.undo_stack.setClean()
