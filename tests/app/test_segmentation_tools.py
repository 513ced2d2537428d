"""The segmentation tools in a real window: lesion click, brush / eraser strokes, lesion panel, vertebra.

Phantoms have answers known by construction (tests/phantoms): the lytic sphere of radius 8 mm centred
at LPS (2, -1.5, 3) mm in a bone cylinder; the vertebra phantom. Clicks are sent at the widget
position where a known LPS point projects (``view.lps_to_widget``); the model is checked at known LPS
points, then undone and checked again; pixels are probed at projected points. Run under Xvfb:
``xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" .venv/bin/python -m pytest -p no:xvfb
tests/app/test_segmentation_tools.py -q``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from app.display_geometry import ViewAxis
from imaging.mask import Mask
from planning.model import LayerKind, LesionType, TargetKind
from tests.app.test_view_orientation import grab_grey
from tests.phantoms.lesion import TRABECULAR_HU, PhantomLesion, lesion_phantom

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"),
        reason="GUI tests need a display: run them under xvfb-run",
    ),
]

#: lesion segmentation of the 64x72x72 phantom takes ~0.5 s; generous for 2 busy cores
JOB_TIMEOUT_MS = 30_000


def send_mouse(
    view: Any,
    kind: QEvent.Type,
    point_lps: Any,
    *,
    buttons: Qt.MouseButton = Qt.MouseButton.LeftButton,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """Send a left-button mouse event at the widget position of an LPS point."""
    pos = QPointF(view.lps_to_widget(point_lps))
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    held = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else buttons
    event = QMouseEvent(kind, pos, view.mapToGlobal(pos), button, held, modifiers)
    QApplication.sendEvent(view, event)


def click(view: Any, point_lps: Any, **kw: Any) -> None:
    send_mouse(view, QEvent.Type.MouseButtonPress, point_lps, **kw)
    send_mouse(view, QEvent.Type.MouseButtonRelease, point_lps, **kw)


def mask_at(mask: Mask, volume: Any, point_lps: Any) -> bool:
    """The mask's value at the voxel nearest an LPS point."""
    idx = np.rint(volume.lps_to_index_points(point_lps)).astype(int)
    rel = idx - np.asarray(mask.offset_index)
    if np.any(rel < 0) or np.any(rel >= np.asarray(mask.array.shape)):
        return False
    return bool(mask.array[tuple(rel)])


@pytest.fixture(scope="module")
def lytic() -> Any:
    return lesion_phantom(PhantomLesion.LYTIC_SPHERE)


@pytest.fixture
def loaded(window: Any, qtbot: Any, lytic: Any, no_dialogs: Any) -> Any:
    window.opener.show_volume(lytic.volume)
    window.state.set_crosshair(lytic.seed_lps)
    qtbot.wait(10)
    return window


def press_key(window: Any, view: Any, qtbot: Any, key: Qt.Key) -> None:
    """Type a shortcut key in a view of the (activated) window."""
    window.activateWindow()
    view.setFocus()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(view, key)


def wait_job(window: Any, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: not window.segmentation.jobs.busy, timeout=JOB_TIMEOUT_MS)
    qtbot.wait(20)


def click_lesion(win: Any, qtbot: Any, seed_lps: Any) -> Any:
    """Click a lesion with the lesion tool; returns the Lesions dock once its row is there."""
    seg = win.segmentation
    seg.activate(seg.lesion_tool)
    click(win.views[ViewAxis.AXIAL], seed_lps)
    wait_job(win, qtbot)
    panel = seg.lesion_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    return panel


