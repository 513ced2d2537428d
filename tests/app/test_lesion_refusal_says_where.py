"""A refused lesion click says where to click instead (QA s31 C).

On ab7d7e8, a click in the sample case's normal T9 body (-10, 125, -68.5) was refused with the reason and
"If there is a lesion, draw it (Segment > Draw a lesion, Shift+L), or give this bone's normal HU under
Lesion settings in the Lesions dock and click again": nothing on where a click has a chance. A click in
the lung (-100, 60, -68.5) said "the seed is in air or fat (median -883 HU within 2 mm), not in a lesion"
and stopped there. Now the first says to click where the lesion looks least like the bone around it (its
darkest or densest part, off the cortex) and the second to click inside the lesion, in or at a bone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from app.display_geometry import ViewAxis
from imaging.load import load_volume
from tests.app.test_segmentation_tools import (
    click,
    pytestmark,  # noqa: F401  (gui marker and display check)
    wait_job,
)

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample_case"


def test_refused_lesion_clicks_say_where_to_click(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    seg = win.segmentation
    loaded = load_volume(SAMPLE)
    win.opener.show_volume(getattr(loaded, "volume", loaded))
    body = np.array([-10.0, 125.0, -68.5])
    win.state.set_crosshair(body)
    qtbot.wait(10)
    seg.activate(seg.lesion_tool)
    axial = win.views[ViewAxis.AXIAL]

    click(axial, body)
    wait_job(win, qtbot)
    said = seg.jobs.last_message
    assert "within 88 HU of the local normal bone" in said
    assert "click where it looks least like the bone around it (its darkest or densest part" in said
    assert "draw it (Segment > Draw a lesion, Shift+L)" in said
    assert not win.case.case.targets

    click(axial, np.array([-100.0, 60.0, -68.5]))
    wait_job(win, qtbot)
    said = seg.jobs.last_message
    assert "in air or fat" in said and said.endswith("click inside the lesion, in or at a bone")
    assert not win.case.case.targets
