"""The Vertebra tool's refusal of a click in a destroyed body says what the window offers next (QA s31).

tests/imaging/test_destroyed_body_refusal.py's volume (the sample case, T9's body a 16 mm sphere of 30 HU):
on 0662c75 the status bar said "Vertebral anatomy: no vertebra at LPS (...) mm: the point reads 30 HU ...:
click inside a vertebral body" and nothing of what else to do. Now it says to click where the body is still
bone, and, if it cannot be found, to segment or draw the lesion and type its level in the Lesions dock (a
lesion tied to no vertebra takes a level there: a spinal target without a vertebra found).
"""

from __future__ import annotations

from typing import Any

from app.display_geometry import ViewAxis
from app.segmentation.lesion_row import COLUMNS
from tests.app.test_segmentation_tools import (
    click,
    pytestmark,  # noqa: F401  (gui marker and display check)
    wait_job,
)
from tests.imaging.test_destroyed_body_refusal import T9_CENTRE, destroyed_t9


def test_a_click_in_a_destroyed_body_says_what_to_do_next(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    seg = win.segmentation
    win.opener.show_volume(destroyed_t9())
    win.state.set_crosshair(T9_CENTRE)
    qtbot.wait(10)
    seg.activate(seg.vertebra_tool)
    click(win.views[ViewAxis.AXIAL], T9_CENTRE)
    wait_job(win, qtbot)
    said = seg.jobs.last_message
    assert said.startswith("Vertebral anatomy: no vertebra")
    assert "click in a part of it that is still bone" in said
    # the steps name what the window has: its tools' keys, the menu item, the dock and its column
    draw = seg.actions["draw_lesion"]
    assert f"Segment > {draw.text()}, {draw.shortcut().toString()}" in said
    lesion_key = seg.actions["lesion"].shortcut().toString()
    assert f"Lesion tool, {lesion_key}" in said
    assert f"Vertebra tool ({seg.actions['vertebra'].shortcut().toString()})" in said
    assert f"its {COLUMNS[-1]} cell in the {seg.lesion_panel.windowTitle()} dock" in said
    assert seg.vertebra_panel.windowTitle() in said
    assert not win.case.case.layers
    win.case.undo_stack.setClean()
