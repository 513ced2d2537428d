"""Two lesions sharing a few voxels say how much in words that are not zero (QA s31 C).

On ab7d7e8 two lesions drawn in the sample case that shared a few voxels (0.002 mL) were each marked with
"⚠ Shares 0.00 mL with Lesion 1: totals and coverage would count it twice": a warning about nothing, in
the figures. Now a share under 0.005 mL reads "less than 0.01 mL"; larger shares keep their figure
(tests/app/test_lesion_editing.py). Phantom: the lytic sphere of tests/phantoms/lesion.py on a 1 mm grid
(0.001 mL a voxel); each lesion is drawn with Segment > Draw a lesion and one dab of the smallest brush,
which paints only the voxel(s) nearest the cursor (2 here: the point lies between two), at the same point.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.display_geometry import ViewAxis
from app.segmentation.edit_tools import MIN_RADIUS_MM
from app.segmentation.lesion_warnings import overlap_text
from tests.app.test_segmentation_tools import click, loaded, lytic

__all__ = ["loaded", "lytic"]  # fixtures used here by name


def test_a_share_of_a_voxel_is_not_said_as_zero(loaded: Any, qtbot: Any, lytic: Any) -> None:
    win = loaded
    seg = win.segmentation
    axial = win.views[ViewAxis.AXIAL]
    point = np.asarray(lytic.seed_lps)
    for name in ("Lesion 1", "Lesion 2"):
        win.state.set_crosshair(point)
        seg.actions["draw_lesion"].trigger()
        seg.set_brush_radius(MIN_RADIUS_MM)
        click(axial, point)
        assert 0 < win.case.case.layers[name].mask.count() <= 2  # the voxel(s) nearest the point
    panel = seg.lesion_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2)
    panel.select("Lesion 2")
    qtbot.waitUntil(lambda: "Shares" in panel.warning.text(), timeout=10_000)
    said = panel.warning.text()
    assert "Shares less than 0.01 mL with Lesion 1" in said
    assert "0.00 mL" not in said
    assert overlap_text("Lesion 1", 0.004) == overlap_text("Lesion 1", 0.001)
    assert overlap_text("Lesion 1", 0.005).startswith("Shares 0.01 mL with Lesion 1")
    win.case.undo_stack.setClean()
