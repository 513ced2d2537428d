"""The brush cursor's layer name reads on the tint of the mask it paints, in the three 2D views (QA s28 G4).

The label is drawn beside the brush circle in the layer's own colour; over the layer's own tint it read
poorly ("Lesion 2" in red on its lesion's red, s28 G screenshots 05_sphere.png, p2_02_drawn.png). The
pixels measured: a ball of 15 mm painted into Lesion 1 on the lytic-sphere phantom, the brush (1 mm) at its
centre, so the label lies on the tint; the pixels just outside the text's own box (one row above it, one
column left of it: never glyphs) are what the text is read against. Their WCAG 2 contrast ratio with the
layer's colour must reach 4.5:1 (WCAG AA for text); on the tint alone (the same pixels with the cursor
hidden) it is well under 3:1, so the test fails when the label is drawn straight on the tint (a28b0dd).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QFontMetricsF

from app.display_geometry import ViewAxis
from app.segmentation.edit_tools import BrushShape
from tests.app.test_segmentation_tools import (
    pytestmark,  # noqa: F401  (gui marker and display check)
    send_mouse,
)
from tests.app.test_view_orientation import grab_grey
from tests.phantoms.lesion import PhantomLesion, lesion_phantom

#: a view's screen axes in LPS: (rightwards, downwards) unit vectors
SCREEN_AXES = {
    ViewAxis.AXIAL: (np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])),
    ViewAxis.SAGITTAL: (np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, -1.0])),
    ViewAxis.CORONAL: (np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, -1.0])),
}
#: WCAG 2 contrast ratio asked of the label against what it is read on (AA, normal text)
MIN_CONTRAST = 4.5


def _luminance(rgb: Any) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0-255 per channel), computed here independently."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2])


def _contrast(a: Any, b: Any) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _around_text(view: Any, centre_lps: Any, radius_mm: float, text: str) -> np.ndarray:
    """Widget (x, y) pixels just outside the label's text box: the row above it and the column left of it,
    away from the box's corners. The label's baseline starts 4 px right of the circle, level with its top."""
    right, down = SCREEN_AXES[view.view]
    c = view.lps_to_widget(centre_lps)
    rx = abs(view.lps_to_widget(centre_lps + radius_mm * right).x() - c.x())
    ry = abs(view.lps_to_widget(centre_lps + radius_mm * down).y() - c.y())
    box = QFontMetricsF(view.font()).boundingRect(text).translated(c.x() + rx + 4.0, c.y() - ry)
    top, left = int(np.floor(box.top())) - 1, int(np.floor(box.left())) - 1
    row = [(x, top) for x in range(int(box.left()) + 3, int(box.right()) - 3)]
    column = [(left, y) for y in range(int(box.top()) + 3, int(box.bottom()) - 3)]
    return np.array(row + column)


def _pixels(view: Any, where: np.ndarray) -> np.ndarray:
    rgb = grab_grey(view)
    return rgb[where[:, 1], where[:, 0]].astype(np.float64)


def test_brush_label_reads_on_its_tint_in_every_view(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    seg = win.segmentation
    phantom = lesion_phantom(PhantomLesion.LYTIC_SPHERE)
    win.opener.show_volume(phantom.volume)
    centre = np.asarray(phantom.seed_lps, dtype=np.float64)
    win.state.set_crosshair(centre)
    qtbot.wait(10)
    seg.actions["draw_lesion"].trigger()
    assert seg.edit_layer_name() == "Lesion 1"
    seg.set_brush_shape(BrushShape.SPHERE)
    seg.set_brush_radius(15.0)
    axial = win.views[ViewAxis.AXIAL]
    send_mouse(axial, QEvent.Type.MouseButtonPress, centre)
    send_mouse(axial, QEvent.Type.MouseButtonRelease, centre)
    assert win.case.case.layers["Lesion 1"].mask.count() > 10_000  # a 15 mm ball of 1 mm voxels: 14,137
    seg.set_brush_shape(BrushShape.DISC)
    seg.set_brush_radius(1.0)

    for rgb in ((230, 60, 60), (140, 30, 30)):  # the lightest lesion red and the darkest
        assert win.recolour_layer("Lesion 1", rgb)
        for axis in (ViewAxis.AXIAL, ViewAxis.SAGITTAL, ViewAxis.CORONAL):
            view = win.views[axis]
            where = _around_text(view, centre, 1.0, "Lesion 1")
            seg.set_cursor(view, None)
            qtbot.wait(20)
            tint = np.median(_pixels(view, where), axis=0)
            seg.set_cursor(view, centre)
            qtbot.wait(20)
            behind = np.median(_pixels(view, where), axis=0)
            # the tint is there (reddish, not black): the label would read poorly on it alone
            assert tint[0] - tint[1] > 20 and tint[0] > 60, (axis, rgb, tint)
            assert _contrast(rgb, tint) < 3.0, (axis, rgb, tint)
            # the label is read on its own backing
            got = _contrast(rgb, behind)
            assert got >= MIN_CONTRAST, (axis, rgb, tint, behind, got)
    seg.set_cursor(axial, None)
    win.case.undo_stack.setClean()


def test_every_lesion_colour_reads_on_its_backing_over_black_and_white() -> None:
    """The backing is nearly opaque: over the darkest and the brightest tint under it, every lesion colour
    keeps 4.5:1 (the box over white for 230,60,60: 4.6:1)."""
    from app.segmentation.edit_tools import backing_colour
    from app.segmentation.lesion_tool import LESION_COLOURS

    for rgb in LESION_COLOURS:
        box = backing_colour(QColor(*rgb))
        a = box.alpha() / 255.0
        for under in ((0, 0, 0), (255, 255, 255)):
            seen = [
                a * v + (1.0 - a) * u
                for v, u in zip((box.red(), box.green(), box.blue()), under, strict=True)
            ]
            assert _contrast(rgb, seen) >= MIN_CONTRAST, (rgb, under, seen)
