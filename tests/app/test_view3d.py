"""The 3D view: a bone surface where the bone is, seen from the front (patient's right on the left),
renderer detection, layer surfaces, the window screenshot with the VTK area composited in, and
``osteoplan demo --screenshot``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from imaging.volume import Volume, affine_from_geometry

ROOT = Path(__file__).resolve().parents[2]


def bone_blocks_volume() -> Volume:
    """Soft tissue with two bone blocks: a large one on the patient's left (+x), a small one right."""
    shape = (40, 60, 60)
    spacing = (2.0, 2.0, 2.0)
    origin = (-59.0, -59.0, -39.0)
    array = np.full(shape, 40, dtype=np.int16)
    # index [slice, row, col] -> LPS (x = -59 + 2 col, y = -59 + 2 row, z = -39 + 2 slice)
    array[10:30, 20:40, 40:55] = 700  # left block: x 21..49 mm, 20 x 15 x 20 voxels
    array[15:25, 25:35, 8:14] = 700  # right block: x -43..-33 mm, smaller
    return Volume(array, affine_from_geometry(origin, spacing, np.eye(3)))


def image_rgb(image: object) -> np.ndarray:
    img = image.convertToFormat(image.Format.Format_RGB888)  # type: ignore[attr-defined]
    w, h = img.width(), img.height()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.bytesPerLine() * h)
    return buf.reshape(h, img.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()


def test_bone_surface_seen_from_the_front(window3d: object, qtbot: object) -> None:
    view = window3d.view3d  # type: ignore[attr-defined]
    window3d.opener.show_volume(bone_blocks_volume())  # type: ignore[attr-defined]
    view.wait_for_surface()
    assert view.bone_actor is not None
    assert view.bone_actor.GetMapper().GetInput().GetNumberOfPolys() > 100
    # the surface sits where the bone is, in LPS mm (bounds of both blocks, +- one voxel)
    b = view.bone_actor.GetMapper().GetInput().GetBounds()
    assert b[0] == pytest.approx(-43.0, abs=2.5) and b[1] == pytest.approx(49.0, abs=2.5)
    assert b[4] == pytest.approx(-19.0, abs=2.5) and b[5] == pytest.approx(19.0, abs=2.5)
    assert view.renderer_name  # detected after the first frame
    assert view.software_gl == ("llvmpipe" in view.renderer_name.lower())
    rgb = image_rgb(view.grab_image())
    # bone is drawn ivory; the background gradient stays below 0.22 (56 of 255) in every channel
    lit = (rgb[..., 0] > 80) & (rgb[..., 0] >= rgb[..., 2])
    w = lit.shape[1]
    left_half, right_half = lit[:, : w // 2].sum(), lit[:, w // 2 :].sum()
    # the big block is the patient's left: on the screen's right from the front
    assert right_half > 2 * left_half > 0


def test_a_brush_stroke_redraws_the_3d_view_once_it_pauses(
    window3d: object, qtbot: object, no_dialogs: object
) -> None:
    # each dab of a stroke changes the layer; the 2D views redraw it at once, the 3D view rebuilds its
    # layer surfaces and renders once the stroke pauses (before: every dab, 120-130 ms each on the chest
    # CT with software GL)
    from PySide6.QtCore import QEvent

    from app.display_geometry import ViewAxis
    from tests.app.test_segmentation_tools import send_mouse

    win = window3d
    view = win.view3d  # type: ignore[attr-defined]
    win.opener.show_volume(bone_blocks_volume())  # type: ignore[attr-defined]
    view.wait_for_surface()
    seg = win.segmentation  # type: ignore[attr-defined]
    name = seg.edit_panel.new_layer()
    seg.activate(seg.brush_tool)
    seg.set_brush_radius(4.0)
    qtbot.wait(300)  # the new layer's (empty) rebuild is done
    renders: list[int] = []
    tag = view.render_window.AddObserver("EndEvent", lambda *_a: renders.append(1))
    axial = win.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    z = win.state.display.pixel_to_lps(ViewAxis.AXIAL, axial.slice_index(), 0, 0)[2]  # type: ignore[attr-defined]
    a, b = np.array([22.0, -20.0, z]), np.array([46.0, 16.0, z])  # across the left block
    send_mouse(axial, QEvent.Type.MouseButtonPress, a)
    for t in np.linspace(0.0, 1.0, 11)[1:]:
        send_mouse(axial, QEvent.Type.MouseMove, a + t * (b - a))
        qtbot.wait(20)  # the event loop runs between dabs, as with a real mouse
    send_mouse(axial, QEvent.Type.MouseButtonRelease, b)
    assert win.case.case.layers[name].mask.count() > 50  # 2 mm voxels  # type: ignore[attr-defined]
    assert renders == []  # nothing drawn in 3D during the stroke
    assert name not in view.layer_actors
    qtbot.waitUntil(lambda: name in view.layer_actors, timeout=5000)  # type: ignore[attr-defined]
    assert len(renders) == 1  # then once, with the painted surface
    bounds = view.layer_actors[name].GetMapper().GetInput().GetBounds()
    assert bounds[0] <= 24.0 and bounds[1] >= 44.0  # the stroke's x extent (LPS mm), +- brush radius
    view.render_window.RemoveObserver(tag)


def test_window_screenshot_includes_the_3d_area(window3d: object, tmp_path: Path) -> None:
    view = window3d.view3d  # type: ignore[attr-defined]
    window3d.opener.show_volume(bone_blocks_volume())  # type: ignore[attr-defined]
    view.wait_for_surface()
    out = tmp_path / "window.png"
    window3d.save_screenshot(out)  # type: ignore[attr-defined]
    from PySide6.QtGui import QImage

    rgb = image_rgb(QImage(str(out)))
    top_left = view.mapTo(window3d, view.rect().topLeft())
    ratio = rgb.shape[1] / window3d.width()  # type: ignore[attr-defined]
    x0, y0 = int(top_left.x() * ratio), int(top_left.y() * ratio)
    area = rgb[y0 : y0 + int(view.height() * ratio), x0 : x0 + int(view.width() * ratio)]
    # not black: the VTK picture (background gradient and bone) was composited in
    assert area.mean() > 20
    assert ((area[..., 0] > 80) & (area[..., 0] >= area[..., 2])).sum() > 500  # bone pixels


def test_volume_rendering_uses_the_cpu_mapper_on_software_gl(window3d: object) -> None:
    view = window3d.view3d  # type: ignore[attr-defined]
    window3d.opener.show_volume(bone_blocks_volume())  # type: ignore[attr-defined]
    view.wait_for_surface()
    view.set_volume_rendering(True)
    mapper = view.volume_actor.GetMapper()
    if view.software_gl:
        assert mapper.GetClassName() == "vtkFixedPointVolumeRayCastMapper"
    else:
        assert mapper.GetClassName() == "vtkSmartVolumeMapper"
    assert not view.bone_actor.GetVisibility()
    view.set_volume_rendering(False)
    assert view.bone_actor.GetVisibility()


def test_every_shortcut_is_unique_and_works_with_the_3d_view(window3d: object, qtbot: object) -> None:
    """With every tool and the 3D menu installed, no two commands share a key (Qt fires neither of an
    ambiguous pair: V and F1 once did nothing), the keys do what their menus say, and the Help list
    names every one."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QApplication

    from app.display_geometry import ViewAxis

    win = window3d
    actions = [a for a in win.findChildren(QAction) if not a.shortcut().isEmpty()]  # type: ignore[attr-defined]
    keys = [a.shortcut().toString() for a in actions]
    assert len(actions) > 20
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []
    listed = win.shortcut_list()  # type: ignore[attr-defined]
    for a in actions:
        if a.text().startswith("&") and a.text()[1].isdigit():
            continue  # recent files: listed as one Ctrl+1-8 item
        assert f"{a.shortcut().toString()}: {a.text().replace('&', '').rstrip('…')}" in listed

    win.opener.show_volume(bone_blocks_volume())  # type: ignore[attr-defined]
    axial = win.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    win.activateWindow()  # type: ignore[attr-defined]
    axial.setFocus()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=2000)  # type: ignore[attr-defined]
    qtbot.keyClick(axial, Qt.Key.Key_V)  # type: ignore[attr-defined]
    assert win.state.mouse_tool is win.segmentation.vertebra_tool  # type: ignore[attr-defined]
    qtbot.keyClick(axial, Qt.Key.Key_F2)  # type: ignore[attr-defined]
    assert (win.state.window_hu, win.state.level_hu) == (400.0, 40.0)  # type: ignore[attr-defined]
    qtbot.keyClick(axial, Qt.Key.Key_F1)  # type: ignore[attr-defined]
    assert (win.state.window_hu, win.state.level_hu) == (1800.0, 400.0)  # type: ignore[attr-defined]
    volume_rendering = next(a for a in actions if a.text() == "Volume rendering")
    qtbot.keyClick(axial, Qt.Key.Key_V, Qt.KeyboardModifier.ShiftModifier)  # type: ignore[attr-defined]
    assert volume_rendering.isChecked() and win.view3d.volume_rendering  # type: ignore[attr-defined]


@pytest.mark.slow
def test_demo_screenshot_command(tmp_path: Path) -> None:
    out = tmp_path / "demo.png"
    env = dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo", "--screenshot", str(out), "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["screenshot"] == str(out)
    from PySide6.QtGui import QImage

    rgb = image_rgb(QImage(str(out)))
    assert rgb.shape[0] > 400 and rgb.std() > 20  # a real picture, not a blank window


def test_a_plan_inside_the_bone_shows_through_and_the_camera_centres_on_it(
    window3d: object, qtbot: object
) -> None:
    """A needle inside a bone block is hidden by an opaque surface; once the case has needles the bone
    turns see-through by itself (the needle's cyan shows), the operator's choice wins afterwards; the
    camera centres on the crosshair; the orientation cube is on."""
    from planning.commands import AddTarget, AddTrajectory
    from planning.model import Approach, Target, TargetKind, Trajectory

    win = window3d
    view = win.view3d  # type: ignore[attr-defined]
    win.opener.show_volume(bone_blocks_volume())  # type: ignore[attr-defined]
    view.wait_for_surface()
    assert view.orientation.GetEnabled()

    def cyan_pixels() -> int:
        rgb = image_rgb(view.grab_image()).astype(int)
        return int(((rgb[..., 1] > 120) & (rgb[..., 2] > 120) & (rgb[..., 0] < 80)).sum())

    assert view.bone_actor.GetProperty().GetOpacity() == 1.0
    # a needle wholly inside the left block (x 21..49, y -19..19, z -19..19 mm), along x, no antenna
    win.case.push(AddTarget(Target("B", kind=TargetKind.EXTRASPINAL)))  # type: ignore[attr-defined]
    needle = Trajectory(
        "B needle", "B", Approach.DIRECT, (24.0, 0.0, 0.0), (46.0, 0.0, 0.0), antenna_extension_mm=0
    )
    win.case.push(AddTrajectory(needle))  # type: ignore[attr-defined]
    qtbot.wait(50)  # type: ignore[attr-defined]
    assert view.bone_actor.GetProperty().GetOpacity() < 0.5
    assert view.see_through_action.isChecked()
    seen = cyan_pixels()
    view.see_through_action.trigger()  # the operator wants it opaque: the needle is hidden
    assert view.bone_see_through is False and view.bone_actor.GetProperty().GetOpacity() == 1.0
    hidden = cyan_pixels()
    assert seen > 30 and hidden < seen / 10, (seen, hidden)
    win.case.push(AddTrajectory(replace(needle, name="B needle 2")))  # type: ignore[attr-defined]
    qtbot.wait(50)  # type: ignore[attr-defined]
    assert view.bone_actor.GetProperty().GetOpacity() == 1.0  # the choice stands

    win.state.set_crosshair((35.0, 0.0, 0.0))  # type: ignore[attr-defined]
    view.centre_on_crosshair()
    camera = view.renderer.GetActiveCamera()
    assert np.allclose(camera.GetFocalPoint(), win.state.crosshair_lps, atol=1e-6)  # type: ignore[attr-defined]
    from app.view3d_aids import CENTRED_FIELD_MM, VIEW_ANGLE_DEG

    distance = np.linalg.norm(np.subtract(camera.GetPosition(), camera.GetFocalPoint()))
    assert 2 * distance * np.tan(np.radians(VIEW_ANGLE_DEG / 2)) == pytest.approx(CENTRED_FIELD_MM)
    win.case.undo_stack.setClean()  # type: ignore[attr-defined]  # closing must not ask about saving
