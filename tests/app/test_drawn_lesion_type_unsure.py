"""A lesion drawn by hand over normal bone reads "unsure" in the Lesions dock's Type cell, and its warning
area says why, with the figures (QA s28 G3).

The sample case (resources/sample_case): one stroke of a 3 mm disc, 8 mm long, across T9's body centre
(-10, 125, -68.5), as tests/app/test_drawn_lesion_breach_sample.py draws it: 87 voxels of normal
trabecular bone. Measured on its mask (imaging.lesion_remeasure): reference bone 184 HU, lytic fraction
0.06, sclerotic 0.00, both under the 20 % a type needs. On a28b0dd the Type cell read "lytic" (amber, its
tooltip the only place saying the mask is like normal bone), the row had no warning sign and the warning
area under the table was empty.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox

from app.segmentation.lesion_row import COL_NAME, COL_TYPE
from app.theme import AMBER
from planning.model import LesionType
from tests.app.test_drawn_lesion_breach_sample import draw_t9_stroke
from tests.app.test_segmentation_tools import pytestmark  # noqa: F401  (gui marker and display check)


def _type_cell(panel: Any) -> QComboBox:
    combo = panel.table.cellWidget(0, COL_TYPE)
    assert isinstance(combo, QComboBox)
    return combo


def test_drawn_normal_bone_type_unsure_and_warned(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    panel = draw_t9_stroke(win, qtbot)
    target = win.case.case.targets["Lesion 1"]
    figures = panel.figures.cached(win.segmentation.volume(), win.case.case, target)
    lesion = figures.lesion
    basis = lesion.type_basis
    assert basis is not None
    assert max(basis.lytic_fraction, basis.sclerotic_fraction) < basis.mixed_min_fraction  # normal bone

    # the Type cell asserts no type: nothing chosen, it reads "unsure" (amber)
    combo = _type_cell(panel)
    assert combo.currentIndex() == -1 and combo.currentData() is None, combo.currentText()
    assert combo.placeholderText() == "unsure"
    assert combo.styleSheet() == AMBER
    assert lesion.type_unsure  # the measured lesion says so too (the Scores dock and cement risk read it)
    # the row carries the warning sign, and the warning area says it in words, with the figures
    assert not panel.table.item(0, COL_NAME).icon().isNull()
    text = panel.warning.text()
    assert panel.warning.isVisibleTo(panel), text
    assert "Type unsure" in text and "normal bone around it" in text, text
    lytic_pct = f"{100 * basis.lytic_fraction:.0f} %"
    sclerotic_pct = f"{100 * basis.sclerotic_fraction:.0f} %"
    assert f"{lytic_pct} of its voxels" in text and f"{sclerotic_pct} above" in text, text
    assert f"reference bone {basis.reference_hu:.0f} HU" in text, text
    assert f"{100 * basis.mixed_min_fraction:.0f} %" in text, text

    # the operator chooses the type: one undo step; the row and the warning area no longer warn of it
    steps = win.case.undo_stack.count()
    combo.setCurrentIndex(combo.findData(LesionType.LYTIC.value))
    assert win.case.case.targets["Lesion 1"].lesion_type == LesionType.LYTIC
    assert win.case.undo_stack.count() == steps + 1
    panel.measure_now()
    assert panel.wait_measured()
    qtbot.waitUntil(lambda: _type_cell(panel).currentText() == "lytic", timeout=10_000)
    assert "Type unsure" not in panel.warning.text()
    assert panel.table.item(0, COL_NAME).icon().isNull()
    # undone: unsure again, and warned again
    win.case.undo_stack.undo()
    assert win.case.case.targets["Lesion 1"].lesion_type is None
    panel.measure_now()
    assert panel.wait_measured()
    qtbot.waitUntil(lambda: _type_cell(panel).currentIndex() == -1, timeout=10_000)
    assert "Type unsure" in panel.warning.text()
    win.case.undo_stack.setClean()
