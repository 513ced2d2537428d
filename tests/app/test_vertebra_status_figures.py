"""The status bar and the Vertebrae dock say the same figures for the vertebra just found (QA s29 F: on the
bundled chest case the status bar said "right 7.1 mm" and "body 20.8 mL" while the dock, the bar drawn on
the views and the needle's readouts said 7.2 mm and 20.9 mL for the same pedicle and body).

Both came from a second rounding: the dock says figures kept to 0.01 (a pedicle width 7.1498 kept as 7.15
reads 7.2) and rounded the body's counted volume to 0.01 mL before saying it to 0.1 mL (20.849 mL -> 20.85
-> 20.9). The vertebra phantom (tests/phantoms/vertebra.py) is found once by the real engine; its pedicle
widths and body are then set to such halfway figures. Run under Xvfb (see
tests/app/test_segmentation_tools.py).
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import numpy as np
import pytest

from app.segmentation.vertebra_dock_text import figure_box_lines
from imaging.mask import Mask
from imaging.vertebra import find_vertebra
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume, affine_from_geometry
from planning.model import LayerKind, MaskLayer
from planning.vertebra_figures import vertebra_figures
from tests.app.test_segmentation_tools import pytestmark  # noqa: F401  (gui marker and display check)
from tests.phantoms.vertebra import make_vertebra_phantom

#: widths whose kept figure (0.01 mm) rounds to 0.1 mm the other way than the width itself
HALFWAY_WIDTHS_MM = {Side.LEFT: 7.1498, Side.RIGHT: 5.1499}


@pytest.fixture(scope="module")
def phantom() -> tuple[Volume, VertebraAnatomy]:
    ph = make_vertebra_phantom()
    anatomy = find_vertebra(ph.volume, ph.center_lps)
    assert set(anatomy.pedicles) == {Side.LEFT, Side.RIGHT}
    return ph.volume, anatomy


def test_the_dock_says_the_counted_body_volume_rounded_once(phantom: tuple[Volume, VertebraAnatomy]) -> None:
    _, anatomy = phantom
    # 20,849 voxels of 1 mm^3 on a 30 x 30 x 30 grid: 20.849 mL, said 20.8 mL (not 20.85 -> 20.9)
    volume = Volume(
        np.zeros((30, 30, 30), dtype=np.int16), affine_from_geometry((0, 0, 0), (1, 1, 1), np.eye(3))
    )
    full = np.zeros(volume.shape, dtype=bool)
    full.reshape(-1)[:20849] = True
    body = MaskLayer(
        "V1 body",
        LayerKind.BODY,
        Mask.from_full(full),
        (90, 140, 200),
        "",
        extra={"vertebra": "v1", "part": "body", "figures": json.dumps(vertebra_figures(anatomy))},
    )
    lines = figure_box_lines(body, volume)
    assert lines[0].startswith("body: 20.8 mL,"), lines[0]


def test_the_status_bar_says_the_widths_the_dock_says(
    window: Any, qtbot: Any, no_dialogs: Any, phantom: tuple[Volume, VertebraAnatomy]
) -> None:
    from app.segmentation.click_segmentation import _add_vertebra

    volume, anatomy = phantom
    win = window
    win.opener.show_volume(volume)
    qtbot.waitUntil(lambda: win.state.display is not None, timeout=30000)
    pedicles = {
        side: dataclasses.replace(axis, min_width_mm=HALFWAY_WIDTHS_MM[side])
        for side, axis in anatomy.pedicles.items()
    }
    _add_vertebra(win.segmentation, dataclasses.replace(anatomy, pedicles=pedicles))
    status = win.statusBar().currentMessage()
    dock = win.segmentation.vertebra_panel.figures_text()
    said = dict(re.findall(r"(left|right) (\d+\.\d) mm", status))
    shown = dict(re.findall(r"(left|right) pedicle: narrowest (\d+\.\d) mm", dock))
    assert set(said) == {"left", "right"}, status
    assert said == shown, (status, dock)
    body_said = re.search(r"body (\d+\.\d) mL", status)
    body_shown = re.search(r"body: (\d+\.\d) mL", dock)
    assert body_said is not None and body_shown is not None
    assert body_said.group(1) == body_shown.group(1), (status, dock)
    win.case.undo_stack.setClean()
