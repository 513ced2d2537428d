"""A lesion painted inside a vertebra found before it is tied to that vertebra (QA s31, left by 61d1e4f).

The radiologist's order: the Vertebra tool first, then Segment > Draw a lesion with the crosshair elsewhere
(beside the body, or on the canal the vertebra was clicked on), then brush strokes inside the body. The
empty lesion is tied only to a vertebra holding the crosshair when it is added, and 61d1e4f ties a drawn
lesion only when a vertebra is found after it, so on 0662c75 this lesion stayed an extraspinal target
(Lesions dock Wall and Level "—", naming the vertebra left its level empty) although the body holds every
voxel painted. Now the stroke that puts at least half of a drawn lesion's voxels in a found vertebra's body
ties it, in the stroke's undo step; so does a mask operation (Grow, Fill holes...).

Sample case (resources/sample_case): T9's body centre (-10, 125, -68.5), the 87-voxel stroke of
tests/app/test_drawn_lesion_breach_sample.py, all inside the body; the crosshair 50 mm to the patient's
left of it (lung) when the lesion is added.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QEvent

from app.display_geometry import ViewAxis
from app.segmentation.lesion_row import COL_LEVEL
from imaging.load import load_volume
from planning.model import TargetKind
from tests.app.test_drawn_lesion_breach_sample import SAMPLE, T9_CENTRE
from tests.app.test_segmentation_tools import (
    click,
    pytestmark,  # noqa: F401  (gui marker and display check)
    send_mouse,
    wait_job,
)

BESIDE_T9 = T9_CENTRE + np.array([50.0, 0.0, 0.0])


def _find_t9_then_add_lesion_beside(win: Any, qtbot: Any) -> str:
    """Open the sample, find T9 with the Vertebra tool, add a drawn lesion with the crosshair beside it;
    the vertebra's id."""
    seg = win.segmentation
    loaded = load_volume(SAMPLE)
    win.opener.show_volume(getattr(loaded, "volume", loaded))
    win.state.set_crosshair(T9_CENTRE)  # the axial view on T9's slice
    qtbot.wait(10)
    seg.activate(seg.vertebra_tool)
    click(win.views[ViewAxis.AXIAL], T9_CENTRE)
    wait_job(win, qtbot)
    vid = seg.vertebra_panel.selected_id()
    assert vid is not None and seg.vertebra_at(T9_CENTRE).vertebra_id == vid
    win.state.set_crosshair(BESIDE_T9)
    qtbot.wait(10)
    assert seg.vertebra_at(BESIDE_T9) is None
    seg.actions["draw_lesion"].trigger()
    target = win.case.case.targets["Lesion 1"]
    assert target.kind == TargetKind.EXTRASPINAL and "vertebra" not in target.extra
    return str(vid)


def _stroke(win: Any, centre: Any, half_mm: float = 4.0) -> None:
    """One brush stroke of a 3 mm disc across ``centre`` in the axial view."""
    win.segmentation.set_brush_radius(3.0)
    axial = win.views[ViewAxis.AXIAL]
    points = [centre + np.array([dx, 0.0, 0.0]) for dx in np.linspace(-half_mm, half_mm, 9)]
    send_mouse(axial, QEvent.Type.MouseButtonPress, points[0])
    for p in points[1:]:
        send_mouse(axial, QEvent.Type.MouseMove, p)
    send_mouse(axial, QEvent.Type.MouseButtonRelease, points[-1])


def test_lesion_painted_in_a_vertebra_found_before_is_tied_to_it(
    window: Any, qtbot: Any, no_dialogs: Any
) -> None:
    win = window
    seg = win.segmentation
    case = win.case
    vid = _find_t9_then_add_lesion_beside(win, qtbot)
    steps = case.undo_stack.index()

    _stroke(win, T9_CENTRE)
    assert case.case.layers["Lesion 1"].mask.count() == 87
    target = case.case.targets["Lesion 1"]
    assert target.extra.get("vertebra") == vid and target.kind == TargetKind.SPINE
    assert target.vertebra_lps is not None
    assert "tied to" in seg.jobs.last_message

    # naming the vertebra names the lesion's level, as for a lesion tied any other way
    assert seg.vertebra_panel.name_selected("T9")
    assert case.case.targets["Lesion 1"].level == "T9"
    panel = seg.lesion_panel
    panel.refresh()
    qtbot.waitUntil(lambda: panel.table.item(0, COL_LEVEL).text() == "T9", timeout=10_000)

    # the stroke and the tie are one undo step (after the name's)
    case.undo_stack.undo()
    assert case.undo_stack.index() == steps + 1
    case.undo_stack.undo()
    assert case.undo_stack.index() == steps
    assert case.case.layers["Lesion 1"].mask.count() == 0
    target = case.case.targets["Lesion 1"]
    assert "vertebra" not in target.extra and target.kind == TargetKind.EXTRASPINAL
    case.undo_stack.redo()
    assert case.case.targets["Lesion 1"].extra.get("vertebra") == vid
    assert case.case.layers["Lesion 1"].mask.count() == 87
    case.undo_stack.setClean()


def test_a_stroke_mostly_outside_the_body_does_not_tie(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    case = win.case
    _find_t9_then_add_lesion_beside(win, qtbot)
    _stroke(win, BESIDE_T9)  # in the lung beside the body: no vertebra holds it
    assert case.case.layers["Lesion 1"].mask.count() > 0
    target = case.case.targets["Lesion 1"]
    assert "vertebra" not in target.extra and target.kind == TargetKind.EXTRASPINAL
    case.undo_stack.setClean()


def test_grow_of_a_drawn_lesion_in_a_body_ties_it(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    """A mask operation ties as a stroke does: here on a mask that came in without a stroke (as an older
    case's untied drawn lesion), all inside T9's body, grown by 1 mm."""
    from planning.commands import EditMask

    win = window
    seg = win.segmentation
    case = win.case
    vid = _find_t9_then_add_lesion_beside(win, qtbot)
    _stroke(win, T9_CENTRE)
    painted = case.case.layers["Lesion 1"].mask
    case.undo_stack.undo()
    case.push(EditMask("Lesion 1", painted))  # the same voxels, set without the brush: not tied
    assert "vertebra" not in case.case.targets["Lesion 1"].extra
    steps = case.undo_stack.index()

    seg.set_edit_layer("Lesion 1")
    assert seg.run_operation("grow", 1.0)
    target = case.case.targets["Lesion 1"]
    assert target.extra.get("vertebra") == vid and target.kind == TargetKind.SPINE
    assert "tied to" in seg.jobs.last_message
    case.undo_stack.undo()  # the grow and the tie: one step
    assert case.undo_stack.index() == steps
    assert case.case.layers["Lesion 1"].mask.count() == painted.count()
    assert "vertebra" not in case.case.targets["Lesion 1"].extra
    case.undo_stack.setClean()
