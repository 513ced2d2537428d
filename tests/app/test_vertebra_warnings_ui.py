"""The Vertebra tool's warnings in the window: the status bar and the Vertebrae dock (QA session 17, item
7: a body cut by the scan's edge showed full figures and a "superior endplate found" on the last slice;
item 10: endplates read only "found (drawn as a layer)").

The vertebra phantom with its neighbours, its slices above 18 mm over the body's bottom dropped (the scan
stops inside the body). Run under Xvfb (see tests/app/test_segmentation_tools.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.display_geometry import ViewAxis
from tests.app.test_segmentation_tools import (
    click,
    pytestmark,  # noqa: F401  (gui marker and display check)
    wait_job,
)
from tests.phantoms.vertebra import make_vertebra_phantom

#: the body kept in view below the scan's top (mm): taller than the shortest body refused (12 mm)
KEPT_MM = 18.0
CUT_WORDS = "body cut by the top of the scan: height and volume are partial, superior end plate not seen"


def test_cut_body_is_said_in_the_status_and_the_dock(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    ph = make_vertebra_phantom(adjacent=True, seed=5)
    vol = ph.volume  # axial, head first: axis 0 runs to +z
    n = vol.shape[0]
    z = vol.index_to_lps_points(np.stack([np.arange(n), np.zeros(n), np.zeros(n)], axis=1))[:, 2]
    stop = int(np.flatnonzero(z <= ph.center_lps[2] - 0.5 * ph.body_height_mm + KEPT_MM).max()) + 1
    cut = vol.crop((0, 0, 0), (stop, vol.shape[1], vol.shape[2]))
    win = window
    seg = win.segmentation
    win.opener.show_volume(cut)
    seg.activate(seg.vertebra_tool)
    point = ph.center_lps - np.array([0.0, 0.0, 3.0])
    win.state.set_crosshair(point)
    click(win.views[ViewAxis.AXIAL], np.asarray(win.state.crosshair_lps, dtype=float))
    wait_job(win, qtbot)
    assert "V1 body" in win.case.case.layers
    assert seg.jobs.last_message.startswith(f"Warning: {CUT_WORDS}. Vertebra V1: body ")
    assert seg.jobs.last_warning
    text = seg.vertebra_panel.figures_text()
    lines = text.splitlines()
    assert lines[1] == f"warning: {CUT_WORDS}"
    assert "superior endplate: not seen (the edge of the scan cuts the body there)" in lines
    inferior = next(line for line in lines if line.startswith("inferior endplate: "))
    assert (
        inferior.startswith("inferior endplate: found, centre (") and "deg from the axial plane" in inferior
    )
