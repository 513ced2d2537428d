"""The caption of the views along the needle never runs under their orientation letters (QA s32 B: at the
dock's width "probe's eye — Lesion 1 needle 1  depth 77 mm" ran under the top "S", reading "dep S th", and
"(outside the image)" made it longer). Checked on the pixels of both views, at the test window's size, at
1280x1024 and at the views' smallest and a middle size: the top and left letters are drawn and no caption
pixel falls on them; the caption is drawn, whole where its corner holds it.

Phantom: conftest's marker volume (imaged out to x = +/-35 mm); a needle entering 14 mm beyond the image,
the probe's eye 5 mm under the entry (outside the image: the longest caption). LPS mm; sizes in pixels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QFontMetricsF

from app.planning_ui.reslice_caption import letter_font
from planning.commands import AddTrajectory
from planning.model import Approach, Trajectory
from tests.app.test_needle_outside_image_drawn import IMAGE_EDGE_X_MM
from tests.app.test_planning_ui_needles import (  # noqa: F401  (fixture)
    _add_target,
    _slice_z,
    planning,
    pytestmark,
)
from tests.app.test_view_orientation import grab_grey

NAME = "Lesion 1 needle 1"


def _caption_blue(rgb: np.ndarray) -> np.ndarray:
    """Pixels of the caption's blue (#9ecbff) over the dark image: blue high and above red, red not low
    (the needle's cyan has none), green between."""
    r, g, b = (rgb[..., k].astype(float) for k in range(3))
    return (b > 150) & (b - r > 40) & (r > 0.45 * b) & (g > r) & (g < b)


def _letter_yellow(rgb: np.ndarray) -> np.ndarray:
    """Pixels of the orientation letters' yellow (#ffd24d)."""
    r, g, b = (rgb[..., k].astype(float) for k in range(3))
    return (r > 200) & (g > 150) & (b < 0.6 * r)


def _letter_boxes(view: Any) -> dict[str, tuple[slice, slice]]:
    """(rows, cols) of the top and left letters' glyph boxes as the view draws them."""
    fm = QFontMetricsF(letter_font())
    w, h = view.width(), view.height()
    up = "S"  # a needle in an axial plane: the patient's superior axis is up in both views
    adv, tall = fm.horizontalAdvance(up), fm.height()
    top = (
        slice(2, int(np.ceil(2 + tall))),
        slice(int(w / 2 - adv / 2) - 1, int(np.ceil(w / 2 + adv / 2)) + 1),
    )
    left = (
        slice(int(h / 2 - tall / 2), int(np.ceil(h / 2 + tall / 2))),
        slice(3, int(np.ceil(4 + fm.horizontalAdvance("W"))) + 1),
    )
    return {"top": top, "left": left}


def _check(view: Any) -> None:
    rgb = grab_grey(view)
    blue, yellow = _caption_blue(rgb), _letter_yellow(rgb)
    for where, (rows, cols) in _letter_boxes(view).items():
        assert yellow[rows, cols].sum() >= 3, (where, view.size())  # the letter is drawn
        assert blue[rows, cols].sum() == 0, (where, view.size(), view.caption())
    h, w = view.height(), view.width()
    assert blue[: h // 2, : w // 2].sum() >= 20, view.size()  # the caption is drawn, in the top-left corner


@pytest.mark.parametrize("size", ["window", "1280x1024", "180", "320"])
def test_the_caption_stays_clear_of_the_orientation_letters(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
    size: str,
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    entry, tip = (IMAGE_EDGE_X_MM + 14.0, 10.0, z), (2.0, 2.0, z)
    window.case.push(AddTrajectory(Trajectory(NAME, "T1", Approach.DIRECT, entry, tip)))
    planning.controller.select(NAME)
    if size == "1280x1024":
        window.resize(1280, 1024)
        qtbot.waitUntil(lambda: (window.width(), window.height()) == (1280, 1024), timeout=3000)
    along = planning.docks["along"]
    along.show()
    along.raise_()
    qtbot.waitUntil(lambda: not planning.in_plane.visibleRegion().isEmpty(), timeout=3000)
    planning.depth.setValue(5)
    qtbot.waitUntil(lambda: planning.probe.depth_mm == 5.0, timeout=3000)
    qtbot.wait(50)
    views = (planning.in_plane, planning.probe)
    if size.isdigit():
        for view in views:
            view.resize(int(size), int(size))
    for view in views:
        view.refresh()
    qtbot.wait(20)
    assert planning.probe.caption().endswith("(outside the image)")
    for view in views:
        _check(view)
    for view in views:
        lines = view.caption_lines()
        if view.width() >= 300:  # room for the whole caption in its corner: nothing elided
            assert " ".join(lines) == " ".join(view.caption().split()), (view.size(), lines)
    window.case.undo_stack.setClean()
