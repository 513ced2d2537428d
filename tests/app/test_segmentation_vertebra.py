"""Vertebra tool, level naming, mask operations and the lesion box in a real window.

The vertebra phantom (tests/phantoms/vertebra.py) has its body centred at LPS (12, -18, 40) mm with
semi-axes 22 x 16 mm and a height of 26 mm; the canal lies behind it. Run under Xvfb (see
tests/app/test_segmentation_tools.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt

from app.display_geometry import ViewAxis
from planning.model import LayerKind, LesionType
from tests.app.test_segmentation_tools import (
    click,
    mask_at,
    press_key,
    pytestmark,  # noqa: F401  (gui marker and display check)
    send_mouse,
    wait_job,
)
from tests.phantoms.lesion import PhantomLesion, lesion_phantom
from tests.phantoms.vertebra import make_vertebra_phantom


@pytest.fixture(scope="module")
def vertebra() -> Any:
    return make_vertebra_phantom(adjacent=True)


def test_vertebra_click_adds_anatomy_layers_and_levels(
    window: Any, qtbot: Any, no_dialogs: Any, vertebra: Any
) -> None:
    win = window
    seg = win.segmentation
    win.opener.show_volume(vertebra.volume)
    centre = vertebra.center_lps
    # the click 5 mm above and 4 mm left of the body's centre: the crosshair stays there afterwards
    # (it jumped to the body's centroid, off the slice the operator was reading)
    clicked = np.asarray(centre, dtype=float) + np.array([4.0, 0.0, 5.0])
    win.state.set_crosshair(clicked)
    axial = win.views[ViewAxis.AXIAL]
    clicked = np.asarray(win.state.crosshair_lps, dtype=float)  # on the slice shown
    press_key(win, axial, qtbot, Qt.Key.Key_V)
    assert win.state.mouse_tool is seg.vertebra_tool
    click(axial, clicked)
    wait_job(win, qtbot)
    assert np.linalg.norm(np.asarray(win.state.crosshair_lps) - clicked) < 2.0  # within a screen pixel
    case = win.case.case
    assert {"V1 body", "V1 canal", "V1 posterior wall"} <= set(case.layers)
    body, canal = case.layers["V1 body"], case.layers["V1 canal"]
    assert body.kind == LayerKind.BODY and canal.kind == LayerKind.CANAL
    vol = vertebra.volume
    assert mask_at(body.mask, vol, centre)
    truth_ml = vertebra.body_volume_ml
    assert body.mask.count() * vol.voxel_volume_ml == pytest.approx(truth_ml, rel=0.2)
    assert mask_at(canal.mask, vol, vertebra.canal_centroid_lps)
    assert not mask_at(body.mask, vol, vertebra.canal_centroid_lps)
    # the canal through the body's whole height holds the enclosed canal and is drawn in another
    # colour, so the two can be told apart on the images (QA s16: both were the canal's yellow)
    tube = case.layers["V1 canal, whole height"]
    assert tube.kind == LayerKind.CANAL and mask_at(tube.mask, vol, vertebra.canal_centroid_lps)
    assert tube.color_rgb != canal.color_rgb
    steps = win.case.undo_stack.count()

    # the vertebra above: a second group, then name the first "L2": the one above becomes L1
    above = next(c for c in vertebra.adjacent_centers_lps if c[2] > centre[2])
    win.state.set_crosshair(above)
    click(axial, above)
    wait_job(win, qtbot)
    assert "V2 body" in case.layers
    panel = seg.vertebra_panel
    panel.select("v1")
    assert panel.name_selected("l2")
    assert "L2 body" in case.layers and "L1 body" in case.layers
    assert case.layers["L2 body"].extra["level"] == "L2"
    assert mask_at(case.layers["L2 body"].mask, vol, centre)
    assert mask_at(case.layers["L1 body"].mask, vol, above)
    assert not any(name.startswith("V") for name in case.layers)
    win.case.undo_stack.undo()  # naming is one step
    assert "V1 body" in case.layers and "V2 body" in case.layers and "L2 body" not in case.layers
    win.case.undo_stack.undo()
    win.case.undo_stack.undo()
    assert win.case.undo_stack.count() >= steps - 1 and not case.layers


def test_not_a_vertebra_is_a_message(window: Any, qtbot: Any, no_dialogs: Any, vertebra: Any) -> None:
    win = window
    seg = win.segmentation
    win.opener.show_volume(vertebra.volume)
    seg.activate(seg.vertebra_tool)
    air = vertebra.to_lps((0.0, -40.0, 0.0))  # 24 mm in front of the body
    win.state.set_crosshair(air)
    click(win.views[ViewAxis.AXIAL], air)
    wait_job(win, qtbot)
    assert not win.case.case.layers
    assert seg.jobs.last_message.startswith("Vertebral anatomy: ")


def test_operations_sphere_brush_and_keys(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    seg = win.segmentation
    ph = lesion_phantom(PhantomLesion.LYTIC_SPHERE, noise_hu=0.0)
    vol = ph.volume
    win.opener.show_volume(vol)
    centre = np.array([0.0, 0.0, 0.0])
    win.state.set_crosshair(centre)
    axial = win.views[ViewAxis.AXIAL]
    seg.edit_panel.new_layer()
    press_key(win, axial, qtbot, Qt.Key.Key_B)
    seg.set_brush_radius(4.0)
    for key, radius in ((Qt.Key.Key_BracketRight, 4.5), (Qt.Key.Key_BracketLeft, 4.0)):
        qtbot.keyClick(axial, key)
        assert seg.brush.radius_mm == radius
        assert seg.edit_panel.radius.value() == radius
    seg.set_brush_shape("sphere")
    assert seg.actions["sphere"].isChecked() and seg.edit_panel.sphere.isChecked()
    click(axial, centre)
    mask = win.case.case.layers["Mask 1"].mask
    # exactly the voxel centres within 4 mm of the clicked point (on the axial slice shown)
    clicked = axial.widget_to_lps(axial.lps_to_widget(centre))
    idx = np.indices(vol.shape).reshape(3, -1).T
    dist = np.linalg.norm(vol.index_to_lps_points(idx) - clicked, axis=1)
    assert mask.count() == int((dist <= 4.0).sum())
    assert mask_at(mask, vol, clicked + np.array((0.0, 0.0, 3.0))) and not mask_at(
        mask, vol, clicked + np.array((0.0, 0.0, 5.0))
    )

    # grow by 2 mm then shrink by 2 mm: one undo step each, undone exactly
    assert seg.run_operation("grow", 2.0)
    grown = win.case.case.layers["Mask 1"].mask
    assert mask_at(grown, vol, clicked + np.array((0.0, 0.0, 5.0))) and not mask_at(
        grown, vol, clicked + np.array((0, 0, 7.0))
    )
    win.case.undo_stack.undo()
    assert win.case.case.layers["Mask 1"].mask == mask
    # an island 15 mm away, removed by "remove islands" (the crosshair's part is kept)
    seg.set_brush_shape("disc")
    island = clicked + np.array((15.0, 0.0, 0.0))
    click(axial, island)
    with_island = win.case.case.layers["Mask 1"].mask
    assert mask_at(with_island, vol, island)
    assert seg.run_operation("remove_islands")
    assert win.case.case.layers["Mask 1"].mask == mask
    # a hole erased in the middle of the ball's axial section, filled back
    seg.activate(seg.eraser_tool)
    seg.set_brush_radius(1.0)
    click(axial, clicked)
    holed = win.case.case.layers["Mask 1"].mask
    assert not mask_at(holed, vol, clicked)
    assert seg.run_operation("fill_holes")
    assert win.case.case.layers["Mask 1"].mask == mask


def test_shift_drag_box_limits_the_lesion(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    seg = win.segmentation
    ph = lesion_phantom(PhantomLesion.LYTIC_SPHERE)
    win.opener.show_volume(ph.volume)
    seed = np.asarray(ph.seed_lps)
    win.state.set_crosshair(seed)
    axial = win.views[ViewAxis.AXIAL]
    seg.activate(seg.lesion_tool)
    shift = Qt.KeyboardModifier.ShiftModifier
    # a box that cuts the sphere (r 8 mm) at x = centre + 3 mm
    corner_a, corner_b = seed + np.array((-12.0, -12.0, 0.0)), seed + np.array((3.0, 12.0, 0.0))
    send_mouse(axial, QEvent.Type.MouseButtonPress, corner_a, modifiers=shift)
    send_mouse(axial, QEvent.Type.MouseMove, corner_b, modifiers=shift)
    send_mouse(axial, QEvent.Type.MouseButtonRelease, corner_b, modifiers=shift)
    box = seg.lesion_tool.box_lps()
    assert box is not None and box[1][0] == pytest.approx(corner_b[0], abs=1.0)
    click(axial, seed)
    wait_job(win, qtbot)
    layer = win.case.case.layers["Lesion 1"]
    assert mask_at(layer.mask, ph.volume, seed)
    assert not mask_at(
        layer.mask, ph.volume, seed + np.array((5.0, 0.0, 0.0))
    )  # beyond the box, inside the sphere
    assert seg.lesion_tool.box is None  # used once


def test_busy_indicator_and_cancel(window: Any, qtbot: Any, no_dialogs: Any, vertebra: Any) -> None:
    win = window
    seg = win.segmentation
    win.opener.show_volume(vertebra.volume)
    seg.activate(seg.vertebra_tool)
    centre = vertebra.center_lps
    win.state.set_crosshair(centre)
    axial = win.views[ViewAxis.AXIAL]
    click(axial, centre)
    assert seg.jobs.busy and seg.jobs.bar.isVisible() and seg.jobs.cancel_button.isVisible()
    click(axial, centre)  # a second click while the first runs is refused with a message
    assert "still running" in seg.jobs.last_message
    qtbot.mouseClick(seg.jobs.cancel_button, Qt.MouseButton.LeftButton)
    wait_job(win, qtbot)
    assert seg.jobs.last_message == "Vertebral anatomy cancelled."
    assert not win.case.case.layers and not seg.jobs.bar.isVisible()


def test_lesion_in_a_named_vertebra_gets_its_level(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    seg = win.segmentation
    ph = make_vertebra_phantom(lesion=(0.0, 2.0, 0.0, 9.0))  # lytic ball r 9 mm in the body
    win.opener.show_volume(ph.volume)
    axial = win.views[ViewAxis.AXIAL]
    click_lps = ph.to_lps((10.0, -8.0, 0.0))  # body, beside the lesion
    win.state.set_crosshair(click_lps)
    seg.activate(seg.vertebra_tool)
    click(axial, click_lps)
    wait_job(win, qtbot)
    assert seg.vertebra_panel.name_selected("L2")
    lesion_lps = ph.lesion_center_lps
    win.state.set_crosshair(lesion_lps)
    seg.activate(seg.lesion_tool)
    click(axial, lesion_lps)
    wait_job(win, qtbot)
    target = win.case.case.targets["Lesion 1"]
    assert target.level == "L2" and target.kind == "spine"
    assert target.lesion_type == LesionType.LYTIC
    assert target.measures["volume_ml"] == pytest.approx(ph.lesion_volume_ml, rel=0.05)
    assert "posterior_wall_involved" in target.measures  # measured against the L2 posterior wall
    # renaming the vertebra's level follows into the lesion's target, in one undo step
    seg.vertebra_panel.select("v1")
    assert seg.vertebra_panel.name_selected("T12")
    assert win.case.case.targets["Lesion 1"].level == "T12" and "T12 body" in win.case.case.layers
    win.case.undo_stack.undo()
    assert win.case.case.targets["Lesion 1"].level == "L2" and "L2 body" in win.case.case.layers
    # the lesion's layer colour can be changed from the panel: case and screen follow
    seg.lesion_panel.recolour("Lesion 1", (0, 200, 0))
    assert win.case.case.layers["Lesion 1"].color_rgb == (0, 200, 0)
    assert win.state.layers["Lesion 1"].colour.green() == 200


def test_a_vertebra_found_after_its_lesion_takes_the_lesion_in(
    window: Any, qtbot: Any, no_dialogs: Any
) -> None:
    # the lesion clicked first is an extraspinal target with no vertebra; finding the vertebra around it
    # ties it (spinal, the vertebra's id and centroid), in the vertebra's undo step; naming the level
    # then reaches it
    win = window
    seg = win.segmentation
    ph = make_vertebra_phantom(lesion=(0.0, 2.0, 0.0, 9.0))  # lytic ball r 9 mm in the body
    win.opener.show_volume(ph.volume)
    axial = win.views[ViewAxis.AXIAL]
    lesion_lps = ph.lesion_center_lps
    win.state.set_crosshair(lesion_lps)
    seg.activate(seg.lesion_tool)
    click(axial, lesion_lps)
    wait_job(win, qtbot)
    before = win.case.case.targets["Lesion 1"]
    assert before.kind == "extraspinal" and "vertebra" not in before.extra and not before.level
    assert "posterior_wall_involved" not in before.measures  # no wall to measure against yet
    steps = win.case.undo_stack.count()

    click_lps = ph.to_lps((10.0, -8.0, 0.0))  # body, beside the lesion
    win.state.set_crosshair(click_lps)
    seg.activate(seg.vertebra_tool)
    click(axial, click_lps)
    wait_job(win, qtbot)
    assert win.case.undo_stack.count() == steps + 1
    tied = win.case.case.targets["Lesion 1"]
    assert tied.kind == "spine" and tied.extra["vertebra"] == "v1"
    body = win.case.case.layers["V1 body"].mask
    centroid = np.argwhere(body.array).mean(axis=0) + np.asarray(body.offset_index)
    assert tied.vertebra_lps is not None
    assert np.allclose(tied.vertebra_lps, ph.volume.index_to_lps_points(centroid), atol=1e-6)
    assert "Lesion 1" in seg.jobs.last_message
    # its figures now have the vertebra's posterior wall to measure against
    seg.lesion_panel.measure_now()
    assert seg.lesion_panel.wait_measured()
    figures = seg.lesion_figures.cached(ph.volume, win.case.case, tied)
    assert figures is not None  # measured by the dock
    assert figures.lesion is not None and figures.lesion.posterior_wall_involved is not None
    assert seg.vertebra_panel.name_selected("L2")
    assert win.case.case.targets["Lesion 1"].level == "L2"
    win.case.undo_stack.undo()  # the naming
    win.case.undo_stack.undo()  # the vertebra, and the tie with it
    assert win.case.case.targets["Lesion 1"] == before
