"""The status bar says what a mask operation changed (QA session 14 j, item 6).

QA found: Fill holes in a view's slices filled the ring, but the status bar kept the earlier "nothing to
change" message. Phantom: the lytic sphere of tests/phantoms/lesion.py (1 mm grid, voxels of 1 uL);
the ring is a brush disc (radius 8 mm) with a 3 mm eraser dab in its middle, on one axial slice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.display_geometry import ViewAxis
from tests.app.test_lesion_editing import paint_ring
from tests.app.test_segmentation_tools import loaded, lytic

__all__ = ["loaded", "lytic"]  # fixtures used here by name


def test_fill_holes_in_slices_says_what_it_filled(loaded: Any, qtbot: Any, lytic: Any) -> None:
    win = loaded
    seg = win.segmentation
    case = win.case
    disc, ring = paint_ring(win, np.asarray(lytic.seed_lps))
    hole = disc.count() - ring.count()
    assert hole > 0
    seg.actions["fill_holes"].trigger()  # in 3D: nothing closed on every side
    assert "nothing to change" in seg.jobs.last_message
    seg.edit_panel.set_fill_view(ViewAxis.AXIAL)
    seg.actions["fill_holes"].trigger()
    assert case.case.layers["Mask 1"].mask == disc
    ml = hole * lytic.volume.voxel_volume_ml
    expected = f"Filled {hole} voxels ({ml:.2f} mL) in axial slices of Mask 1."
    assert seg.jobs.last_message == expected
    assert win.statusBar().currentMessage() == expected
    # grow says what it added
    seg.activate(None)
    assert seg.run_operation("grow", 1.0)
    grown = case.case.layers["Mask 1"].mask.count() - disc.count()
    assert seg.jobs.last_message.startswith(f"Grew Mask 1 by 1.0 mm: {grown} voxels")
