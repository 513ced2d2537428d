"""The Plan menu's keys (QA session 13, item 15): propose, delete, compute cement, next / previous needle
and target, listed in the Ctrl+/ overview, clashing with no other shortcut. Delete deletes the selected
needle from a view (one undo step), never from a spin box or the lesion table. Positions LPS mm on the
marker phantom (tests/app/conftest.py)."""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from app.display_geometry import ViewAxis
from planning.commands import AddLayer, AddTarget, AddTrajectory
from planning.model import Approach, LayerKind, MaskLayer, Target, TargetKind, Trajectory
from tests.app.test_planning_ui_needles import _add_target, _slice_z, _sphere_mask, planning  # noqa: F401

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"),
        reason="GUI tests need a display: run them under xvfb-run",
    ),
]

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
NEW_KEYS = ("Ctrl+Shift+L", "Ctrl+Shift+R", "Ctrl+Shift+B", "Ctrl+Shift+D", "Del", "Ctrl+Shift+C")


def _two_needles(window: object) -> tuple[str, str]:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    window.state.set_crosshair((0.0, 0.0, z))  # type: ignore[attr-defined]
    names = ("T1 needle 1", "T1 needle 2")
    for name, entry in zip(names, ((25.0, 30.0, z), (-25.0, 30.0, z)), strict=True):
        window.case.push(AddTrajectory(Trajectory(name, "T1", Approach.DIRECT, entry, (0.0, 0.0, z))))  # type: ignore[attr-defined]
    return names


def _focus(window: object, qtbot: object, widget: object) -> None:
    window.activateWindow()  # type: ignore[attr-defined]
    widget.setFocus()  # type: ignore[attr-defined]
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: QApplication.activeWindow() is window and QApplication.focusWidget() is widget, timeout=2000
    )


def test_the_overview_lists_the_plan_keys_and_no_two_actions_share_a_key(
    planning: object,  # noqa: F811 - the fixture imported above
    window: object,
) -> None:
    overview = window.shortcut_list()  # type: ignore[attr-defined]
    plan_line = next(line for line in overview.splitlines() if line.startswith("Plan:"))
    for text in (
        "Ctrl+Shift+L: Propose left needle",
        "Ctrl+Shift+R: Propose right needle",
        "Ctrl+Shift+B: Propose bilateral needles",
        "Ctrl+Shift+D: Propose direct needle",
        "Del: Delete needle",
        "Ctrl+Shift+C: Compute cement and risk",
        "Ctrl+.: Next needle",
        "Ctrl+,: Previous needle",
        "Ctrl+Alt+.: Next target",
        "Ctrl+Alt+,: Previous target",
    ):
        assert text in plan_line
    # every key of the window belongs to one action only (the lesion table's Delete is a widget shortcut)
    keys = Counter(
        seq.toString()
        for action in {id(a): a for a in window.findChildren(QAction)}.values()  # type: ignore[attr-defined]
        for seq in action.shortcuts()
    )
    assert [k for k, n in keys.items() if n > 1] == []
    for key in NEW_KEYS:
        assert keys[key] == 1


