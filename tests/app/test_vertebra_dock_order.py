"""The Vertebrae dock lists vertebrae along the spine, superior first, and its note says the latest
naming only (QA session 17 V, items 1 and E), in the real window (Xvfb).

- The list was in the order the vertebrae were found ("T12, L3, L4, L1, L2"). Now it runs cranial to
  caudal by the body centroids along the spine, whether the volume's slices run head first or feet
  first (LPS +z is superior either way); selection, naming and undo work on the rows as listed.
- The note "Named T12." stayed after later finds and after its naming was undone. Now it is cleared
  once the vertebrae or their levels change by anything else.
- Naming a vertebra the level it already has changes nothing, and pushes no undo step (one Undo after
  a repeated naming undid nothing that could be seen).

Three "vertebrae" are body layers on a plain grid (only the body centroids count for the list and the
naming), 36 mm apart along the patient's axis; positions LPS mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry
from planning.commands import AddLayer
from planning.model import LayerKind, MaskLayer
from tests.app.test_segmentation_tools import pytestmark  # noqa: F401  (gui marker and display check)

#: slices 2 mm, rows and columns 1.5 mm: 120 mm along the slices
SHAPE = (60, 40, 40)
SPACING_MM = (2.0, 1.5, 1.5)
#: body boxes by slice index [a, b), added in this order: the middle one, the first slices', the last's
BODY_SLICES = {"v1": (22, 32), "v2": (4, 14), "v3": (40, 50)}


def _volume(feet_first: bool) -> Volume:
    """Head first: slice index runs to +z (superior); feet first: to -z."""
    direction = np.diag([1.0, 1.0, -1.0 if feet_first else 1.0])
    origin_z = 120.0 if feet_first else 0.0
    array = np.full(SHAPE, 40, dtype=np.int16)
    for a, b in BODY_SLICES.values():
        array[a:b, 10:30, 10:30] = 300
    return Volume(array, affine_from_geometry((-30.0, -30.0, origin_z), SPACING_MM, direction))


def _add_vertebra(win: Any, vid: str) -> None:
    a, b = BODY_SLICES[vid]
    full = np.zeros(SHAPE, dtype=bool)
    full[a:b, 10:30, 10:30] = True
    extra = {"vertebra": vid, "part": "body", "level": ""}
    layer = MaskLayer(
        f"{vid.upper()} body", LayerKind.BODY, Mask.from_full(full), (200, 200, 0), "", extra=extra
    )
    win.case.push(AddLayer(layer))


def _rows(panel: Any) -> list[str]:
    from PySide6.QtCore import Qt

    return [str(panel.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(panel.list.count())]


def _superior_first(vol: Volume) -> list[str]:
    """The vertebra ids by their body centres' z, highest (superior) first: the truth, from the grid."""
    z = {
        vid: float(vol.index_to_lps_points(np.array([[0.5 * (a + b - 1), 20.0, 20.0]]))[0][2])
        for vid, (a, b) in BODY_SLICES.items()
    }
    return sorted(z, key=lambda v: -z[v])


def _levels(win: Any) -> dict[str, str]:
    return {
        str(layer.extra["vertebra"]): str(layer.extra["level"])
        for layer in win.case.case.layers.values()
        if layer.kind == LayerKind.BODY
    }


@pytest.mark.parametrize("feet_first", [False, True], ids=["head-first", "feet-first"])
def test_the_dock_lists_vertebrae_superior_first(window: Any, no_dialogs: Any, feet_first: bool) -> None:
    win = window
    vol = _volume(feet_first)
    win.opener.show_volume(vol)
    panel = win.segmentation.vertebra_panel
    order = _superior_first(vol)
    assert order == (["v3", "v1", "v2"] if not feet_first else ["v2", "v1", "v3"])
    for vid in BODY_SLICES:  # found middle, then one end, then the other
        _add_vertebra(win, vid)
    assert _rows(panel) == order

    # the lowest selected and named L3: the others counted upward, the list stays in spine order and the
    # selection stays on the vertebra named
    lowest = order[-1]
    panel.select(lowest)
    assert panel.name_selected("L3")
    assert _levels(win) == {order[0]: "L1", order[1]: "L2", lowest: "L3"}
    assert _rows(panel) == order
    assert panel.selected_id() == lowest
    assert panel.list.currentItem().text().startswith("L3")
    assert [panel.list.item(i).text()[:2] for i in range(3)] == ["L1", "L2", "L3"]
    win.case.undo_stack.undo()
    assert _levels(win) == dict.fromkeys(BODY_SLICES, "")
    assert _rows(panel) == order and panel.selected_id() == lowest
    win.case.undo_stack.setClean()


def test_the_naming_note_is_cleared_when_the_vertebrae_change(window: Any, no_dialogs: Any) -> None:
    win = window
    win.opener.show_volume(_volume(feet_first=False))
    panel = win.segmentation.vertebra_panel
    _add_vertebra(win, "v1")
    _add_vertebra(win, "v2")
    panel.select("v1")
    assert panel.name_selected("T12")
    assert panel.notes.text().startswith("Named T12.")
    # selecting another row changes no vertebra: the note still says the latest naming
    panel.select("v2")
    assert panel.notes.text().startswith("Named T12.")
    # a vertebra found later (labelled by counting in the same step): the note no longer applies
    _add_vertebra(win, "v3")
    assert panel.notes.text() == ""
    # nor after its naming is undone
    panel.select("v2")
    assert panel.name_selected("L2")
    assert panel.notes.text().startswith("Named L2")
    win.case.undo_stack.undo()
    assert panel.notes.text() == ""
    win.case.undo_stack.setClean()


def test_naming_a_vertebra_the_level_it_has_pushes_no_undo_step(window: Any, no_dialogs: Any) -> None:
    win = window
    win.opener.show_volume(_volume(feet_first=False))
    panel = win.segmentation.vertebra_panel
    for vid in BODY_SLICES:
        _add_vertebra(win, vid)
    stack = win.case.undo_stack
    panel.select("v1")
    assert panel.name_selected("L1")
    named = _levels(win)
    steps = stack.count()
    panel.select("v1")
    assert panel.name_selected("l1")  # the same level again (typed in lower case)
    assert stack.count() == steps and _levels(win) == named
    assert panel.notes.text() == "This vertebra is already L1: nothing changed."
    # one Undo undoes the naming itself
    stack.undo()
    assert _levels(win) == dict.fromkeys(BODY_SLICES, "")
    assert not no_dialogs
    stack.setClean()
