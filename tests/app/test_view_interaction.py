"""Driving the 2D views with mouse and keys: slices, window/level presets, crosshair, ruler, maximise.

Volumes are the marker phantoms of conftest (markers at known LPS mm, body at 40 HU); pixel values
are checked against the window formula grey = (HU - (level - width/2)) * 255 / width.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from app.display_geometry import ViewAxis, apply_window
from app.presets import load_presets
from tests.app.conftest import BODY_HU, MARKERS, marker_volume
from tests.app.test_view_orientation import grab_grey

SPACING_MM = (2.0, 1.5, 1.25)

#: the bare views: the tool packages' overlays would cover the pixels probed here
WINDOW_EXTENSIONS = False


@pytest.fixture
def loaded(window: object, qtbot: object) -> object:
    window.opener.show_volume(marker_volume(np.eye(3), spacing_mm=SPACING_MM))  # type: ignore[attr-defined]
    qtbot.wait(10)  # type: ignore[attr-defined]
    return window


def pixel_at(view: object, point_lps: tuple[float, float, float]) -> int:
    """Grey value a few pixels off where ``point_lps`` projects (off the crosshair lines)."""
    p = view.lps_to_widget(point_lps)  # type: ignore[attr-defined]
    rgb = grab_grey(view)
    return int(rgb[round(p.y()) + 3, round(p.x()) + 3, 1])


def test_wheel_and_keys_scroll_slices(loaded: object, qtbot: object) -> None:
    axial = loaded.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    centre, hu = MARKERS["left"]
    loaded.state.set_crosshair(centre)  # type: ignore[attr-defined]
    start_index = axial.slice_index()
    # z (mm) of the slice shown: the crosshair sits between two slices of this grid
    start_z = loaded.state.display.pixel_to_lps(ViewAxis.AXIAL, start_index, 0, 0)[2]  # type: ignore[attr-defined]
    assert abs(start_z - centre[2]) <= SPACING_MM[0] / 2
    marker_grey = int(apply_window(np.array([hu]), 1800, 400)[0])
    assert pixel_at(axial, centre) == pytest.approx(marker_grey, abs=3)

    # wheel forward: one slice towards superior (display index - 1), crosshair z + 2 mm
    qtbot.mouseMove(axial, QPoint(axial.width() // 2, axial.height() // 2))  # type: ignore[attr-defined]
    from PySide6.QtGui import QWheelEvent

    pos = QPointF(axial.width() / 2, axial.height() / 2)
    event = QWheelEvent(
        pos,
        axial.mapToGlobal(pos),
        QPoint(),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    axial.wheelEvent(event)
    assert axial.slice_index() == start_index - 1
    assert loaded.state.crosshair_lps[2] == pytest.approx(start_z + SPACING_MM[0], abs=1e-6)  # type: ignore[attr-defined]

    # 3 more slices (8 mm from the 4 mm ball's centre): the marker is gone from the slice
    for _ in range(3):
        qtbot.keyClick(axial, Qt.Key.Key_Up)  # type: ignore[attr-defined]
    assert axial.slice_index() == start_index - 4
    body_grey = int(apply_window(np.array([BODY_HU]), 1800, 400)[0])
    assert pixel_at(axial, centre) == pytest.approx(body_grey, abs=3)

    qtbot.keyClick(axial, Qt.Key.Key_PageDown)  # type: ignore[attr-defined]
    assert axial.slice_index() == start_index + 6
    # the other views followed the crosshair, not their own slice
    assert loaded.views[ViewAxis.SAGITTAL].slice_index() == loaded.state.display.slice_index(  # type: ignore[attr-defined]
        ViewAxis.SAGITTAL, centre
    )


def test_presets_change_pixel_values(loaded: object, qtbot: object) -> None:
    axial = loaded.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    body_point = (15.0, 15.0, 0.0)
    loaded.state.set_crosshair(body_point)  # type: ignore[attr-defined]
    presets = {p.name: p for p in load_presets()}
    for name in ("Bone", "Soft tissue", "Lung"):
        loaded.state.apply_preset(presets[name])  # type: ignore[attr-defined]
        expected = (
            (BODY_HU - (presets[name].level_hu - presets[name].width_hu / 2)) * 255 / presets[name].width_hu
        )
        assert pixel_at(axial, body_point) == pytest.approx(np.clip(expected, 0, 255), abs=2), name
    # bone is the default preset: 1800/400
    assert (presets["Bone"].width_hu, presets["Bone"].level_hu) == (1800.0, 400.0)
    assert load_presets()[0].name == "Bone"


def test_right_drag_adjusts_window(loaded: object, qtbot: object) -> None:
    axial = loaded.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    w0, l0 = loaded.state.window_hu, loaded.state.level_hu  # type: ignore[attr-defined]
    start = QPoint(100, 100)
    qtbot.mousePress(axial, Qt.MouseButton.RightButton, pos=start)  # type: ignore[attr-defined]
    from PySide6.QtGui import QMouseEvent

    move = QMouseEvent(
        QMouseEvent.Type.MouseMove,
        QPointF(150, 80),
        axial.mapToGlobal(QPointF(150, 80)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.RightButton,
        Qt.KeyboardModifier.NoModifier,
    )
    axial.mouseMoveEvent(move)
    qtbot.mouseRelease(axial, Qt.MouseButton.RightButton, pos=QPoint(150, 80))  # type: ignore[attr-defined]
    assert loaded.state.window_hu == pytest.approx(w0 + 50 * 4.0)  # type: ignore[attr-defined]
    assert loaded.state.level_hu == pytest.approx(l0 + 20 * 4.0)  # type: ignore[attr-defined]


def test_click_sets_crosshair_in_lps_and_links_views(loaded: object, qtbot: object) -> None:
    axial = loaded.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    sagittal = loaded.views[ViewAxis.SAGITTAL]  # type: ignore[attr-defined]
    centre, _ = MARKERS["left"]
    loaded.state.set_crosshair((0.0, 0.0, centre[2]))  # type: ignore[attr-defined]
    target = axial.lps_to_widget(centre)
    qtbot.mouseClick(axial, Qt.MouseButton.LeftButton, pos=target.toPoint())  # type: ignore[attr-defined]
    got = loaded.state.crosshair_lps  # type: ignore[attr-defined]
    # within half a pixel of the screen plus half a voxel (1.5 x 1.25 mm in plane)
    assert got[0] == pytest.approx(centre[0], abs=1.25)
    assert got[1] == pytest.approx(centre[1], abs=1.5)
    assert got[2] == pytest.approx(centre[2], abs=1.0)  # the axial slice did not move
    # the sagittal view moved to the clicked x (30 mm lies on a voxel boundary: either neighbour)
    expected_index = loaded.state.display.slice_index(ViewAxis.SAGITTAL, centre)  # type: ignore[attr-defined]
    assert abs(sagittal.slice_index() - expected_index) <= 1
    assert pixel_at(sagittal, tuple(got)) == pytest.approx(
        int(apply_window(np.array([2000.0]), 1800, 400)[0]), abs=3
    )
    # status bar: HU under the cursor
    qtbot.mouseMove(axial, target.toPoint())  # type: ignore[attr-defined]
    axial._emit_cursor_info(QPointF(target))
    assert "2000 HU" in loaded.cursor_label.text()  # type: ignore[attr-defined]


def test_ruler_measures_mm(loaded: object, qtbot: object) -> None:
    from app.viewer_state import Tool

    axial = loaded.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    loaded.state.set_crosshair(MARKERS["left"][0])  # type: ignore[attr-defined]
    loaded.state.set_tool(Tool.RULER)  # type: ignore[attr-defined]
    a = axial.lps_to_widget(MARKERS["right"][0])
    b = axial.lps_to_widget(MARKERS["left"][0])
    qtbot.mousePress(axial, Qt.MouseButton.LeftButton, pos=a.toPoint())  # type: ignore[attr-defined]
    from PySide6.QtGui import QMouseEvent

    move = QMouseEvent(
        QMouseEvent.Type.MouseMove,
        QPointF(b.toPoint()),
        axial.mapToGlobal(QPointF(b.toPoint())),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    axial.mouseMoveEvent(move)
    qtbot.mouseRelease(axial, Qt.MouseButton.LeftButton, pos=b.toPoint())  # type: ignore[attr-defined]
    start, end = axial.ruler_lps
    # the markers are 60 mm apart; clicks land within a screen pixel (< 0.5 mm here) of them
    px_mm = axial.image_rect().width() / (56 * SPACING_MM[2])
    assert float(np.linalg.norm(end - start)) == pytest.approx(60.0, abs=2.0 / px_mm)
    assert loaded.state.crosshair_lps[0] == pytest.approx(MARKERS["left"][0][0])  # type: ignore[attr-defined]


def test_double_click_maximises_and_restores(loaded: object, qtbot: object) -> None:
    coronal = loaded.views[ViewAxis.CORONAL]  # type: ignore[attr-defined]
    qtbot.mouseDClick(coronal, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))  # type: ignore[attr-defined]
    assert coronal.isVisible()
    assert not loaded.views[ViewAxis.AXIAL].isVisible()  # type: ignore[attr-defined]
    assert not loaded.view3d.isVisible()  # type: ignore[attr-defined]
    qtbot.mouseDClick(coronal, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))  # type: ignore[attr-defined]
    assert all(v.isVisible() for v in loaded.views.values())  # type: ignore[attr-defined]


def test_custom_window_refuses_a_width_below_one_hu(
    loaded: object, qtbot: object, no_dialogs: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """F5 Custom window: "2000 500" is applied; "-5 40" or "0 40" is refused with a message (it used to
    become a 1 HU window without a word), the window left as it was."""
    from PySide6.QtWidgets import QInputDialog

    typed: list[str] = []
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *_a, **_k: (typed[-1], True)))
    state = loaded.state  # type: ignore[attr-defined]
    typed.append("2000 500")
    loaded._on_custom_window()  # type: ignore[attr-defined]
    assert (state.window_hu, state.level_hu) == (2000.0, 500.0)
    for text in ("-5 40", "0 40", "nan 40", "300 40 7", "1e9 0"):
        typed.append(text)
        loaded._on_custom_window()  # type: ignore[attr-defined]
        assert (state.window_hu, state.level_hu) == (2000.0, 500.0), text
        assert no_dialogs[-1][0] == "Custom window" and repr(text) in no_dialogs[-1][1]
    assert len(no_dialogs) == 5


def test_corner_label_stays_clear_of_the_top_letter_in_a_narrow_view(loaded: object, qtbot: object) -> None:
    """At 1280x800 the sagittal label "Sagittal 256/512   W 1800 L 400" ran under the top letter and read
    "L 40": a narrow view puts the window on a second line, each line clear of the letter's box."""
    from PySide6.QtGui import QFontMetrics

    from app.slice_view import LABEL_FONT

    view = loaded.views[ViewAxis.SAGITTAL]  # type: ignore[attr-defined]
    metrics = QFontMetrics(LABEL_FONT)
    for width, lines_expected in ((260, 2), (1400, 1)):
        loaded.resize(width * 2 + 420, 800)  # type: ignore[attr-defined]
        qtbot.waitUntil(lambda w=width: abs(view.width() - w) < 120, timeout=3000)  # type: ignore[attr-defined]
        lines = view.label_lines()
        assert len(lines) == lines_expected, (view.width(), lines)
        one_line = 6 + metrics.horizontalAdvance("   ".join(lines))
        assert (one_line > view.width() / 2 - 16) == (lines_expected == 2)  # one line would reach the letter
        assert all(6 + metrics.horizontalAdvance(t) <= view.width() / 2 - 16 for t in lines), (
            view.width(),
            lines,
        )
        assert lines[-1].endswith(f"W {loaded.state.window_hu:.0f} L {loaded.state.level_hu:.0f}")  # type: ignore[attr-defined]