def test_lesion_click_adds_layer_and_target_undoably(loaded: Any, qtbot: Any, lytic: Any) -> None:
    win = loaded
    seg = win.segmentation
    axial = win.views[ViewAxis.AXIAL]
    before = grab_grey(axial)
    p = axial.lps_to_widget(lytic.seed_lps)
    x, y = round(p.x()) + 3, round(p.y()) + 3  # off the crosshair lines
    press_key(win, axial, qtbot, Qt.Key.Key_L)  # the Lesion tool's shortcut
    assert win.state.mouse_tool is seg.lesion_tool
    click(axial, lytic.seed_lps)
    wait_job(win, qtbot)

    case = win.case.case
    assert list(case.targets) == ["Lesion 1"]
    target = case.targets["Lesion 1"]
    layer = case.layers["Lesion 1"]
    assert layer.kind == LayerKind.LESION and target.lesion_layer == "Lesion 1"
    assert target.lesion_type == LesionType.LYTIC
    truth_ml = lytic.truth_volume_ml  # 4/3 pi 8^3 mm^3 = 2.145 mL
    assert target.measures["volume_ml"] == pytest.approx(truth_ml, rel=0.05)
    assert layer.mask.count() * lytic.volume.voxel_volume_ml == pytest.approx(truth_ml, rel=0.05)
    assert mask_at(layer.mask, lytic.volume, lytic.seed_lps)
    assert not mask_at(layer.mask, lytic.volume, (2.0, -1.5, 3.0 + 10.0))  # 10 mm from the centre, r 8
    # the view is tinted with the layer's colour at the lesion's projected centre (red layer)
    after = grab_grey(axial)
    grey = before[y, x].astype(float)
    assert np.ptp(grey) < 4  # grey before
    # alpha blend of the layer colour over the grey (its display opacity), within 6 grey levels
    alpha = win.state.layers["Lesion 1"].opacity
    expected = (1.0 - alpha) * grey + alpha * np.asarray(layer.color_rgb, dtype=float)
    assert np.abs(after[y, x].astype(float) - expected).max() <= 6.0
    # the panel lists it with its measures
    panel = seg.lesion_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    assert panel.table.item(0, 0).text() == "Lesion 1"
    assert panel.table.cellWidget(0, 2).currentText() == "lytic"
    assert float(panel.table.item(0, 3).text()) == pytest.approx(target.measures["volume_ml"], abs=0.005)

    # one undo step removes layer and target; the tint goes
    win.case.undo_stack.undo()
    qtbot.wait(20)
    assert not case.targets and "Lesion 1" not in case.layers
    undone = grab_grey(axial)
    assert abs(int(undone[y, x, 0]) - int(undone[y, x, 1])) < 4
    win.case.undo_stack.redo()
    assert "Lesion 1" in case.targets and "Lesion 1" in case.layers


def test_refusals_are_messages_not_tracebacks(loaded: Any, qtbot: Any, lytic: Any) -> None:
    win = loaded
    seg = win.segmentation
    axial = win.views[ViewAxis.AXIAL]
    seg.activate(seg.lesion_tool)
    # normal trabecular bone 22 mm from the lesion centre (marrow radius 14 mm)
    normal = (-10.0, 5.0, -15.0)
    win.state.set_crosshair(normal)
    click(axial, normal)
    wait_job(win, qtbot)
    assert not win.case.case.targets
    message = seg.jobs.last_message
    assert "Lesion segmentation" in message and "normal bone" in message
    assert win.statusBar().currentMessage() == message
    # the refusal says what to do, with the shortcut the Draw a lesion action really has
    assert seg.actions["draw_lesion"].shortcut().toString() in message
    assert "Lesion settings" in message
    # outside the volume: a point left of the image in the axial view
    rect = axial.image_rect()
    outside = axial.widget_to_lps(QPointF(rect.left() - 20, rect.center().y()))
    click(axial, outside)
    wait_job(win, qtbot)
    assert "outside the volume" in seg.jobs.last_message
    assert "Shift+L" not in seg.jobs.last_message
    assert not win.case.case.targets and not win.case.case.layers


