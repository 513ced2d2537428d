"""A lesion edited and the edit undone gives the Cement and risk dock its figures back (QA s30 G, left).

On ab7d7e8 the dock compared the lesion layer it had computed from as an object: a brush stroke on the
lesion cleared the figures, and undoing the stroke (which gives back a layer with the same voxels but as
another object) left them cleared. Now what the figures were computed from is compared by content: the
stroke clears them and says why ("its lesion"), the undo shows the same figures again, and a stroke
left standing (redone) keeps them cleared. Phantom: conftest's marker volume with a lytic ellipsoid
lesion in a bone at the origin, an extraspinal target and two needles
(tests/app/test_coverage_suggestions_ui.py); a 2 mm brush dab 25 mm in front of the lesion's centre, just
outside it, on the axial slice through it; LPS mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.display_geometry import ViewAxis
from planning.model import TargetKind
from tests.app.test_cement_cleared_says_why import _compute
from tests.app.test_coverage_suggestions_ui import (  # noqa: F401  (fixture, gui marker)
    _add_case,
    planning,
    pytestmark,
)
from tests.app.test_segmentation_tools import click, mask_at

CLEARED = (
    "Cement and risk of T1 cleared: the plan changed since they were computed (its lesion). "
    "Press Compute cement and risk (Ctrl+Shift+C) to compute them again."
)
#: a text pixel: differs from the label's background (its top-left pixel) by more than this, summed
#: over the channels (0-765), whatever the theme
TEXT_CONTRAST = 150


def _text_pixels(label: Any) -> int:
    image = label.grab().toImage()
    back = image.pixelColor(0, 0)

    def contrast(x: int, y: int) -> int:
        c = image.pixelColor(x, y)
        return abs(c.red() - back.red()) + abs(c.green() - back.green()) + abs(c.blue() - back.blue())

    return sum(contrast(x, y) > TEXT_CONTRAST for y in range(image.height()) for x in range(image.width()))


def _figures(panel: Any) -> tuple[str, str, str, int]:
    return panel.estimate.text(), panel.risk.text(), panel.protocol.text(), panel.zone_list.count()


def test_a_lesion_edit_undone_keeps_the_figures_and_one_left_clears_them(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
) -> None:
    _add_case(window, TargetKind.EXTRASPINAL)
    c = planning.controller
    c.select("T1 needle 1")
    panel = planning.cement_panel
    planning.docks["cement"].raise_()
    _compute(panel)
    figures = _figures(panel)
    analysis = panel.analysis
    assert _text_pixels(panel.estimate) > 100 and _text_pixels(panel.risk) > 50  # drawn

    # a brush dab on the lesion, outside it: the lesion changed, the figures go and the dock says why
    case = window.case
    seg = window.segmentation
    dab = np.array([0.0, -25.0, -1.0])  # anterior: away from the needles (x ±7 mm, y -5 to 55 mm)
    window.state.set_crosshair(np.array([0.0, 0.0, -1.0]))  # z on a slice (the grid's slice 23)
    seg.set_edit_layer("T1 lesion")
    seg.activate(seg.brush_tool)
    seg.set_brush_radius(2.0)
    before = case.case.layers["T1 lesion"]
    click(window.views[ViewAxis.AXIAL], dab)
    assert mask_at(case.case.layers["T1 lesion"].mask, case.volume, dab)
    assert case.undo_stack.undoText() == "Brush on T1 lesion"
    qtbot.wait(20)
    assert panel.analysis is None and panel.estimate.text() == CLEARED
    assert panel.risk.text() == "" and panel.zone_list.count() == 0

    # the stroke undone: the same voxels as another layer object, and the same figures again
    case.undo_stack.undo()
    after = case.case.layers["T1 lesion"]
    assert after is not before and np.array_equal(after.mask.array, before.mask.array)
    qtbot.wait(20)
    assert panel.analysis is analysis
    assert _figures(panel) == figures
    assert panel.estimate.text().startswith("Cement ") and panel.risk.text().startswith("Leakage risk: ")
    assert _text_pixels(panel.estimate) > 100 and _text_pixels(panel.risk) > 50
    # another needle of the same target selected: nothing they were computed from changed
    c.select("T1 needle 2")
    assert panel.analysis is analysis

    # the stroke done again and left: the figures stay cleared
    case.undo_stack.redo()
    qtbot.wait(20)
    assert mask_at(case.case.layers["T1 lesion"].mask, case.volume, dab)
    assert panel.analysis is None and panel.estimate.text() == CLEARED
    assert _text_pixels(panel.estimate) > 100  # the sentence is drawn
    case.undo_stack.setClean()
