"""A Vertebra click on a vertebra already found selects it; it is never added again or counted twice.

QA session 16 item 1: on the chest CT a click at T8 and a second one 0.6 mm higher (the same slice) added
V2 with the same body, and naming V1 "T8" labelled V2 "T9": one bone counted as two levels. Here, in the
real window (Xvfb), on the vertebra phantom (tests/phantoms/vertebra.py: body centred at its
``center_lps``, 26 mm tall, on a 1 mm grid) and on the abdomen CT (L3, the QA's clicks):

- a click whose voxel is in a body layer selects that vertebra and searches nothing;
- a click just outside a trimmed body layer finds a body overlapping it (Dice >= 0.8): selected, not added;
- a body sharing part of one (Dice below 0.8): the operator is asked; Replace puts it in place of the
  vertebra (same id and level), Cancel adds nothing.

The body's volume shown (status bar and Vertebrae dock) is its layer's (QA item 13: 41.5 mL shown for
the abdomen L3 body whose layer holds 42.36 mL).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.display_geometry import ViewAxis
from app.segmentation import vertebra_duplicates
from app.segmentation.click_segmentation import _add_vertebra
from imaging.mask import Mask
from imaging.vertebra import find_vertebra
from planning.commands import EditMask
from planning.model import LayerKind
from tests.app.test_segmentation_tools import (
    click,
    pytestmark,  # noqa: F401  (gui marker and display check)
    wait_job,
)
from tests.phantoms.vertebra import make_vertebra_phantom


@pytest.fixture(scope="module")
def vertebra() -> Any:
    return make_vertebra_phantom()


@pytest.fixture(scope="module")
def found(vertebra: Any) -> Any:
    """The phantom's vertebra found from its centre once (the search takes seconds): added to a window
    with the tool's own code (:func:`app.segmentation.click_segmentation._add_vertebra`)."""
    return find_vertebra(vertebra.volume, vertebra.center_lps)


def _bodies(win: Any) -> list[str]:
    return [name for name, layer in win.case.case.layers.items() if layer.kind == LayerKind.BODY]


def _vertebra_click(win: Any, qtbot: Any, point_lps: Any) -> None:
    seg = win.segmentation
    win.state.set_crosshair(np.asarray(point_lps, dtype=float))
    seg.activate(seg.vertebra_tool)
    click(win.views[ViewAxis.AXIAL], np.asarray(win.state.crosshair_lps, dtype=float))
    wait_job(win, qtbot)


def _body_ml_shown(text: str) -> float:
    return float(text.split("body: ")[1].split(" mL", maxsplit=1)[0])


def test_a_second_click_in_a_found_body_selects_it(
    window: Any, qtbot: Any, no_dialogs: Any, vertebra: Any
) -> None:
    win = window
    seg = win.segmentation
    win.opener.show_volume(vertebra.volume)
    centre = np.asarray(vertebra.center_lps, dtype=float)
    _vertebra_click(win, qtbot, centre)
    assert _bodies(win) == ["V1 body"]
    # the body's volume said and shown is its layer's (QA item 13)
    layer_ml = win.case.case.layers["V1 body"].mask.count() * vertebra.volume.voxel_volume_ml
    assert f"body {layer_ml:.1f} mL" in seg.jobs.last_message
    assert _body_ml_shown(seg.vertebra_panel.figures_text()) == pytest.approx(layer_ml, abs=0.051)
    steps = win.case.undo_stack.count()
    layers = set(win.case.case.layers)
    panel = seg.vertebra_panel
    panel.list.setCurrentRow(-1)
    # the QA's second click, 0.6 mm higher, and one 6 mm to the left: the same vertebra
    for offset in ((0.0, 0.0, 0.6), (6.0, 0.0, 0.0)):
        _vertebra_click(win, qtbot, centre + np.array(offset))
        assert set(win.case.case.layers) == layers and win.case.undo_stack.count() == steps
        assert panel.list.count() == 1 and panel.selected_id() == "v1"
        assert "V1 is found already" in seg.jobs.last_message and "nothing added" in seg.jobs.last_message
    assert not no_dialogs
    win.case.undo_stack.setClean()


def test_a_body_found_again_beside_a_trimmed_layer_is_not_added(
    window: Any, qtbot: Any, no_dialogs: Any, vertebra: Any, found: Any
) -> None:
    win = window
    seg = win.segmentation
    vol = vertebra.volume
    win.opener.show_volume(vol)
    centre = np.asarray(vertebra.center_lps, dtype=float)
    _add_vertebra(seg, found)
    body = win.case.case.layers["V1 body"].mask
    # the operator erased a 3 mm ball 5 mm above the centre from the body layer; a click there is
    # outside the layer, but the search finds the same body (Dice well above 0.8)
    point = centre + np.array([0.0, 0.0, 5.0])
    full = body.to_full()
    idx = np.argwhere(full)
    near = np.linalg.norm(vol.index_to_lps_points(idx) - point, axis=1) <= 3.0
    full[tuple(idx[near].T)] = False
    win.case.push(EditMask("V1 body", Mask.from_full(full)))
    assert not seg.vertebra_at(point)
    steps = win.case.undo_stack.count()
    _vertebra_click(win, qtbot, point)
    assert _bodies(win) == ["V1 body"] and win.case.undo_stack.count() == steps
    message = seg.jobs.last_message
    assert "V1 is found already" in message and "Dice" in message and "nothing added" in message
    assert not no_dialogs
    win.case.undo_stack.setClean()


