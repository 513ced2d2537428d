"""A lesion drawn before its vertebra was found is tied to it when the vertebra is found (QA s31 C).

The radiologist's order: the lesion first (Segment > Draw a lesion, a brush stroke), then the Vertebra tool
on the same body. A clicked lesion was tied to a vertebra found later by its seed
(:func:`app.segmentation.vertebra_tool.tie_lesions`), but a drawn lesion has no seed, so on ab7d7e8 it stayed
an extraspinal target: the Lesions dock's Wall and Level read "—" (the Wall tooltip: "not in a vertebra found
with the Vertebra tool"), and naming the vertebra T9 left its Level empty. Now a drawn lesion is tied when
the body holds at least half of its voxels.

Sample case (resources/sample_case): the 87-voxel stroke mid-body at T9 (-10, 125, -68.5) of
tests/app/test_drawn_lesion_breach_sample.py, all inside T9's body; then the Vertebra tool at the same point.
"""

from __future__ import annotations

from typing import Any

from app.display_geometry import ViewAxis
from app.segmentation.lesion_row import COL_LEVEL, COL_WALL
from planning.model import TargetKind
from tests.app.test_drawn_lesion_breach_sample import T9_CENTRE, draw_t9_stroke
from tests.app.test_segmentation_tools import (
    click,
    pytestmark,  # noqa: F401  (gui marker and display check)
    wait_job,
)


def test_lesion_drawn_first_is_tied_to_the_vertebra_found_after(
    window: Any, qtbot: Any, no_dialogs: Any
) -> None:
    win = window
    seg = win.segmentation
    case = win.case
    panel = draw_t9_stroke(win, qtbot)
    assert case.case.targets["Lesion 1"].kind == TargetKind.EXTRASPINAL
    assert panel.table.item(0, COL_WALL).text() == "—"

    seg.activate(seg.vertebra_tool)
    click(win.views[ViewAxis.AXIAL], T9_CENTRE)
    wait_job(win, qtbot)
    vid = seg.vertebra_panel.selected_id()
    assert vid is not None and "now tied to it" in seg.jobs.last_message
    target = case.case.targets["Lesion 1"]
    assert target.extra.get("vertebra") == vid and target.kind == TargetKind.SPINE
    assert target.vertebra_lps is not None
    panel.measure_now()
    assert panel.wait_measured()
    # the stroke lies mid-body, 8 mm or more from the cortex: it does not reach the posterior wall
    qtbot.waitUntil(lambda: panel.table.item(0, COL_WALL).text() == "apart", timeout=10_000)

    # naming the vertebra names the lesion's level
    assert seg.vertebra_panel.name_selected("T9")
    assert case.case.targets["Lesion 1"].level == "T9"
    qtbot.waitUntil(lambda: panel.table.item(0, COL_LEVEL).text() == "T9", timeout=10_000)

    # one undo step each: the name, then the vertebra with the tie
    case.undo_stack.undo()
    case.undo_stack.undo()
    assert "vertebra" not in case.case.targets["Lesion 1"].extra
    assert case.case.targets["Lesion 1"].kind == TargetKind.EXTRASPINAL
    case.undo_stack.setClean()
