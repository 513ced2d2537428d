"""Needle planning GUI: place a needle by two clicks, drag an end (one undo step), live readouts,
zones drawn on the axial view, coverage of a small centred lesion, scores combo undo.

Phantom: conftest's marker volume (body block at 40 HU, grid spacing 2 x 1.5 x 1.25 mm, centred on
the LPS origin) with a spherical lesion layer added by command. Positions LPS mm; tolerances in mm.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from app.display_geometry import ViewAxis
from imaging.mask import Mask
from planning.commands import AddLayer, AddTarget, AddTrajectory, UpdateTrajectory
from planning.model import AblationSpec, Approach, LayerKind, MaskLayer, Target, TargetKind, Trajectory
from tests.app.conftest import marker_volume

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"),
        reason="GUI tests need a display: run them under xvfb-run",
    ),
]

SPACING_MM = (2.0, 1.5, 1.25)
#: a click lands on a screen pixel: half a screen pixel plus the slice's half thickness at most
VOXEL_DIAGONAL_MM = float(np.linalg.norm(SPACING_MM))


@pytest.fixture
def planning(window: object, qtbot: object, no_dialogs: object) -> object:
    """The window with the planning tools on the marker phantom (dialogs captured, never blocking)."""
    from app.planning_ui import install

    ui = getattr(window, "planning_ui", None) or install(window)  # type: ignore[arg-type]
    window.opener.show_volume(marker_volume(np.eye(3), spacing_mm=SPACING_MM))  # type: ignore[attr-defined]
    qtbot.wait(10)  # type: ignore[attr-defined]
    return ui


def _sphere_mask(volume: object, centre_lps: tuple[float, float, float], radius_mm: float) -> Mask:
    shape = volume.shape  # type: ignore[attr-defined]
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), axis=-1).reshape(-1, 3)
    lps = volume.index_to_lps_points(idx.astype(float))  # type: ignore[attr-defined]
    inside = np.linalg.norm(lps - np.asarray(centre_lps), axis=1) <= radius_mm
    return Mask.from_full(inside.reshape(shape))


def _add_target(
    window: object, centre: tuple[float, float, float], radius_mm: float, *, spine: bool = False
) -> None:
    vol = window.case.volume  # type: ignore[attr-defined]
    mask = _sphere_mask(vol, centre, radius_mm)
    window.case.push(AddLayer(MaskLayer.new("T1 lesion", LayerKind.LESION, mask)))  # type: ignore[attr-defined]
    target = Target(
        "T1",
        kind=TargetKind.SPINE if spine else TargetKind.EXTRASPINAL,
        level="L3" if spine else "",
        lesion_seed_lps=centre,
        lesion_layer="T1 lesion",
        lesion_type="lytic",
    )
    window.case.push(AddTarget(target))  # type: ignore[attr-defined]


def _click(qtbot: object, view: object, point_lps: tuple[float, float, float]) -> None:
    p = view.lps_to_widget(point_lps)  # type: ignore[attr-defined]
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(round(p.x()), round(p.y())))  # type: ignore[attr-defined]


def _slice_z(window: object, z_mm: float) -> float:
    """z (mm) of the axial slice nearest ``z_mm`` (clicks land on the slice shown)."""
    d = window.state.display  # type: ignore[attr-defined]
    k = d.slice_index(ViewAxis.AXIAL, (0.0, 0.0, z_mm))
    return float(d.pixel_to_lps(ViewAxis.AXIAL, k, 0, 0)[2])


def test_two_clicks_place_a_needle_at_the_clicked_points(
    planning: object, window: object, qtbot: object
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 4.0)
    window.state.set_crosshair((0.0, 0.0, z))  # type: ignore[attr-defined]
    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    entry, tip = (25.0, 30.0, z), (2.0, -6.0, z)
    planning.tool_action.trigger()  # type: ignore[attr-defined]
    assert window.state.mouse_tool is planning.tool  # type: ignore[attr-defined]
    _click(qtbot, axial, entry)
    assert not window.case.case.trajectories  # type: ignore[attr-defined]
    _click(qtbot, axial, tip)
    trajs = list(window.case.case.trajectories.values())  # type: ignore[attr-defined]
    assert len(trajs) == 1
    t = trajs[0]
    assert t.target == "T1"
    # in-plane error: under one screen pixel (< 0.3 mm here); out of plane: on the slice clicked
    assert np.linalg.norm(np.subtract(t.entry_lps, entry)) < 0.5
    assert np.linalg.norm(np.subtract(t.target_lps, tip)) < 0.5
    assert t.entry_lps[2] == pytest.approx(z, abs=1e-6)
    # the crosshair did not move while placing
    assert window.state.crosshair_lps[2] == pytest.approx(z)  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert not window.case.case.trajectories  # type: ignore[attr-defined]


def test_n_keeps_and_esc_drops_the_needle_tool_and_its_half_placed_needle(
    planning: object, window: object, qtbot: object
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 4.0)
    window.state.set_crosshair((0.0, 0.0, z))  # type: ignore[attr-defined]
    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    planning.tool_action.trigger()  # type: ignore[attr-defined]
    _click(qtbot, axial, (25.0, 30.0, z))  # the entry; the tip is not clicked
    assert planning.tool.pending_entry_lps is not None  # type: ignore[attr-defined]
    window.activateWindow()  # type: ignore[attr-defined]
    axial.setFocus()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)  # type: ignore[attr-defined]
    # N again keeps the tool and the entry clicked (it used to put the tool down and drop the entry)
    qtbot.keyClick(axial, Qt.Key.Key_N)  # type: ignore[attr-defined]
    assert window.state.mouse_tool is planning.tool  # type: ignore[attr-defined]
    assert planning.tool_action.isChecked() and planning.tool.pending_entry_lps is not None  # type: ignore[attr-defined]
    qtbot.keyClick(axial, Qt.Key.Key_Escape)  # type: ignore[attr-defined]
    assert window.state.mouse_tool is None  # type: ignore[attr-defined]
    assert not planning.tool_action.isChecked()  # type: ignore[attr-defined]
    assert planning.tool.pending_entry_lps is None  # type: ignore[attr-defined]
    # a click now moves the crosshair and places nothing
    _click(qtbot, axial, (2.0, -6.0, z))
    assert not window.case.case.trajectories  # type: ignore[attr-defined]
    assert window.state.crosshair_lps[0] == pytest.approx(2.0, abs=1.0)  # type: ignore[attr-defined]


def test_drag_the_tip_is_one_undo_step_and_readouts_follow(
    planning: object, window: object, qtbot: object
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    window.state.set_crosshair((0.0, 0.0, z))  # type: ignore[attr-defined]
    entry, tip = (25.0, 30.0, z), (0.0, 0.0, z)
    window.case.push(AddTrajectory(Trajectory("T1 needle 1", "T1", Approach.DIRECT, entry, tip)))  # type: ignore[attr-defined]
    planning.controller.select("T1 needle 1")  # type: ignore[attr-defined]
    planning.tool_action.trigger()  # type: ignore[attr-defined]
    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    count = window.case.undo_stack.count()  # type: ignore[attr-defined]
    start = axial.lps_to_widget(tip)
    new_tip = (-10.0, -12.0, z)
    end = axial.lps_to_widget(new_tip)
    qtbot.mousePress(axial, Qt.MouseButton.LeftButton, pos=QPoint(round(start.x()), round(start.y())))  # type: ignore[attr-defined]
    for f in np.linspace(0.2, 1.0, 5):
        p = QPointF(start.x() + f * (end.x() - start.x()), start.y() + f * (end.y() - start.y()))
        from PySide6.QtGui import QMouseEvent
        from PySide6.QtWidgets import QApplication

        ev = QMouseEvent(
            QMouseEvent.Type.MouseMove,
            p,
            axial.mapToGlobal(p),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(axial, ev)
    qtbot.mouseRelease(axial, Qt.MouseButton.LeftButton, pos=QPoint(round(end.x()), round(end.y())))  # type: ignore[attr-defined]
    t = window.case.case.trajectories["T1 needle 1"]  # type: ignore[attr-defined]
    assert np.linalg.norm(np.subtract(t.target_lps, new_tip)) < 0.5
    assert t.entry_lps == pytest.approx(entry)
    assert window.case.undo_stack.count() == count + 1  # type: ignore[attr-defined]
    # the crosshair followed the dragged tip
    assert np.linalg.norm(window.state.crosshair_lps - np.asarray(t.target_lps)) < 1.0  # type: ignore[attr-defined]
    # the length readout matches the geometry
    length_text = planning.trajectory_panel.readouts["length"].text()  # type: ignore[attr-defined]
    shown = float(re.match(r"([\d.]+) mm", length_text).group(1))  # type: ignore[union-attr]
    assert shown == pytest.approx(np.linalg.norm(np.subtract(t.target_lps, entry)), abs=0.051)
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    t = window.case.case.trajectories["T1 needle 1"]  # type: ignore[attr-defined]
    assert t.target_lps == pytest.approx(tip)
    length_text = planning.trajectory_panel.readouts["length"].text()  # type: ignore[attr-defined]
    assert float(re.match(r"([\d.]+) mm", length_text).group(1)) == pytest.approx(  # type: ignore[union-attr]
        np.hypot(25.0, 30.0), abs=0.051
    )


def _rgb_at(view: object, point: QPointF) -> np.ndarray:
    image = view.grab().toImage()  # type: ignore[attr-defined]
    c = image.pixelColor(round(point.x()), round(point.y()))
    return np.array([c.red(), c.green(), c.blue()], dtype=int)


def test_zone_tints_its_centre_on_the_axial_view_and_coverage_is_full(
    planning: object, window: object, qtbot: object
) -> None:
    # needle along +x towards the origin: antenna tip 15 mm beyond, zone centre 10 mm behind it
    entry, tip = (-60.0, 0.0, 0.0), (-5.0, 0.0, 0.0)
    centre = (0.0, 0.0, 0.0)  # tip + 15 - 10 = 0 along x
    _add_target(window, centre, 3.0)
    window.case.push(AddTrajectory(Trajectory("T1 needle 1", "T1", Approach.DIRECT, entry, tip)))  # type: ignore[attr-defined]
    window.state.set_crosshair((-30.0, -30.0, 0.0))  # type: ignore[attr-defined]  # lines off the probes
    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    probe_lps = (0.0, 8.0, window.state.crosshair_lps[2])  # type: ignore[attr-defined]  # 8 mm off the axis
    far_lps = (0.0, 25.0, window.state.crosshair_lps[2])  # type: ignore[attr-defined]  # 25 mm off: outside
    qtbot.wait(10)  # type: ignore[attr-defined]
    before = _rgb_at(axial, axial.lps_to_widget(probe_lps))
    assert abs(int(before[0]) - int(before[1])) <= 2  # grey body before the zone exists
    t = window.case.case.trajectories["T1 needle 1"]  # type: ignore[attr-defined]
    spec = AblationSpec(width_mm=30.0, length_mm=34.0, center_behind_tip_mm=10.0)
    window.case.push(
        UpdateTrajectory(t.name, Trajectory(t.name, "T1", t.approach, entry, tip, ablation=spec))
    )  # type: ignore[attr-defined]
    zones = planning.controller.all_zones()  # type: ignore[attr-defined]
    assert len(zones) == 1
    assert np.allclose(zones[0].center_lps, centre, atol=1e-9)
    qtbot.wait(10)  # type: ignore[attr-defined]
    inside = _rgb_at(axial, axial.lps_to_widget(probe_lps))
    outside = _rgb_at(axial, axial.lps_to_widget(far_lps))
    assert inside[0] - inside[1] > 15  # pink tint: red above green
    assert abs(int(outside[0]) - int(outside[1])) <= 2
    # coverage: lesion r 3 mm + margin 2 mm lies deep inside a 30 mm zone
    panel = planning.coverage_panel  # type: ignore[attr-defined]
    planning.controller.select_target("T1")  # type: ignore[attr-defined]
    panel.recompute()
    assert panel.result is not None
    assert panel.result.covered_percent == pytest.approx(100.0)
    assert panel.covered.text().startswith("100.0 %")
    # smallest margin: zone radius 15 mm across the axis minus lesion 3 mm, within a voxel
    assert panel.result.min_margin_mm == pytest.approx(12.0, abs=max(SPACING_MM))


def test_scores_combo_is_undoable_and_changes_the_total(
    planning: object, window: object, qtbot: object
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 4.0, spine=True)
    planning.controller.select_target("T1")  # type: ignore[attr-defined]
    panel = planning.scores_panel  # type: ignore[attr-defined]
    panel.refresh()
    # pre-filled: L3 is mobile (2 points), lytic bone lesion (2 points)
    assert panel.notes["location"].text() == "pre-filled from the images"
    assert "(4 points given so far)" in panel.total.text()
    # the total is shown as the range it can still take, never a figure below that range
    lo, hi = (int(v) for v in re.search(r"SINS (\d+)-(\d+) once", panel.total.text()).groups())  # type: ignore[union-attr]
    assert 4 <= lo <= hi <= 18
    combo = panel.combos["pain"]
    combo.setCurrentIndex(combo.findData("mechanical"))  # 3 points
    assert window.case.case.scores["T1"].items["pain"] == "mechanical"  # type: ignore[attr-defined]
    assert "(7 points given so far)" in panel.total.text()
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert "T1" not in window.case.case.scores  # type: ignore[attr-defined]
    assert "(4 points given so far)" in panel.total.text()
    assert panel.combos["pain"].currentData() is None


def test_a_profile_without_a_stated_centre_asks_for_it_and_records_the_power_shown(
    planning: object, window: object, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ECO-100A1 profiles give only a diameter: choosing one asks where the zone's centre lies (cancel
    changes nothing), the zone then sits where the operator said, and the power recorded is the one shown."""
    from PySide6.QtWidgets import QInputDialog

    entry, tip = (-60.0, 0.0, 0.0), (-5.0, 0.0, 0.0)  # along +x; antenna tip 15 mm beyond: x = 10
    _add_target(window, (0.0, 0.0, 0.0), 3.0)
    window.case.push(AddTrajectory(Trajectory("T1 needle 1", "T1", Approach.DIRECT, entry, tip)))  # type: ignore[attr-defined]
    planning.controller.select("T1 needle 1")  # type: ignore[attr-defined]
    box = planning.trajectory_panel.ablation_box  # type: ignore[attr-defined]
    profiles = planning.controller.profiles()  # type: ignore[attr-defined]
    name = next(
        n for n, p in profiles.items() if p.center_behind_tip_mm is None and p.power_w[0] < p.power_w[1]
    )
    asked: list[str] = []
    answer: list[tuple[str, bool]] = [("", False)]
    prefilled: list[str] = []

    def get_text(_parent: object, _title: str, text: str, *a: object, **k: object) -> tuple[str, bool]:
        asked.append(text)
        prefilled.append(str(k.get("text", a[1] if len(a) > 1 else "")))
        return answer[0]

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(get_text))
    undo_before = window.case.undo_stack.index()  # type: ignore[attr-defined]
    box.profile.setCurrentIndex(box.profile.findData(name))  # the operator cancels
    qtbot.wait(10)  # type: ignore[attr-defined]
    assert len(asked) == 1 and "diameter" in asked[0]
    assert window.case.case.trajectories["T1 needle 1"].ablation.profile == ""  # type: ignore[attr-defined]
    assert window.case.undo_stack.index() == undo_before  # type: ignore[attr-defined]
    assert box.profile.currentData() != name  # the combo shows what the needle has

    answer[0] = ("eleven", True)  # not a number: refused, said, nothing changed
    box.profile.setCurrentIndex(box.profile.findData(name))
    qtbot.wait(10)  # type: ignore[attr-defined]
    assert window.case.case.trajectories["T1 needle 1"].ablation.profile == ""  # type: ignore[attr-defined]
    assert "give the zone's centre as a number" in window.statusBar().currentMessage()  # type: ignore[attr-defined]
    assert prefilled == ["", ""]  # no figure of another device offered to accept with Enter
    answer[0] = ("4", True)  # the zone's centre 4 mm behind the antenna tip: x = 10 - 4 = 6
    box.profile.setCurrentIndex(box.profile.findData(name))
    qtbot.wait(10)  # type: ignore[attr-defined]
    spec = window.case.case.trajectories["T1 needle 1"].ablation  # type: ignore[attr-defined]
    low, high = profiles[name].power_w
    assert (spec.profile, spec.center_behind_tip_mm, spec.power_w) == (name, 4.0, low)
    zones = planning.controller.all_zones()  # type: ignore[attr-defined]
    assert len(zones) == 1
    assert np.allclose(zones[0].center_lps, (6.0, 0.0, 0.0), atol=1e-9)
    assert "entered by the operator" in box.source.text()
    assert box.power.value() == low and f"{low:g}-{high:g} W" in box.power_range.text()

    # the operator plans the top of the range: recorded as shown, one undo step; no second question
    box.power.setValue(high)
    box.power.editingFinished.emit()
    qtbot.wait(10)  # type: ignore[attr-defined]
    assert window.case.case.trajectories["T1 needle 1"].ablation.power_w == high  # type: ignore[attr-defined]
    assert len(asked) == 3
    assert "outside" not in box.source.text()
    box.power.setValue(high + 10)  # beyond the profile's range: said beside the zone's source
    box.power.editingFinished.emit()
    qtbot.wait(10)  # type: ignore[attr-defined]
    assert f"{high + 10:g} W is outside" in box.source.text()
    box.duration.setValue(60.0)  # an hour: beyond the profile's time range, said too
    box.duration.editingFinished.emit()
    qtbot.wait(10)  # type: ignore[attr-defined]
    assert "60 min is outside" in box.source.text()
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert window.case.case.trajectories["T1 needle 1"].ablation.power_w == low  # type: ignore[attr-defined]
    assert np.allclose(planning.controller.all_zones()[0].center_lps, (6.0, 0.0, 0.0), atol=1e-9)  # type: ignore[attr-defined]


