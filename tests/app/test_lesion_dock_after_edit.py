"""The Lesions dock with long warnings, after an edit, and its selected row (QA s24 D16, D12, D13).

QA found (case7 of bone-lesions, lesion 1, two warnings of about 700 characters): at 1280x1000 the dock's
short summary line cut at the dock's bottom edge under the warnings (D16); any edit of the mask, even 88
voxels on the far side of the lesion, removing the warnings from view, left only in the name's tooltip
(D12); and the selection blue painted over the selected lesion's colour swatch (D13).

Phantom: tests/phantoms/vertebra.py with a lytic ball at the back of the body (as in
test_lesion_dock_layout.py), given case7 lesion 1's two warnings word for word (the layout must hold for
any text this long; the warnings themselves are segmentation's, tested in test_lesion_warnings.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QScrollArea, QWidget

from app.segmentation.lesion_row import COL_COLOUR, COL_FIRST_FIGURE, COL_NAME
from app.segmentation.lesion_warnings import result_line
from imaging.mask import Mask
from planning.commands import UpdateTarget
from planning.layer_commands import EditMask
from planning.lesion_extra import VOXELS_KEY, WARNINGS_KEY
from tests.app.test_lesion_dock_layout import _setup
from tests.app.test_segmentation_tools import pytestmark  # noqa: F401  (gui marker and display check)

#: case7 lesion 1's warnings as segmentation gave them (s24 C, /work/tasks/s24_C_png/after_dock.png)
CASE7_WARNINGS = (
    "the lesion reaches the growth limit (16 mm from the seed; estimated lesion radius 8 mm, maximum 40 mm): "
    "with the limit at 18 mm it is 16.06 mL, not 12.10 mL (+33%): no edge within reach, its tissue runs on "
    "into tissue as dense: the volume is set by the limit, which a click one voxel away can move by a step\n"
    "the lesion reaches the edge of the scan (a zero-filled region): it may continue beyond it"
)


def _in_view(widget: QWidget, dock: Any) -> bool:
    """The widget lies wholly inside the dock's visible area (the scroll area's viewport)."""
    scroll = dock.widget()
    assert isinstance(scroll, QScrollArea)
    viewport = scroll.viewport()
    return viewport.rect().contains(QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size()))


def _warn(win: Any) -> None:
    """Give Lesion 1 case7's two warnings, its mask unedited, and say the status line a click says."""
    case = win.case.case
    target = case.targets["Lesion 1"]
    count = case.layers["Lesion 1"].mask.count()
    extra = {**target.extra, WARNINGS_KEY: CASE7_WARNINGS, VOXELS_KEY: count}
    win.case.push(UpdateTarget("Lesion 1", dataclasses.replace(target, extra=extra)))
    summary = "Lesion 1: lytic, 12.10 mL, 32.0 mm across (reference bone 275 HU)."
    win.segmentation.jobs.say(result_line(summary, 2), warning=True, detail=summary)


def _settle(win: Any, qtbot: Any) -> None:
    panel = win.segmentation.lesion_panel
    panel.measure_now()
    assert panel.wait_measured()
    qtbot.waitUntil(lambda: panel.table.item(0, COL_FIRST_FIGURE).text() not in ("…", ""), timeout=10_000)
    qtbot.wait(50)


@pytest.mark.parametrize("size", [(1280, 1000), (1920, 1080)], ids=["1280x1000", "1920x1080"])
def test_every_line_of_the_dock_is_in_view_under_long_warnings(
    window: Any, qtbot: Any, no_dialogs: Any, size: tuple[int, int]
) -> None:
    win = window
    panel = win.segmentation.lesion_panel
    _setup(win, qtbot)
    _warn(win)
    win.resize(*size)
    qtbot.waitUntil(lambda: win.size().toTuple() == size, timeout=2000)
    panel.raise_()
    panel.select("Lesion 1")
    _settle(win, qtbot)
    assert "Check the 2 warnings under the Lesions table" in panel.info.text()
    assert panel.warning.isVisibleTo(panel) and "growth limit" in panel.warning.text()
    # the summary line, the details, the buttons and the table whole in the dock's visible area (before:
    # the summary cut at the dock's bottom edge at 1280x1000, QA s24 D16)
    for widget in (panel.info, panel.details, panel.goto_button, panel.table):
        assert _in_view(widget, panel), widget.objectName() or type(widget).__name__
    for label in (panel.info, panel.details):  # not squeezed: every line of them drawn
        assert label.height() >= label.heightForWidth(label.width()), label.text()
    # the warnings in a box of their own, in view, that scrolls to their end
    area = panel.warning_area
    assert _in_view(area, panel)
    viewport = area.viewport().height()
    assert area.verticalScrollBar().maximum() == max(0, panel.warning.height() - viewport)
    assert panel.warning.height() >= panel.warning.heightForWidth(panel.warning.width())
    assert viewport >= 3 * panel.warning.fontMetrics().lineSpacing()  # a few lines at least, at once
    win.case.undo_stack.setClean()


