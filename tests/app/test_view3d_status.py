"""The 3D view's status line stays legible when its text changes.

QA s22 D (screenshot of case7 in the window, 3D on, software OpenGL under Xvfb): the line read
"3D: building the bone surface (200 HU)…" drawn over "3D: bone ≥ 200 HU, 127,698 triangles · software
OpenGL: surfaces", both at once. The label lay over the VTK render window with a transparent background,
so each new text was painted over the glyphs of the old one, which nothing cleared. Checked on the screen
(QScreen.grabWindow: QWidget.grab() does not show what the VTK area holds): after a long text is
replaced by "3D" and spaces of about the same width, the label's area right of "3D" holds one colour.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtGui import QGuiApplication

from tests.app.test_view3d import bone_blocks_volume, image_rgb

LONG_TEXT = "3D: bone ≥ 200 HU, 127,698 triangles · software OpenGL: surfaces"


def label_pixels(label: Any) -> np.ndarray:
    top_left = label.mapToGlobal(QPoint(0, 0))
    screen = QGuiApplication.primaryScreen()
    shot = screen.grabWindow(0, top_left.x(), top_left.y(), label.width(), label.height())
    return image_rgb(shot.toImage())


def test_a_new_status_text_leaves_nothing_of_the_old_one(window3d: Any, qtbot: Any) -> None:
    view = window3d.view3d
    window3d.opener.show_volume(bone_blocks_volume())
    view.wait_for_surface()
    qtbot.wait(300)
    status = view.status
    status.setText(LONG_TEXT)
    status.adjustSize()
    qtbot.wait(300)
    long_width = status.width()
    text_on = label_pixels(status)
    assert np.ptp(text_on.reshape(-1, 3), axis=0).max() > 60  # the long text is on the screen
    # "3D" and spaces: the label keeps about the long text's width, with nothing drawn right of "3D"
    status.setText("3D" + " " * len(LONG_TEXT))
    status.adjustSize()
    qtbot.wait(300)
    assert status.width() >= 0.5 * long_width
    after = label_pixels(status)
    short_end = status.fontMetrics().horizontalAdvance("3D  ") + 8  # the label's 4 px padding, and margin
    rest = after[4:-4, short_end : min(after.shape[1], long_width) - 4].reshape(-1, 3).astype(int)
    assert rest.size > 0
    # one colour there (the text's glyphs differ from the background by 60-150 per channel)
    assert np.ptp(rest, axis=0).max() <= 8, "the old text's glyphs are still on the screen"


def test_a_status_wider_than_the_view_is_cut_with_the_whole_text_in_its_tooltip(
    window3d: Any, qtbot: Any
) -> None:
    """QA s22 D: the line ran past the 3D view's right edge, cut there mid-word ("surfac")."""
    view = window3d.view3d
    window3d.opener.show_volume(bone_blocks_volume())
    view.wait_for_surface()
    qtbot.wait(100)
    # the line the view writes itself, with a close-up's words: wider than the view
    view._coarse_status = LONG_TEXT + " · close-up 60 mm at full resolution: 412,345 triangles"
    view._show_status()
    status = view.status
    full = view._coarse_status
    assert status.fontMetrics().horizontalAdvance(full) > view.width()  # it would not fit
    assert status.x() + status.width() <= view.width()
    assert status.text().endswith("…") and status.toolTip() == full
    # a narrower view: cut again to fit it
    before = view.width()
    window3d.resize(800, 800)
    qtbot.waitUntil(lambda: view.width() < before - 40, timeout=3000)
    qtbot.wait(50)
    assert status.x() + status.width() <= view.width() and status.toolTip() == full
    # a text that fits is shown whole, with no tooltip
    view._coarse_status = "3D: bone ≥ 200 HU"
    view._show_status()
    assert status.text() == "3D: bone ≥ 200 HU" and status.toolTip() == ""