def test_ctrl_z_in_a_settled_field_undoes_the_case_change(
    planning: object, window: object, qtbot: object
) -> None:
    """Type a needle length, Enter (one case change), Ctrl+Z with the cursor still in the field: the
    change is undone (the field used to keep Ctrl+Z for its own text and nothing happened)."""
    _add_target(window, (0.0, 0.0, 0.0), 4.0)
    window.case.push(  # type: ignore[attr-defined]
        AddTrajectory(Trajectory("T1 needle 1", "T1", Approach.DIRECT, (-60.0, 0.0, 0.0), (-5.0, 0.0, 0.0)))
    )
    planning.controller.select("T1 needle 1")  # type: ignore[attr-defined]
    panel = planning.trajectory_panel  # type: ignore[attr-defined]
    window.show()  # type: ignore[attr-defined]
    window.activateWindow()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)  # type: ignore[attr-defined]
    field = panel.length.lineEdit()
    panel.length.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "120")  # type: ignore[attr-defined]
    qtbot.keyClick(field, Qt.Key.Key_Return)  # type: ignore[attr-defined]
    traj = lambda: window.case.case.trajectories["T1 needle 1"]  # type: ignore[attr-defined]  # noqa: E731
    assert traj().needle_length_mm == 120.0
    qtbot.keyClick(field, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # type: ignore[attr-defined]
    assert traj().needle_length_mm == 150.0
    assert panel.length.value() == 150.0
    qtbot.keyClick(field, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # type: ignore[attr-defined]
    assert traj().needle_length_mm == 120.0
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]


def test_a_time_not_recorded_reads_not_set_beside_the_profiles_time(planning: object, window: object) -> None:
    """A needle whose profile states a time but whose plan records none shows "not set" (it read "per
    cycle plan", which is what only some profiles say of themselves, beside the box)."""
    profiles = planning.controller.profiles()  # type: ignore[attr-defined]
    name = next(n for n, p in profiles.items() if p.time_s is not None and p.center_behind_tip_mm is not None)
    _add_target(window, (0.0, 0.0, 0.0), 3.0)
    spec = AblationSpec(profile=name)
    window.case.push(  # type: ignore[attr-defined]
        AddTrajectory(
            Trajectory(
                "T1 needle 1", "T1", Approach.DIRECT, (-60.0, 0.0, 0.0), (-5.0, 0.0, 0.0), ablation=spec
            )
        )
    )
    planning.controller.select("T1 needle 1")  # type: ignore[attr-defined]
    box = planning.trajectory_panel.ablation_box  # type: ignore[attr-defined]
    box.show_choices(window.case.case.trajectories["T1 needle 1"])  # type: ignore[attr-defined]
    assert box.duration.text() == "not set" and box.power.text() == "not set"
    assert box.time_range.text().startswith("profile ") and "min" in box.time_range.text()
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]


