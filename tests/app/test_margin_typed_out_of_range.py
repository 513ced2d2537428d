"""Margin or brush radius typed out of range in the Mask editing dock: limited and said (QA s31).

On 0662c75 the margin field (0.1-30 mm) rejected each keystroke that took it past its range: "500" typed
gave 5 mm, "45" gave 4 mm, a "0" typed over it left the old margin, and Grow then used that value without a
word; the brush radius (0.5-50 mm) took "75" as 7 mm. Now the number typed is taken, the nearest limit put in
the field, and the status bar says the limit used; the fields' tooltips give their ranges.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.segmentation.edit_panel import DEFAULT_MARGIN_MM, MAX_MARGIN_MM, MIN_MARGIN_MM
from app.segmentation.edit_tools import MAX_RADIUS_MM
from tests.app.test_segmentation_tools import pytestmark  # noqa: F401  (gui marker and display check)


def _type(spin: Any, text: str) -> None:
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, Qt.Key.Key_Return)


@pytest.mark.parametrize(
    ("typed", "used"), [("500", MAX_MARGIN_MM), ("45", MAX_MARGIN_MM), ("0", MIN_MARGIN_MM)]
)
def test_a_margin_out_of_range_is_limited_and_said(window: Any, qtbot: Any, typed: str, used: float) -> None:
    seg = window.segmentation
    panel = seg.edit_panel
    panel.show()
    panel.raise_()
    assert panel.margin.value() == DEFAULT_MARGIN_MM
    _type(panel.margin, typed)
    assert panel.margin_mm() == used
    said = seg.jobs.last_message
    assert said.startswith(f"Margin: {float(typed):g} mm is outside its range")
    assert f"({MIN_MARGIN_MM:.1f} to {MAX_MARGIN_MM:.1f} mm)" in said
    assert f"Grow and Shrink use {used:.1f} mm" in said and seg.jobs.last_warning
    assert f"{MIN_MARGIN_MM:.1f} to {MAX_MARGIN_MM:.1f} mm" in panel.margin.toolTip()


def test_a_margin_in_range_is_taken_as_typed_without_a_word(window: Any, qtbot: Any) -> None:
    seg = window.segmentation
    panel = seg.edit_panel
    panel.show()
    seg.jobs.say("before")
    _type(panel.margin, "12.5")
    assert panel.margin_mm() == 12.5
    assert seg.jobs.last_message == "before"


def test_a_brush_radius_out_of_range_is_limited_and_said(window: Any, qtbot: Any) -> None:
    seg = window.segmentation
    panel = seg.edit_panel
    panel.show()
    _type(panel.radius, "75")
    assert seg.brush.radius_mm == MAX_RADIUS_MM and panel.radius.value() == MAX_RADIUS_MM
    assert seg.jobs.last_message.startswith("Brush radius: 75 mm is outside its range")
    assert f"the brush paints {MAX_RADIUS_MM:.1f} mm" in seg.jobs.last_message