def test_brush_stroke_is_one_undo_step_and_eraser(loaded: Any, qtbot: Any, lytic: Any) -> None:
    win = loaded
    seg = win.segmentation
    axial = win.views[ViewAxis.AXIAL]
    vol = lytic.volume
    name = seg.edit_panel.new_layer()
    assert name == "Mask 1" and seg.edit_layer_name() == "Mask 1"
    seg.set_brush_radius(3.0)
    press_key(win, axial, qtbot, Qt.Key.Key_B)
    assert win.state.mouse_tool is seg.brush_tool
    z = win.state.display.pixel_to_lps(ViewAxis.AXIAL, axial.slice_index(), 0, 0)[2]
    a, b = np.array([-12.0, 0.0, z]), np.array([12.0, 6.0, z])
    steps_before = win.case.undo_stack.count()
    send_mouse(axial, QEvent.Type.MouseButtonPress, a)
    for t in np.linspace(0.0, 1.0, 7)[1:]:
        send_mouse(axial, QEvent.Type.MouseMove, a + t * (b - a))
    send_mouse(axial, QEvent.Type.MouseButtonRelease, b)
    mask = win.case.case.layers["Mask 1"].mask
    assert win.case.undo_stack.count() == steps_before + 1  # the stroke is ONE undo step
    for point in (a, b, (a + b) / 2, a + 0.3 * (b - a)):
        assert mask_at(mask, vol, point)
    # 2 mm from the line (radius 3 mm) painted, 5 mm off not; one slice thick (disc in the view plane)
    normal = np.array([-(b - a)[1], (b - a)[0], 0.0]) / np.linalg.norm(b - a)
    assert mask_at(mask, vol, (a + b) / 2 + 2.0 * normal)
    assert not mask_at(mask, vol, (a + b) / 2 + 5.0 * normal)
    assert not mask_at(mask, vol, (a + b) / 2 + np.array([0.0, 0.0, 1.0]))  # 1 mm slices
    painted = mask.count()
    # roughly a 24.7 mm x 6 mm capsule on 1 mm pixels: length*2r + pi r^2 = 148 + 28 mm^2
    assert 0.8 * 176 < painted < 1.2 * 176

    # eraser stroke across the middle, one step, undone exactly
    press_key(win, axial, qtbot, Qt.Key.Key_E)
    assert win.state.mouse_tool is seg.eraser_tool
    mid = (a + b) / 2
    send_mouse(axial, QEvent.Type.MouseButtonPress, mid - 6.0 * normal)
    send_mouse(axial, QEvent.Type.MouseMove, mid)
    send_mouse(axial, QEvent.Type.MouseButtonRelease, mid + 6.0 * normal)
    erased = win.case.case.layers["Mask 1"].mask
    assert not mask_at(erased, vol, mid) and mask_at(erased, vol, a)
    assert erased.count() < painted
    win.case.undo_stack.undo()
    assert win.case.case.layers["Mask 1"].mask == mask
    win.case.undo_stack.undo()  # the brush stroke
    assert win.case.case.layers["Mask 1"].mask.count() == 0

    # the brush cursor is drawn at its true size, in the edit layer's colour: a ring 3 mm from the
    # hovered point (QA 14: it was always green, whatever layer the stroke would change)
    press_key(win, axial, qtbot, Qt.Key.Key_B)
    seg.set_cursor(axial, mid)
    qtbot.wait(10)
    rgb = grab_grey(axial)
    c = axial.lps_to_widget(mid)
    edge = axial.lps_to_widget(mid + np.array([0.0, 3.0, 0.0]))  # 3 mm posterior: down on screen
    ring = rgb[round(edge.y()) - 1 : round(edge.y()) + 2, round(edge.x())].astype(int)
    colour = win.state.layers["Mask 1"].colour
    expected = np.array([colour.red(), colour.green(), colour.blue()])
    assert np.min(np.abs(ring[:, :3] - expected).max(axis=1)) < 60, (ring, expected)
    inside = rgb[round((c.y() + edge.y()) / 2), round(c.x()) + 1]
    assert abs(int(inside[1]) - int(inside[0])) < 4  # no fill inside the ring


