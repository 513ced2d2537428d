"""The Needles dock at a 1700x1100 window: the "Ablation zone" box, and the needle's readouts, show whole
without scrolling the dock (QA found the zone's box below the fold at that size); they are two tabs, and
the needle's tab is marked while a readout needs attention.

Phantom: conftest's marker volume with a target and one needle with a device profile. Sizes in
screen pixels.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QScrollArea, QTabWidget, QWidget

from planning.commands import AddTarget, AddTrajectory
from planning.model import AblationSpec, Approach, Target, TargetKind, Trajectory
from tests.app.conftest import marker_volume

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"),
        reason="GUI tests need a display: run them under xvfb-run",
    ),
]

#: the window size QA used
WINDOW_SIZE = (1700, 1100)


def _visible_rect_in_dock(widget: QWidget, scroll: QScrollArea) -> tuple[QRect, QRect]:
    """The widget's rectangle and the dock's visible area, both in the scroll area's viewport."""
    viewport = scroll.viewport()
    top_left = widget.mapTo(viewport, QPoint(0, 0))
    return QRect(top_left, widget.size()), viewport.rect()


def _show_tab_of(widget: QWidget) -> None:
    """Bring forward the tabs that hold ``widget`` (for the operator: one click on each)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QTabWidget):
            for i in range(parent.count()):
                if parent.widget(i).isAncestorOf(widget):
                    parent.setCurrentIndex(i)
        parent = parent.parentWidget()


def test_zone_box_and_readouts_show_whole_in_the_needles_dock_at_1700x1100(
    window: object, qtbot: object, no_dialogs: object
) -> None:
    from app.planning_ui import install

    ui = getattr(window, "planning_ui", None) or install(window)  # type: ignore[arg-type]
    window.opener.show_volume(marker_volume(np.eye(3)))  # type: ignore[attr-defined]
    case = window.case  # type: ignore[attr-defined]
    case.push(AddTarget(Target("T1", kind=TargetKind.EXTRASPINAL, lesion_seed_lps=(0.0, 0.0, 0.0))))
    profile = next(iter(ui.controller.profiles()))  # type: ignore[attr-defined]
    needle = Trajectory(
        "T1 needle 1",
        "T1",
        Approach.DIRECT,
        (0.0, 40.0, 0.0),
        (0.0, 0.0, 0.0),
        ablation=AblationSpec(profile=profile),
    )
    case.push(AddTrajectory(needle))
    ui.controller.select("T1 needle 1")  # type: ignore[attr-defined]
    window.resize(*WINDOW_SIZE)  # type: ignore[attr-defined]
    dock = ui.docks["needles"]  # type: ignore[attr-defined]
    dock.raise_()
    qtbot.waitUntil(lambda: window.size().toTuple() == WINDOW_SIZE, timeout=2000)  # type: ignore[attr-defined]
    qtbot.wait(50)  # type: ignore[attr-defined]
    scroll = dock.widget()
    assert isinstance(scroll, QScrollArea)
    panel = ui.trajectory_panel  # type: ignore[attr-defined]
    box = panel.ablation_box
    assert box.source.text().startswith("predicted, from")  # the zone's choices are filled in

    for widget in (box, panel.readouts_box):
        _show_tab_of(widget)
        qtbot.wait(20)  # type: ignore[attr-defined]
        assert widget.isVisible()
        rect, visible = _visible_rect_in_dock(widget, scroll)
        assert visible.contains(rect), (type(widget).__name__, rect.getRect(), visible.getRect())
        assert scroll.verticalScrollBar().value() == 0  # seen without scrolling the dock


def test_needle_tab_is_marked_while_a_readout_needs_attention(
    window: object, qtbot: object, no_dialogs: object
) -> None:
    """The readouts hide behind the zone's tab: a red readout or a warning marks their tab meanwhile."""
    from dataclasses import replace

    from app.planning_ui import install
    from app.planning_ui.trajectory_panel import ATTENTION_MARK, NEEDLE_TAB
    from planning.commands import UpdateTrajectory

    ui = getattr(window, "planning_ui", None) or install(window)  # type: ignore[arg-type]
    window.opener.show_volume(marker_volume(np.eye(3)))  # type: ignore[attr-defined]
    case = window.case  # type: ignore[attr-defined]
    case.push(AddTarget(Target("T1", kind=TargetKind.EXTRASPINAL, lesion_seed_lps=(0.0, 0.0, 0.0))))
    # the entry in the image's air behind the body (y 45 to 48): an entry beyond the image is warned of
    needle = Trajectory("T1 needle 1", "T1", Approach.DIRECT, (0.0, 47.0, 0.0), (0.0, 0.0, 0.0))
    case.push(AddTrajectory(needle))
    ui.controller.select("T1 needle 1")  # type: ignore[attr-defined]
    qtbot.wait(20)  # type: ignore[attr-defined]
    panel = ui.trajectory_panel  # type: ignore[attr-defined]
    panel.sections.setCurrentIndex(1)  # the operator is on the zone's tab
    assert panel.sections.tabText(0) == NEEDLE_TAB  # a 150 mm needle reaches the tip 44 mm deep: no mark
    case.push(UpdateTrajectory("T1 needle 1", replace(needle, needle_length_mm=20.0)))
    qtbot.wait(20)  # type: ignore[attr-defined]
    assert "deeper than the 20 mm needle" in panel.warnings.text()
    assert panel.sections.tabText(0) == NEEDLE_TAB + ATTENTION_MARK  # said on the tab in view
    case.undo_stack.undo()
    qtbot.wait(20)  # type: ignore[attr-defined]
    assert panel.sections.tabText(0) == NEEDLE_TAB