def test_a_profile_measured_in_another_tissue_than_bone_is_said_in_amber(
    planning: object, window: object, qtbot: object
) -> None:
    """The NeuWave rows are kidney figures: choosing one says so beside the zone's source (the base said
    nothing); custom dimensions claim no tissue. QA s32 D."""
    from app.theme import AMBER

    _add_target(window, (0.0, 0.0, 0.0), 3.0)
    trajectory = Trajectory("T1 needle 1", "T1", Approach.DIRECT, (-60.0, 0.0, 0.0), (-5.0, 0.0, 0.0))
    window.case.push(AddTrajectory(trajectory))  # type: ignore[attr-defined]
    planning.controller.select("T1 needle 1")  # type: ignore[attr-defined]
    box = planning.trajectory_panel.ablation_box  # type: ignore[attr-defined]
    name = "NeuWave 65 W 5 min (kidney)"
    box.profile.setCurrentIndex(box.profile.findData(name))
    qtbot.wait(10)  # type: ignore[attr-defined]
    assert window.case.case.trajectories["T1 needle 1"].ablation.profile == name  # type: ignore[attr-defined]
    assert "figures measured in kidney, not bone" in box.source.text()
    assert box.source.styleSheet() == AMBER
    tip = box.profile.itemData(box.profile.findData(name), Qt.ItemDataRole.ToolTipRole)
    assert tip.endswith("; measured in kidney")
    box.profile.setCurrentIndex(box.profile.findData("Custom dimensions…"))
    qtbot.wait(10)  # type: ignore[attr-defined]
    assert "measured in" not in box.source.text()
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]