def test_panel_rename_type_override_and_delete(loaded: Any, qtbot: Any, lytic: Any) -> None:
    win = loaded
    panel = click_lesion(win, qtbot, lytic.seed_lps)
    case = win.case.case
    assert panel.rename("Lesion 1", "T12 lytic")
    assert list(case.targets) == ["T12 lytic"] and case.targets["T12 lytic"].lesion_layer == "T12 lytic"
    assert "T12 lytic" in case.layers and "Lesion 1" not in case.layers
    qtbot.waitUntil(lambda: panel.table.item(0, 0).text() == "T12 lytic")
    panel.table.cellWidget(0, 2).setCurrentText("mixed")
    assert case.targets["T12 lytic"].lesion_type == LesionType.MIXED
    assert case.targets["T12 lytic"].extra["measured_type"] == "lytic"
    qtbot.wait(10)
    win.state.set_crosshair((20.0, 20.0, 20.0))
    panel.select("T12 lytic")  # the crosshair jumps to the lesion's centroid
    assert np.allclose(win.state.crosshair_lps, (2.0, -1.5, 3.0), atol=1.0)
    panel.delete_selected()
    assert not case.targets and "T12 lytic" not in case.layers
    win.case.undo_stack.undo()
    assert case.targets["T12 lytic"].lesion_type == LesionType.MIXED and "T12 lytic" in case.layers


def test_a_drawn_lesion_is_typed_and_measured_from_what_is_painted(
    loaded: Any, qtbot: Any, lytic: Any
) -> None:
    # for a lesion a click does not find: Segment > Draw a lesion (Shift+L) adds an empty lesion at the
    # crosshair, the brush paints it, and the dock shows the type and figures measured from the paint
    # (reference bone measured around it: the phantom's lytic sphere in its trabecular bone)
    win = loaded
    seg = win.segmentation
    axial = win.views[ViewAxis.AXIAL]
    vol = lytic.volume
    panel = seg.lesion_panel
    steps_before = win.case.undo_stack.count()
    seg.actions["draw_lesion"].trigger()
    assert win.case.undo_stack.count() == steps_before + 1
    target = win.case.case.targets["Lesion 1"]
    assert target.lesion_type is None and target.lesion_layer == "Lesion 1"
    assert win.case.case.layers["Lesion 1"].kind == LayerKind.LESION
    assert win.case.case.layers["Lesion 1"].mask.count() == 0
    assert seg.edit_layer_name() == "Lesion 1" and win.state.mouse_tool is seg.brush_tool
    panel.measure_now()
    assert panel.wait_measured()
    assert panel.table.item(0, 3).text() == "—"
    assert "paint it" in panel.table.item(0, 3).toolTip()
    # nothing painted: the Scores dock has no lesion nature to pre-fill
    win.planning_ui.controller.select_target("Lesion 1")
    scores = win.planning_ui.scores_panel
    item = "bone_lesion" if "bone_lesion" in scores.combos else "nature"
    assert scores.combos[item].currentData() is None and scores.notes[item].text() == "to choose"

    # a stroke of a 4 mm disc across the sphere's centre, in the axial slice shown
    seg.set_brush_radius(4.0)
    z = win.state.display.pixel_to_lps(ViewAxis.AXIAL, axial.slice_index(), 0, 0)[2]
    centre = np.array([lytic.seed_lps[0], lytic.seed_lps[1], z])
    a, b = centre - np.array([2.0, 0.0, 0.0]), centre + np.array([2.0, 0.0, 0.0])
    send_mouse(axial, QEvent.Type.MouseButtonPress, a)
    send_mouse(axial, QEvent.Type.MouseMove, b)
    send_mouse(axial, QEvent.Type.MouseButtonRelease, b)
    mask = win.case.case.layers["Lesion 1"].mask
    assert mask.count() > 40 and mask_at(mask, vol, centre)
    qtbot.waitUntil(lambda: panel.table.item(0, 3).text() not in ("—", "…"), timeout=10_000)
    assert panel.table.item(0, 3).text() == f"{mask.count() * vol.voxel_volume_ml:.2f}"
    assert panel.table.cellWidget(0, 2).currentText() == "lytic"
    assert "judged on the mask" in panel.table.cellWidget(0, 2).toolTip()
    reference = float(panel.details.text().split("reference bone ")[1].split(" HU")[0])  # under the table
    assert abs(reference - TRABECULAR_HU) <= 25.0
    assert win.case.case.targets["Lesion 1"].lesion_type is None  # measured, not stored
    # the measured type pre-fills the Scores dock's lesion item once measured, marked as judged
    qtbot.waitUntil(lambda: scores.notes[item].text() == "pre-filled from the images", timeout=5_000)
    assert scores.combos[item].currentData() == "lytic"
    assert "drawn lesion judged lytic" in scores.notes[item].toolTip()

    win.case.undo_stack.undo()  # the stroke
    qtbot.waitUntil(lambda: panel.table.item(0, 3).text() == "—", timeout=10_000)
    win.case.undo_stack.undo()  # the lesion
    assert "Lesion 1" not in win.case.case.targets and "Lesion 1" not in win.case.case.layers