def test_a_body_sharing_part_of_one_asks_replace_or_cancel(
    window: Any, qtbot: Any, no_dialogs: Any, vertebra: Any, found: Any, monkeypatch: Any
) -> None:
    win = window
    seg = win.segmentation
    vol = vertebra.volume
    win.opener.show_volume(vol)
    centre = np.asarray(vertebra.center_lps, dtype=float)
    _add_vertebra(seg, found)
    body = win.case.case.layers["V1 body"].mask
    found_n = body.count()
    # keep only the body's lower part (below 2 mm under the centre) as V1's body: the whole body found
    # again (as from a click above that part) shares it all, but Dice about 0.6 (< 0.8): asked
    full = body.to_full()
    idx = np.argwhere(full)
    above = vol.index_to_lps_points(idx)[:, 2] > centre[2] - 2.0
    full[tuple(idx[above].T)] = False
    win.case.push(EditMask("V1 body", Mask.from_full(full)))
    lower_n = win.case.case.layers["V1 body"].mask.count()
    assert 0.2 * found_n < lower_n < 0.6 * found_n
    assert seg.vertebra_at(centre + np.array([0.0, 0.0, 6.0])) is None
    steps = win.case.undo_stack.count()

    # Cancel: nothing added, said so
    monkeypatch.setattr(vertebra_duplicates.dialogs, "ask_choice", lambda *_a: None)
    _add_vertebra(seg, found)
    assert _bodies(win) == ["V1 body"] and win.case.undo_stack.count() == steps
    assert win.case.case.layers["V1 body"].mask.count() == lower_n
    assert "kept as it was" in seg.jobs.last_message

    # Replace (the dialog's first answer): V1 takes the new body, one undo step
    asked: list[str] = []

    def replace(_p: object, title: str, text: str, choices: tuple[str, ...]) -> str:
        asked.append(text)
        return choices[0]

    monkeypatch.setattr(vertebra_duplicates.dialogs, "ask_choice", replace)
    _add_vertebra(seg, found)
    assert len(asked) == 1 and "shares" in asked[0] and "vertebra V1" in asked[0]
    assert _bodies(win) == ["V1 body"] and win.case.undo_stack.count() == steps + 1
    new_n = win.case.case.layers["V1 body"].mask.count()
    assert new_n > 0.9 * found_n  # the whole body again
    assert win.case.case.layers["V1 body"].extra["vertebra"] == "v1"
    assert "V1 replaced" in seg.jobs.last_message
    win.case.undo_stack.undo()
    assert win.case.case.layers["V1 body"].mask.count() == lower_n
    win.case.undo_stack.setClean()


#: abdomen-pelvis CT (3 mm voxels), the QA's L3 clicks (QA session 16 items 1-2, 13)
ABDOMEN_L3_LPS = (4.9, -141.3, 316.3)


@pytest.mark.realdata
def test_abdomen_l3_clicked_twice_is_one_vertebra_with_its_layers_volume(
    window: Any, qtbot: Any, no_dialogs: Any, shared_data: Any
) -> None:
    from imaging.load import load_volume

    win = window
    seg = win.segmentation
    vol = load_volume(shared_data / "abdomen-pelvis-ct" / "ct.nii.gz").volume
    win.opener.show_volume(vol)
    first = np.asarray(ABDOMEN_L3_LPS, dtype=float)
    _vertebra_click(win, qtbot, first)
    assert _bodies(win) == ["V1 body"]
    layer_ml = win.case.case.layers["V1 body"].mask.count() * vol.voxel_volume_ml
    shown = _body_ml_shown(seg.vertebra_panel.figures_text())
    # the search measures 41.5 mL on its 1 mm region; the layer on the CT's 3 mm grid holds 42.4 mL
    assert shown == pytest.approx(layer_ml, abs=0.051)
    _vertebra_click(win, qtbot, first + np.array([0.0, 0.0, 0.6]))
    assert _bodies(win) == ["V1 body"]
    assert seg.vertebra_panel.list.count() == 1
    assert seg.vertebra_panel.name_selected("L3")
    assert _bodies(win) == ["L3 body"]
    win.case.undo_stack.setClean()