def _state(panel: Any) -> tuple[object, ...]:
    """What the dock shows of Lesion 1's warnings: the lines under the table, the row's marks, Dismiss."""
    name = panel.table.item(0, COL_NAME)
    figure = panel.table.item(0, COL_FIRST_FIGURE)
    return (
        panel.warning.text(),
        panel.warning_area.isVisibleTo(panel),
        not name.icon().isNull(),
        name.toolTip(),
        name.foreground().color().name(),
        figure.foreground().color().name(),
        panel.table.cellWidget(0, 2).styleSheet(),
        panel.dismiss_button.isVisibleTo(panel),
    )


def _grow_far_side(win: Any) -> int:
    """Add the voxels just beyond the mask's last column (one edit, touching it: still one piece)."""
    mask = win.case.case.layers["Lesion 1"].mask
    full = mask.to_full()
    cols = np.nonzero(full.any(axis=(0, 1)))[0]
    last = int(cols.max())
    added = full[:, :, last] & ~full[:, :, last + 1]
    full[:, :, last + 1] |= added
    win.case.push(EditMask("Lesion 1", Mask.from_full(full)))
    return int(added.sum())


def test_warnings_stay_shown_after_an_edit_until_dismissed_and_undo_restores_each_state(
    window: Any, qtbot: Any, no_dialogs: Any
) -> None:
    win = window
    panel = win.segmentation.lesion_panel
    _setup(win, qtbot)
    _warn(win)
    win.resize(1280, 1000)
    panel.raise_()
    panel.select("Lesion 1")
    _settle(win, qtbot)
    segmented = _state(panel)
    text, area, icon, tip, _name_rgb, figure_rgb, _combo, dismiss = segmented
    assert area and icon and dismiss and figure_rgb == "#ffb347"
    assert "growth limit" in text and "edge of the scan" in text and "before your edits" not in text

    # an edit of a few voxels on the far side: the warnings still hold (the lesion may still be larger),
    # shown as the segmentation's, before the edits (before: hidden, left in the name's tooltip only)
    added = _grow_far_side(win)
    assert 0 < added < 200
    _settle(win, qtbot)
    edited = _state(panel)
    text, area, icon, tip, _name_rgb, figure_rgb, combo, dismiss = edited
    assert area and icon and dismiss and figure_rgb == "#ffb347" and "ffb347" in combo
    lines = text.splitlines()
    assert lines[0].startswith("From the segmentation, before your edits")
    assert "growth limit" in lines[1] and "edge of the scan" in lines[2]
    assert "before your edits" in tip and "growth limit" in tip

    # dismissed by the operator: no longer shown, kept in the name's tooltip; one undo step
    steps = win.case.undo_stack.index()
    panel.dismiss_button.click()
    _settle(win, qtbot)
    dismissed = _state(panel)
    text, area, icon, tip, _name_rgb, figure_rgb, combo, dismiss = dismissed
    assert win.case.undo_stack.index() == steps + 1
    assert not area and not icon and not dismiss and text == "" and figure_rgb != "#ffb347"
    assert "ffb347" not in combo
    assert "dismissed by you" in tip and "growth limit" in tip
    assert "Dismissed" in win.segmentation.jobs.last_message

    # undo brings back exactly each former state, and redo each later one
    for expected in (edited, segmented):
        win.case.undo_stack.undo()
        _settle(win, qtbot)
        assert _state(panel) == expected
    for expected in (edited, dismissed):
        win.case.undo_stack.redo()
        _settle(win, qtbot)
        assert _state(panel) == expected
    win.case.undo_stack.setClean()


def test_the_selected_row_shows_its_lesion_colour(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    panel = win.segmentation.lesion_panel
    _setup(win, qtbot)
    win.resize(1280, 1000)
    panel.raise_()
    panel.select("Lesion 1")
    _settle(win, qtbot)
    assert panel.selected_name() == "Lesion 1"  # the dock reads the selected lesion as before
    table = panel.table
    assert table.item(0, COL_COLOUR).isSelected()
    rgb = win.case.case.layers["Lesion 1"].color_rgb
    image = table.viewport().grab().toImage()
    rect = table.visualRect(table.model().index(0, COL_COLOUR))
    centre = image.pixelColor(rect.center())
    # the lesion's colour in the middle of its cell (before: the selection blue over the whole cell)
    assert (centre.red(), centre.green(), centre.blue()) == tuple(rgb), centre.name()
    # the selection still shows around the swatch, as on the rest of the row
    edge = image.pixelColor(rect.left() + 1, rect.center().y())
    name_cell = table.visualRect(table.model().index(0, COL_NAME))
    beside = image.pixelColor(name_cell.right() - 2, name_cell.bottom() - 2)
    assert edge.name() != QColor(*rgb).name() and edge.name() == beside.name()
    win.case.undo_stack.setClean()
