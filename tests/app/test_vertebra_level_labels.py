"""Level names on the sagittal and coronal slices beside each named or counted body (QA s25 E7: all bodies
drawn alike, no level on any view; the operator read the level only from the layer names and the dock), in
the real window (Xvfb), checked on the views' pixels.

Three "vertebrae" are body layers on a plain grid (only the body centroids count for naming), 36 mm apart
along the patient's axis, drawn in a colour found nowhere else on the views; positions LPS mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtGui import QImage

from app.display_geometry import ViewAxis
from app.segmentation.vertebra_labels import level_labels
from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry
from planning.commands import AddLayer
from planning.model import LayerKind, MaskLayer
from tests.app.test_segmentation_tools import pytestmark  # noqa: F401  (gui marker and display check)

#: slices 2 mm, rows and columns 1.5 mm: 120 mm along z
SHAPE = (60, 40, 40)
SPACING_MM = (2.0, 1.5, 1.5)
#: body boxes by slice index [a, b), superior first; rows and columns [10, 30) of each slice
BODY_SLICES = {"v1": (40, 50), "v2": (22, 32), "v3": (4, 14)}
#: the bodies' colour: magenta, which neither the grey image, the crosshair nor the letters use
BODY_RGB = (255, 0, 255)


def _window_with_vertebrae(win: Any) -> Volume:
    array = np.full(SHAPE, 40, dtype=np.int16)
    for a, b in BODY_SLICES.values():
        array[a:b, 10:30, 10:30] = 300
    volume = Volume(array, affine_from_geometry((-30.0, -30.0, 0.0), SPACING_MM, np.eye(3)))
    win.opener.show_volume(volume)
    for vid, (a, b) in BODY_SLICES.items():
        full = np.zeros(SHAPE, dtype=bool)
        full[a:b, 10:30, 10:30] = True
        extra = {"vertebra": vid, "part": "body", "level": ""}
        win.case.push(
            AddLayer(
                MaskLayer(
                    f"{vid.upper()} body", LayerKind.BODY, Mask.from_full(full), BODY_RGB, "", extra=extra
                )
            )
        )
    # the slices shown pass through the bodies' middle
    win.state.set_crosshair(volume.index_to_lps_points(np.array([27.0, 19.5, 19.5])))
    return volume


def _label_pixels(win: Any, volume: Volume, axis: ViewAxis) -> list[int]:
    """Per body (superior first): pixels of about the body colour (letters' edges are smoothed) in a strip
    40 px wide left of its section on the view, across the middle third of its height."""
    view = win.views[axis]
    image: QImage = view.grab().toImage()
    out = []
    for a, b in BODY_SLICES.values():
        corners = volume.index_to_lps_points(
            np.array([[k, r, c] for k in (a - 0.5, b - 0.5) for r in (9.5, 29.5) for c in (9.5, 29.5)])
        )
        points = [view.lps_to_widget(p) for p in corners]
        left = min(p.x() for p in points)
        top, bottom = min(p.y() for p in points), max(p.y() for p in points)
        third = (bottom - top) / 3
        count = 0
        for y in range(int(top + third), int(bottom - third) + 1):
            for x in range(max(0, int(left) - 40), int(left) - 1):
                colour = image.pixelColor(x, y)
                count += colour.red() > 160 and colour.blue() > 160 and colour.green() < 90
        out.append(count)
    return out


def test_the_levels_are_written_beside_the_bodies_on_the_sagittal_and_coronal_views(
    window: Any, qtbot: Any, no_dialogs: Any
) -> None:
    win = window
    volume = _window_with_vertebrae(win)
    panel = win.segmentation.vertebra_panel
    qtbot.wait(20)
    for axis in (ViewAxis.SAGITTAL, ViewAxis.CORONAL):
        assert _label_pixels(win, volume, axis) == [0, 0, 0], axis  # unnamed: nothing written

    panel.select("v2")
    assert panel.name_selected("L2")
    qtbot.wait(20)
    case = win.case.case
    labels = level_labels(case.layers, win.state.layers)
    assert sorted((d.name, level, named) for d, level, named in labels) == [
        ("L1 body", "L1", False),
        ("L2 body", "L2", True),
        ("L3 body", "L3", False),
    ]
    for axis in (ViewAxis.SAGITTAL, ViewAxis.CORONAL):
        counts = _label_pixels(win, volume, axis)
        assert all(n >= 5 for n in counts), (axis, counts)
    assert _label_pixels(win, volume, ViewAxis.AXIAL) == [0, 0, 0]  # one body at a time there: none

    # a hidden body is not labelled
    win.state.update_layer("L1 body", visible=False)
    qtbot.wait(20)
    assert _label_pixels(win, volume, ViewAxis.SAGITTAL)[0] == 0
    win.case.undo_stack.setClean()
