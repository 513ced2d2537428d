"""A long status-bar message is drawn elided and read whole in the tooltip; a proposal's message goes when
the operator moves on (QA s30 D row 6).

On the window at 1280 x 1024, a bilateral proposal on the vertebra phantom whose left pedicle was not
traced says what it added and then its notes: more than the bar holds. The bar draws it ending in "…"
(the whole text stays its message and shows in its tooltip); the proposal's message goes at the next
change of the plan or when another planning dock is brought to the front, and the notes stay in the
Needles dock.
"""

from __future__ import annotations

import html

import numpy as np
import pytest

from tests.app.test_planning_ui_untraced import _left_untraced, _open
from tests.phantoms.vertebra import VertebraPhantom, make_vertebra_phantom

#: a text pixel of the status bar's message: differs from the bar's background by more than this (0-255
#: summed over the channels), whatever the theme
TEXT_CONTRAST = 150


@pytest.fixture(scope="module")
def phantom() -> VertebraPhantom:
    return make_vertebra_phantom(lesion=(0.0, -4.0, 0.0, 6.0), seed=3)


def _text_columns(bar: object) -> np.ndarray:
    """Columns (bar px) of the bar's grab that hold a text pixel (one unlike the bar's background, read
    at its left end)."""
    image = bar.grab().toImage()  # type: ignore[attr-defined]
    width, height = image.width(), image.height()
    text = np.zeros(width, dtype=bool)
    for y in range(height):
        back = image.pixelColor(1, y)
        for x in range(width):
            c = image.pixelColor(x, y)
            diff = abs(c.red() - back.red()) + abs(c.green() - back.green()) + abs(c.blue() - back.blue())
            text[x] |= diff > TEXT_CONTRAST
    return np.flatnonzero(text)


def test_long_proposal_message_is_elided_read_whole_and_goes_at_the_next_step(
    window: object, qtbot: object, no_dialogs: object, phantom: VertebraPhantom
) -> None:
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    window.resize(1280, 1024)  # type: ignore[attr-defined]
    qtbot.wait(50)  # type: ignore[attr-defined]
    ui = _open(window, phantom, _left_untraced(phantom))
    case = window.case  # type: ignore[attr-defined]
    bar = window.statusBar()  # type: ignore[attr-defined]
    ui.trajectory_panel.propose("bilateral")  # type: ignore[attr-defined]
    names = list(case.case.trajectories)
    assert len(names) == 2
    left = next(t for t in case.case.trajectories.values() if t.approach.value == "transcostovertebral-left")
    qtbot.wait(50)  # type: ignore[attr-defined]

    # what was added comes first, then the notes; the whole text is the bar's message
    said = bar.currentMessage()
    assert said.startswith(f"Bilateral proposal: {names[0]} and {names[1]} added"), said
    assert f"{left.name}: transcostovertebral-left proposed, its pedicle not traced" in said
    rect = bar.message_rect()
    assert bar.fontMetrics().horizontalAdvance(said) > rect.width()  # too long for the bar at 1280 px
    # drawn elided: ends in "…", fits, and starts with what was added
    shown = bar.shown_message()
    assert shown.endswith("…") and bar.fontMetrics().horizontalAdvance(shown) <= rect.width()
    assert shown.startswith(f"Bilateral proposal: {names[0]} and {names[1]} added")
    columns = _text_columns(bar)
    columns = columns[columns <= rect.right()]  # (the size grip's dots lie beyond)
    assert columns.size > 0.3 * rect.width()  # the text is drawn (not a blank bar), up to the end
    assert columns.max() > rect.right() - 40
    # the tooltip over the bar reads the whole message
    pos = QPoint(rect.center())
    QApplication.sendEvent(bar, QHelpEvent(QEvent.Type.ToolTip, pos, bar.mapToGlobal(pos)))
    assert QToolTip.isVisible()
    assert html.escape(said) in QToolTip.text()
    QToolTip.hideText()

    # the notes stay in the Needles dock while the needle is selected
    ui.controller.select(left.name)  # type: ignore[attr-defined]
    assert "Left pedicle not traced" in ui.trajectory_panel.warnings.text()  # type: ignore[attr-defined]
    assert bar.currentMessage() == said  # selecting a needle is not a new step

    # another planning dock brought to the front: the proposal's message goes
    ui.docks["coverage"].raise_()  # type: ignore[attr-defined]
    qtbot.wait(50)  # type: ignore[attr-defined]
    assert bar.currentMessage() == "" and bar.shown_message() == ""

    # again, then the next change of the plan (the selected needle's gauge): the message goes
    ui.docks["needles"].raise_()  # type: ignore[attr-defined]
    ui.trajectory_panel.propose("left")  # type: ignore[attr-defined]
    assert bar.currentMessage().startswith("Left proposal: ")
    panel = ui.trajectory_panel  # type: ignore[attr-defined]
    before = case.case.trajectories[ui.controller.selected].needle_gauge  # type: ignore[attr-defined]
    panel.gauge.setCurrentIndex((panel.gauge.currentIndex() + 1) % panel.gauge.count())
    assert case.case.trajectories[ui.controller.selected].needle_gauge != before  # type: ignore[attr-defined]
    assert bar.currentMessage() == ""

    # a message said after the step's own stays: the next change does not take it away
    bar.showMessage("Distance 12.0 mm")
    case.undo_stack.undo()
    assert bar.currentMessage() == "Distance 12.0 mm"
    case.undo_stack.setClean()
