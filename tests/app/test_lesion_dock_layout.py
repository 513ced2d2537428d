"""The segmentation docks at 1280x800 and 1920x1080: what the operator reads is in view without scrolling
(QA session 14 j, items 4, 5 and 7).

QA found the Lesions table's anatomy columns off-screen in a ~450 px dock, the figure cells' tooltips
showing the growth-limit warning instead of what they measure, the pieces warning only in the name's
tooltip, the Vertebrae figures box 68 px tall with Accept cut off, and the Fill holes row half hidden.
Phantom: tests/phantoms/vertebra.py with a lytic ball at the back of the body, left of the midline
(local 10, 9, 0 mm, radius 6 mm; 1 mm voxels); sizes in screen pixels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QScrollArea, QWidget

from app.segmentation.lesion_row import COL_BREACH, COL_FIRST_FIGURE, COL_TYPE, COL_WALL, COLUMNS
from imaging.mask import Mask
from planning.layer_commands import EditMask
from tests.app.test_segmentation_tools import (
    pytestmark,  # noqa: F401  (gui marker and display check)
    wait_job,
)
from tests.phantoms.vertebra import make_vertebra_phantom

LESION = (10.0, 9.0, 0.0, 6.0)
#: a header or cell needs this much more than its text: the header's sort indicator room and the cell's
#: margins (Qt's item delegate pads about 3-6 px each side)
TEXT_PAD_PX = 6


def _in_view(widget: QWidget, dock: Any) -> bool:
    """The widget lies wholly inside the dock's visible area (the scroll area's viewport)."""
    scroll = dock.widget()
    assert isinstance(scroll, QScrollArea)
    viewport = scroll.viewport()
    return viewport.rect().contains(QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size()))


def _setup(win: Any, qtbot: Any) -> Any:
    seg = win.segmentation
    ph = make_vertebra_phantom(lesion=LESION)
    win.opener.show_volume(ph.volume)
    seg.find_vertebra_at(ph.to_lps((-10.0, -8.0, 0.0)))
    wait_job(win, qtbot)
    win.state.set_crosshair(ph.lesion_center_lps)
    seg.segment_lesion_at(np.asarray(ph.lesion_center_lps), None)
    wait_job(win, qtbot)
    seg.lesion_panel.measure_now()
    assert seg.lesion_panel.wait_measured()
    return ph


def _show(win: Any, qtbot: Any, dock: Any) -> None:
    dock.raise_()
    qtbot.wait(30)


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)], ids=["1280x800", "1920x1080"])
def test_segmentation_docks_show_their_contents_whole(
    window: Any, qtbot: Any, no_dialogs: Any, size: tuple[int, int]
) -> None:
    win = window
    seg = win.segmentation
    _setup(win, qtbot)
    win.resize(*size)
    qtbot.waitUntil(lambda: win.size().toTuple() == size, timeout=2000)

    panel = seg.lesion_panel
    _show(win, qtbot, panel)
    table = panel.table
    qtbot.waitUntil(lambda: table.item(0, COL_FIRST_FIGURE).text() not in ("…", ""), timeout=10_000)
    qtbot.wait(30)
    header = table.horizontalHeader()
    for c, title in enumerate(COLUMNS):
        width = table.columnWidth(c)
        assert header.fontMetrics().horizontalAdvance(title) + TEXT_PAD_PX <= width, title
        item = table.item(0, c)
        if item is not None:
            assert table.fontMetrics().horizontalAdvance(item.text()) + TEXT_PAD_PX <= width, title
    assert table.cellWidget(0, COL_TYPE).width() <= table.columnWidth(COL_TYPE)
    assert sum(table.columnWidth(c) for c in range(len(COLUMNS))) <= table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0
    assert _in_view(table, panel)
    # the figures moved out of the table: in the details line, in view
    assert _in_view(panel.details, panel)
    details = panel.details.text()
    assert "posterior wall " in details and " mm, canal " in details and "pedicle: none" in details
    assert "HU" in details

    vertebrae = seg.vertebra_panel
    _show(win, qtbot, vertebrae)
    assert vertebrae.figures_text().count("\n") >= 6
    for widget in (vertebrae.list, vertebrae.figures, vertebrae.level_edit, vertebrae.name_button):
        assert _in_view(widget, vertebrae), widget
    assert _in_view(vertebrae.accept_button, vertebrae)
    line = vertebrae.figures.fontMetrics().lineSpacing()
    assert vertebrae.figures.viewport().height() >= 6 * line  # six lines of figures at least

    edit = seg.edit_panel
    _show(win, qtbot, edit)
    assert _in_view(edit.fill_in, edit)
    for button in edit.findChildren(QWidget):
        if getattr(button, "defaultAction", None) and button.defaultAction() is seg.actions["fill_holes"]:
            assert _in_view(button, edit)
            break
    else:
        raise AssertionError("no Fill holes button")


def test_cells_explain_their_figure_and_a_stray_dab_is_marked(
    window: Any, qtbot: Any, no_dialogs: Any
) -> None:
    win = window
    seg = win.segmentation
    ph = _setup(win, qtbot)
    win.resize(1280, 800)
    panel = seg.lesion_panel
    panel.raise_()
    table = panel.table
    wall_tip = table.item(0, COL_WALL).toolTip()
    assert "posterior wall" in wall_tip and " mm between voxel centres" in wall_tip
    assert "growth limit" not in wall_tip
    assert "mL" in table.item(0, COL_FIRST_FIGURE).toolTip()
    assert "Largest diameter" in table.item(0, COL_FIRST_FIGURE + 1).toolTip()
    assert not panel.warning.isVisibleTo(panel)
    diameter = float(table.item(0, COL_FIRST_FIGURE + 1).text())

    # a stray 2 mm dab 25 mm from the lesion, in the same layer
    case = win.case.case
    lesion = case.layers["Lesion 1"].mask
    full = lesion.to_full()
    vol = ph.volume
    centre = np.asarray(ph.lesion_center_lps) + np.array([0.0, -25.0, 0.0])
    idx = np.indices(vol.shape).reshape(3, -1).T
    near = np.linalg.norm(vol.index_to_lps_points(idx) - centre, axis=1) <= 2.0
    full[tuple(idx[near].T)] = True
    win.case.push(EditMask("Lesion 1", Mask.from_full(full)))
    panel.measure_now()
    assert panel.wait_measured()
    qtbot.waitUntil(lambda: table.item(0, COL_FIRST_FIGURE + 1).text() not in ("…", ""), timeout=10_000)
    qtbot.wait(30)
    diameter_cell = table.item(0, COL_FIRST_FIGURE + 1)
    assert diameter_cell.text().endswith("*") and float(diameter_cell.text()[:-1]) > diameter + 15.0
    assert "2 separate pieces" in diameter_cell.toolTip()
    assert table.item(0, COL_BREACH).text().endswith("*")
    assert not table.item(0, COL_WALL).text().endswith("*")  # the wall figure does not add pieces up
    # the warning written out under the table, amber, in view
    assert panel.warning.isVisibleTo(panel) and _in_view(panel.warning, panel)
    assert "2 pieces" in panel.warning.text() and "Remove islands" in panel.warning.text()
    assert "ffb347" in panel.warning.styleSheet()
    win.case.undo_stack.undo()
    panel.measure_now()
    assert panel.wait_measured()
    qtbot.waitUntil(lambda: not panel.warning.isVisibleTo(panel), timeout=10_000)
    assert not table.item(0, COL_FIRST_FIGURE + 1).text().endswith("*")