def test_lesion_figures_are_measured_off_the_gui_thread_and_again_after_an_edit_meanwhile(
    loaded: Any, qtbot: Any, lytic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the Lesions dock measures in a worker; a stroke painted while it measures is measured once the
    # worker is done (its figures were for the mask before the stroke), so the row ends with the
    # painted volume
    import threading
    import time

    import imaging.lesion_remeasure as remeasure

    real = remeasure.measure_lesion_mask
    threads: list[str] = []

    def slow(*args: Any, **kw: Any) -> Any:
        threads.append(threading.current_thread().name)
        time.sleep(0.3)  # long enough for a stroke to land while it runs
        return real(*args, **kw)

    monkeypatch.setattr(remeasure, "measure_lesion_mask", slow)
    win = loaded
    seg = win.segmentation
    axial = win.views[ViewAxis.AXIAL]
    panel = seg.lesion_panel
    seg.actions["draw_lesion"].trigger()
    seg.set_brush_radius(3.0)
    z = win.state.display.pixel_to_lps(ViewAxis.AXIAL, axial.slice_index(), 0, 0)[2]
    centre = np.array([lytic.seed_lps[0], lytic.seed_lps[1], z])

    def stroke(dx_mm: float) -> None:
        a, b = centre + np.array([dx_mm, 0.0, 0.0]), centre + np.array([dx_mm + 1.0, 0.0, 0.0])
        send_mouse(axial, QEvent.Type.MouseButtonPress, a)
        send_mouse(axial, QEvent.Type.MouseMove, b)
        send_mouse(axial, QEvent.Type.MouseButtonRelease, b)

    stroke(-3.0)
    first = win.case.case.layers["Lesion 1"].mask.count()
    panel.measure_now()
    assert panel.measuring.worker is not None  # running
    stroke(3.0)  # lands while the first measurement runs: the GUI thread is free
    assert panel.wait_measured(20_000)
    mask = win.case.case.layers["Lesion 1"].mask
    assert mask.count() > first  # the second stroke added voxels
    assert panel.table.item(0, 3).text() == f"{mask.count() * lytic.volume.voxel_volume_ml:.2f}"
    assert len(threads) == 2 and threading.main_thread().name not in threads
    # closing the window while a measurement runs waits for it (no thread left running)
    stroke(-6.0)
    panel.measure_now()
    worker = panel.measuring.worker
    assert worker is not None
    win.case.undo_stack.setClean()
    win.close()
    assert worker._thread.isFinished()


def test_a_lesion_in_a_vertebra_not_found_can_be_given_its_level(
    loaded: Any, qtbot: Any, lytic: Any, no_dialogs: Any
) -> None:
    """A lesion with no vertebra found around it is extraspinal (Mirels); typing its level in the Lesions
    dock makes it spinal (SINS, the spinal figures), one undo step; a wrong level is refused, said."""
    from app.planning_ui import install
    from app.segmentation.lesion_row import COL_LEVEL

    win = loaded
    ui = getattr(win, "planning_ui", None) or install(win)
    panel = click_lesion(win, qtbot, lytic.seed_lps)
    case = win.case.case
    assert case.targets["Lesion 1"].kind == TargetKind.EXTRASPINAL
    cell = panel.table.item(0, COL_LEVEL)
    assert cell.flags() & Qt.ItemFlag.ItemIsEditable
    ui.controller.select_target("Lesion 1")
    assert "Mirels" in ui.scores_panel.title.text()
    steps = win.case.undo_stack.index()

    cell.setText("t1")  # what the operator types in the cell
    target = case.targets["Lesion 1"]
    assert (target.kind, target.level) == (TargetKind.SPINE, "T1")
    assert win.case.undo_stack.index() == steps + 1
    ui.scores_panel.refresh()
    assert "SINS" in ui.scores_panel.title.text()
    qtbot.waitUntil(lambda: panel.table.item(0, COL_LEVEL).text() == "T1")

    panel.table.item(0, COL_LEVEL).setText("t1")  # the same level typed in lower case: shown as held
    qtbot.waitUntil(lambda: panel.table.item(0, COL_LEVEL).text() == "T1")
    assert win.case.undo_stack.index() == steps + 1
    panel.table.item(0, COL_LEVEL).setText("T13")  # not a level: refused, said, nothing changed
    assert case.targets["Lesion 1"].level == "T1"
    assert win.case.undo_stack.index() == steps + 1
    assert "not a vertebral level" in win.statusBar().currentMessage()
    qtbot.waitUntil(lambda: panel.table.item(0, COL_LEVEL).text() == "T1")
    panel.table.item(0, COL_LEVEL).setText("C7")  # accepted: the refusal is no longer shown
    assert case.targets["Lesion 1"].level == "C7" and "C7" in win.statusBar().currentMessage()
    win.case.undo_stack.undo()
    win.case.undo_stack.undo()
    assert case.targets["Lesion 1"].kind == TargetKind.EXTRASPINAL and case.targets["Lesion 1"].level == ""


def test_a_tool_key_selects_its_tool_and_never_puts_it_down(loaded: Any, qtbot: Any) -> None:
    """B while the brush is on keeps the brush (it used to turn it off mid-edit), also after code switched
    tools (Draw a lesion picks the brush); E switches to the eraser; Esc goes back to the crosshair."""
    win = loaded
    seg = win.segmentation
    axial = win.views[ViewAxis.AXIAL]
    seg.edit_panel.new_layer()
    press_key(win, axial, qtbot, Qt.Key.Key_B)
    assert win.state.mouse_tool is seg.brush_tool
    press_key(win, axial, qtbot, Qt.Key.Key_B)
    assert win.state.mouse_tool is seg.brush_tool and seg.actions["brush"].isChecked()
    press_key(win, axial, qtbot, Qt.Key.Key_E)
    assert win.state.mouse_tool is seg.eraser_tool
    assert seg.actions["eraser"].isChecked() and not seg.actions["brush"].isChecked()
    seg.activate(seg.brush_tool)  # switched by code, not by the action
    assert seg.actions["brush"].isChecked() and not seg.actions["eraser"].isChecked()
    press_key(win, axial, qtbot, Qt.Key.Key_B)
    assert win.state.mouse_tool is seg.brush_tool
    press_key(win, axial, qtbot, Qt.Key.Key_Escape)
    assert win.state.mouse_tool is None
    assert not any(seg.actions[k].isChecked() for k in ("lesion", "vertebra", "brush", "eraser"))
    press_key(win, axial, qtbot, Qt.Key.Key_B)
    assert win.state.mouse_tool is seg.brush_tool