def test_propose_keys_propose_and_a_direct_needle_appears(
    planning: object,  # noqa: F811
    window: object,
    qtbot: object,
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    window.state.set_crosshair((40.0, 0.0, z))  # type: ignore[attr-defined]  # a skin point, patient's left
    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    _focus(window, qtbot, axial)
    asked: list[str] = []
    proposer = planning.trajectory_panel.proposer  # type: ignore[attr-defined]
    real = proposer.propose
    proposer.propose = asked.append
    for key in (Qt.Key.Key_L, Qt.Key.Key_R, Qt.Key.Key_B):
        qtbot.keyClick(axial, key, CTRL | SHIFT)  # type: ignore[attr-defined]
    assert asked == ["left", "right", "bilateral"]
    proposer.propose = real
    qtbot.keyClick(axial, Qt.Key.Key_D, CTRL | SHIFT)  # type: ignore[attr-defined]
    trajs = list(window.case.case.trajectories.values())  # type: ignore[attr-defined]
    assert len(trajs) == 1 and trajs[0].approach == Approach.DIRECT
    # on the line from the crosshair (a skin point on the patient's left) to the lesion centre (the origin)
    entry = np.asarray(trajs[0].entry_lps)
    assert abs(entry[1]) < 1.0 and abs(entry[2] - z) < 1.0 and entry[0] > 5.0
    assert planning.controller.selected == trajs[0].name  # type: ignore[attr-defined]


def test_delete_in_a_view_deletes_the_needle_in_one_undo_step(
    planning: object,  # noqa: F811
    window: object,
    qtbot: object,
) -> None:
    first, second = _two_needles(window)
    planning.controller.select(second)  # type: ignore[attr-defined]
    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    _focus(window, qtbot, axial)
    qtbot.keyClick(axial, Qt.Key.Key_Delete)  # type: ignore[attr-defined]
    assert list(window.case.case.trajectories) == [first]  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert list(window.case.case.trajectories) == [first, second]  # type: ignore[attr-defined]
    # and from the needle list
    planning.controller.select(first)  # type: ignore[attr-defined]
    needle_list = planning.trajectory_panel.list  # type: ignore[attr-defined]
    _focus(window, qtbot, needle_list)
    qtbot.keyClick(needle_list, Qt.Key.Key_Delete)  # type: ignore[attr-defined]
    assert list(window.case.case.trajectories) == [second]  # type: ignore[attr-defined]


def test_delete_in_a_spin_box_or_the_lesion_table_keeps_the_needle(
    planning: object,  # noqa: F811
    window: object,
    qtbot: object,
) -> None:
    first, second = _two_needles(window)
    planning.controller.select(first)  # type: ignore[attr-defined]
    planning.docks["needles"].raise_()  # type: ignore[attr-defined]
    spin = planning.trajectory_panel.length  # type: ignore[attr-defined]
    qtbot.waitUntil(spin.isVisible, timeout=2000)  # type: ignore[attr-defined]
    _focus(window, qtbot, spin)
    spin.lineEdit().setCursorPosition(0)
    before = spin.lineEdit().text()
    qtbot.keyClick(spin, Qt.Key.Key_Delete)  # type: ignore[attr-defined]
    assert list(window.case.case.trajectories) == [first, second]  # type: ignore[attr-defined]
    assert spin.lineEdit().text() != before  # the key went to the field: it deleted a character
    # the lesion table: its own Delete removes the selected lesion, and no needle of another target
    vol = window.case.volume  # type: ignore[attr-defined]
    window.case.push(
        AddLayer(MaskLayer.new("T2 lesion", LayerKind.LESION, _sphere_mask(vol, (0.0, -30.0, 0.0), 4.0)))
    )  # type: ignore[attr-defined]
    window.case.push(  # type: ignore[attr-defined]
        AddTarget(Target("T2", kind=TargetKind.EXTRASPINAL, lesion_layer="T2 lesion", lesion_type="lytic"))
    )
    panel = window.segmentation.lesion_panel  # type: ignore[attr-defined]
    panel.show()
    panel.raise_()
    table = panel.table
    qtbot.waitUntil(lambda: table.rowCount() == 2 and table.isVisible(), timeout=2000)  # type: ignore[attr-defined]
    panel.select("T2")
    assert panel.selected_name() == "T2"
    _focus(window, qtbot, table)
    qtbot.keyClick(table, Qt.Key.Key_Delete)  # type: ignore[attr-defined]
    assert "T2" not in window.case.case.targets  # type: ignore[attr-defined]
    assert list(window.case.case.trajectories) == [first, second]  # type: ignore[attr-defined]


def test_next_and_previous_needle_and_target_and_compute_cement_keys(
    planning: object,  # noqa: F811
    window: object,
    qtbot: object,
) -> None:
    first, second = _two_needles(window)
    c = planning.controller  # type: ignore[attr-defined]
    c.select(first)
    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    _focus(window, qtbot, axial)
    qtbot.keyClick(axial, Qt.Key.Key_Period, CTRL)  # type: ignore[attr-defined]
    assert c.selected == second
    qtbot.keyClick(axial, Qt.Key.Key_Period, CTRL)  # type: ignore[attr-defined]
    assert c.selected == first  # wraps
    qtbot.keyClick(axial, Qt.Key.Key_Comma, CTRL)  # type: ignore[attr-defined]
    assert c.selected == second
    # the crosshair went to the needle's tip
    assert np.linalg.norm(window.state.crosshair_lps - np.asarray(c.trajectory().target_lps)) < 1e-6  # type: ignore[attr-defined]
    vol = window.case.volume  # type: ignore[attr-defined]
    window.case.push(
        AddLayer(MaskLayer.new("T2 lesion", LayerKind.LESION, _sphere_mask(vol, (0.0, -30.0, 0.0), 4.0)))
    )  # type: ignore[attr-defined]
    t2 = Target(
        "T2", kind=TargetKind.EXTRASPINAL, lesion_seed_lps=(0.0, -30.0, 0.0), lesion_layer="T2 lesion"
    )
    window.case.push(AddTarget(t2))  # type: ignore[attr-defined]
    qtbot.keyClick(axial, Qt.Key.Key_Period, CTRL | ALT)  # type: ignore[attr-defined]
    assert c.target().name == "T2" and c.selected is None  # T2 has no needle
    qtbot.keyClick(axial, Qt.Key.Key_Comma, CTRL | ALT)  # type: ignore[attr-defined]
    assert c.target().name == "T1" and c.selected == first
    computed: list[str] = []
    planning.cement_panel.compute = lambda: computed.append(c.target().name)  # type: ignore[attr-defined]
    qtbot.keyClick(axial, Qt.Key.Key_C, CTRL | SHIFT)  # type: ignore[attr-defined]
    assert computed == ["T1"]
    qtbot.waitUntil(lambda: not planning.cement_panel.visibleRegion().isEmpty(), timeout=2000)  # type: ignore[attr-defined]
