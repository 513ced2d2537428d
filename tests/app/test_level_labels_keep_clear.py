"""A vertebra's level name and its pedicles' width labels do not overlap on the slice views (QA s29 F6).

On the bundled chest case's coronal slice through the pedicles the level names
(:mod:`app.segmentation.vertebra_labels`, left of the body's section at the middle of its height) and the
width labels (:mod:`app.planning_ui.pedicle_axes`, beside each isthmus bar's outer end) were placed
independently: "T9" was written under "4.5 mm ±1.0", "T11" under "8.6 mm ±1.0". Here one body layer on a
plain grid carries the level T9 and figures whose right pedicle's isthmus lies at the left edge of the body's
section on the coronal slice, at the middle of its height: its width label is written just where the level
name was. The boxes the real window draws the texts in (recorded from the one drawing call both use) must
not intersect, and the name is still written, beside its body. Fails on cc688f6 (the two boxes overlap).
Positions LPS mm.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QRectF

from app.display_geometry import ViewAxis
from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry
from planning.commands import AddLayer
from planning.model import LayerKind, MaskLayer
from tests.app.test_segmentation_tools import pytestmark  # noqa: F401  (gui marker and display check)

SHAPE = (60, 40, 40)
SPACING_MM = (2.0, 1.5, 1.5)
#: the body: slices [22, 32), rows and columns [10, 30); the right pedicle's mask behind its left edge
BODY = (slice(22, 32), slice(10, 30), slice(10, 30))
PEDICLE = (slice(24, 30), slice(15, 26), slice(10, 15))
WIDTH_MM = 6.0


def _figures(isthmus: np.ndarray) -> str:
    right = {
        "traced": True,
        "min_width_mm": WIDTH_MM,
        "min_width_uncertainty_mm": 1.0,
        "craniocaudal_deg": 0.0,
        "craniocaudal_uncertainty_deg": None,
        "mediolateral_deg": 0.0,
        # the axis runs front to back through the isthmus (entry behind, target in front)
        "axis_entry_lps": [float(isthmus[0]), float(isthmus[1]) + 20.0, float(isthmus[2])],
        "axis_target_lps": [float(isthmus[0]), float(isthmus[1]) - 10.0, float(isthmus[2])],
        "isthmus_lps": [float(v) for v in isthmus],
    }
    return json.dumps(
        {
            "body_volume_ml": 10.0,
            "body_height_mm": 20.0,
            "canal_area_mm2": 200.0,
            "posterior_wall_intact": True,
            "wall_defects": [],
            "pedicles": {"left": {"traced": False, "reason": "test"}, "right": right},
            "endplates": {},
            "warnings": [],
            "notes": [],
        }
    )


def _layer(name: str, kind: LayerKind, where: tuple[slice, ...], extra: dict[str, Any]) -> MaskLayer:
    full = np.zeros(SHAPE, dtype=bool)
    full[where] = True
    return MaskLayer(name, kind, Mask.from_full(full), (60, 140, 255), "", extra=extra)


def test_the_level_name_keeps_clear_of_the_width_label(
    window: Any, qtbot: Any, no_dialogs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.planning_ui.pedicle_axes as pedicle_axes
    import app.segmentation.vertebra_labels as vertebra_labels

    win = window
    array = np.full(SHAPE, 40, dtype=np.int16)
    array[BODY] = 300
    volume = Volume(array, affine_from_geometry((-30.0, -30.0, 0.0), SPACING_MM, np.eye(3)))
    win.opener.show_volume(volume)
    # the isthmus on the coronal slice through row 20, at the body section's patient-right (image-left)
    # edge (column 10 less half a voxel) plus half the width, at the middle of the body's height
    edge = volume.index_to_lps_points(np.array([26.5, 20.0, 9.5]))
    isthmus = edge + np.array([WIDTH_MM / 2.0, 0.0, 0.0])
    body_extra = {"vertebra": "v1", "part": "body", "level": "T9", "level_named": True}
    body_extra["figures"] = _figures(isthmus)
    win.case.push(AddLayer(_layer("T9 body", LayerKind.BODY, BODY, body_extra)))
    pedicle_extra = {"vertebra": "v1", "part": "pedicle_right"}
    win.case.push(AddLayer(_layer("T9 pedicle right", LayerKind.BODY, PEDICLE, pedicle_extra)))
    win.state.set_crosshair(isthmus)
    qtbot.wait(20)

    drawn: list[tuple[str, QRectF]] = []
    for module in (vertebra_labels, pedicle_axes):
        original = module.draw_outlined

        def record(painter: Any, where: QRectF, text: str, *rest: Any, _draw: Any = original) -> None:
            drawn.append((text, QRectF(where)))
            _draw(painter, where, text, *rest)

        monkeypatch.setattr(module, "draw_outlined", record)
    view = win.views[ViewAxis.CORONAL]
    view.grab()
    names = [box for text, box in drawn if text == "T9"]
    widths = [box for text, box in drawn if text.startswith(f"{WIDTH_MM:.1f} mm")]
    assert len(names) == 1 and len(widths) == 1, drawn
    assert not names[0].intersects(widths[0]), (names[0], widths[0])
    # still beside its body: level with its section, next to one of its sides
    corners = [
        view.lps_to_widget(tuple(p))
        for p in volume.index_to_lps_points(np.array([[21.5, 20, 9.5], [31.5, 20, 29.5]]))
    ]
    top, bottom = sorted(c.y() for c in corners)
    left, right = sorted(c.x() for c in corners)
    assert top <= names[0].center().y() <= bottom, (names[0], top, bottom)
    assert min(abs(names[0].right() - left), abs(names[0].left() - right)) <= 10.0, (names[0], left, right)
    win.case.undo_stack.setClean()
