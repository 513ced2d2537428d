"""The ribs' level suggestion in the Vertebrae dock, and rib warnings on counted levels (session 20's
"Noticed and left": the L1 suggestion was on the command line only; only named levels were warned).

The spine phantom (tests/phantoms/rib_spine.py) has ribs on T11 and T12 and none on L1-L5. Run under Xvfb
(see tests/app/test_segmentation_tools.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.app.test_segmentation_tools import (
    mask_at,
    pytestmark,  # noqa: F401  (gui marker and display check)
    wait_job,
)
from tests.phantoms.rib_spine import RibSpinePhantom, make_rib_spine_phantom


@pytest.fixture(scope="module")
def spine() -> RibSpinePhantom:
    return make_rib_spine_phantom(levels=("T11", "T12", "L1", "L2"), seed=7)


def _find(win: Any, qtbot: Any, spine: RibSpinePhantom, *levels: str) -> None:
    win.opener.show_volume(spine.volume)
    for level in levels:
        win.segmentation.find_vertebra_at(np.asarray(spine.center(level)))
        wait_job(win, qtbot)


def test_l1_named_t12_alone_is_offered_l1_and_the_key_accepts_it(
    window: Any, qtbot: Any, no_dialogs: Any, spine: RibSpinePhantom
) -> None:
    """Session 19 QA F8 in the window: L1 found alone and named T12. The ribs above it (probed in the CT,
    no vertebra found there) suggest L1: said under the list, offered on the button, taken with the
    keyboard as one undo step."""
    win = window
    panel = win.segmentation.vertebra_panel
    _find(win, qtbot, spine, "L1")
    panel.select("v1")
    assert panel.name_selected("T12")
    said = panel.level_notes_text()
    assert "T12: this vertebra is named T12 but no ribs were found on it" in said, said
    assert "Anatomy suggests L1 (no ribs on this vertebra, ribs on both sides of the one above it" in said
    assert panel.suggestion_text().startswith("Anatomy suggests L1 for T12"), panel.suggestion_text()
    assert "was named T12" in panel.suggestion_text()
    assert panel.accept_button.text() == "Name this vertebra L1" and panel.accept_button.isEnabled()
    assert "suggested L1" in panel.list.item(0).text()
    steps = win.case.undo_stack.count()
    # keyboard: the button takes the focus (Tab reaches it) and Space presses it
    assert panel.accept_button.focusPolicy() & Qt.FocusPolicy.TabFocus
    panel.accept_button.setFocus()
    qtbot.keyClick(panel.accept_button, Qt.Key.Key_Space)
    case = win.case.case
    assert win.case.undo_stack.count() == steps + 1
    assert mask_at(case.layers["L1 body"].mask, spine.volume, spine.center("L1"))
    assert case.layers["L1 body"].extra["level"] == "L1" and case.layers["L1 body"].extra["level_named"]
    assert "ribs" not in panel.level_notes_text() and panel.suggestion_text() == ""
    assert panel.accept_button.text() == "Accept" and not panel.accept_button.isEnabled()
    win.case.undo_stack.undo()
    assert "T12 body" in case.layers and "L1 body" not in case.layers
    assert "Anatomy suggests L1" in panel.level_notes_text()
    win.case.undo_stack.setClean()


def test_a_counted_level_its_ribs_contradict_is_warned_and_its_suggestion_renumbers(
    window: Any, qtbot: Any, no_dialogs: Any, spine: RibSpinePhantom
) -> None:
    """T12, L1 and L2 found; L2 named "L1" (one off): L1 counts as T12 without ribs. Warned under the list
    with the suggestion L1 (T12 above it, found, has ribs on both sides); accepting it names L1 and counts
    the others (L2 the operator named is renumbered, after the question)."""
    win = window
    panel = win.segmentation.vertebra_panel
    _find(win, qtbot, spine, "T12", "L1", "L2")
    case = win.case.case
    panel.select("v3")
    assert panel.name_selected("L1")
    assert mask_at(case.layers["T12 body"].mask, spine.volume, spine.center("L1"))
    said = panel.level_notes_text()
    assert "T12: this vertebra is counted as T12 but no ribs were found on it" in said, said
    assert "Anatomy suggests L1" in said
    # the named one and the rib-bearing one counted T11 are not warned by the ribs
    assert "L1: this" not in said and "T11: this" not in said
    # the ribs' suggestion is the one offered, though the named vertebra is selected
    assert panel.suggestion_text().startswith("Anatomy suggests L1 for T12"), panel.suggestion_text()
    assert "counts as T12" in panel.suggestion_text()
    assert panel.accept_button.text() == "Name T12 as L1"
    steps = win.case.undo_stack.count()
    panel.accept_button.click()
    assert len(no_dialogs) == 1 and "L1 is already the level of another vertebra" in no_dialogs[0][1]
    assert win.case.undo_stack.count() == steps + 1
    for level in ("T12", "L1", "L2"):
        assert mask_at(case.layers[f"{level} body"].mask, spine.volume, spine.center(level)), level
    assert case.layers["L1 body"].extra["level_named"] and not case.layers["L2 body"].extra["level_named"]
    assert panel.level_notes_text() == "" and panel.suggestion_text() == ""
    win.case.undo_stack.undo()
    assert mask_at(case.layers["T12 body"].mask, spine.volume, spine.center("L1"))
    win.case.undo_stack.setClean()


def test_a_rib_bearing_vertebra_counted_lumbar_is_offered_t12(
    window: Any, qtbot: Any, no_dialogs: Any, spine: RibSpinePhantom
) -> None:
    """T12 and L1 found; L1 named "L2": T12 counts as L1 with ribs on both sides, warned, with T12 (the
    vertebra below it has none); named right, nothing is said."""
    win = window
    panel = win.segmentation.vertebra_panel
    _find(win, qtbot, spine, "T12", "L1")
    case = win.case.case
    panel.select("v2")
    assert panel.name_selected("L2")
    said = panel.level_notes_text()
    assert "L1: this vertebra is counted as L1 but ribs were found on both sides of it" in said, said
    assert "Anatomy suggests T12 (" in said
    assert panel.suggestion_text().startswith("Anatomy suggests T12 for L1")
    assert panel.accept_suggestion()
    assert mask_at(case.layers["T12 body"].mask, spine.volume, spine.center("T12"))
    assert mask_at(case.layers["L1 body"].mask, spine.volume, spine.center("L1"))
    assert panel.level_notes_text() == ""
    # named right from the other one: nothing said either
    panel.select("v2")
    assert panel.name_selected("L1")
    assert panel.level_notes_text() == "" and panel.suggestion_text() == ""
    win.case.undo_stack.setClean()


def test_metal_near_the_vertebra_says_nothing(spine: RibSpinePhantom) -> None:
    """The vertebra's figures say metal lies near it: its ribs are not held against its level."""
    import dataclasses
    import json

    from app.segmentation.vertebra_rib_levels import rib_level_notes
    from app.segmentation.vertebra_tool import anatomy_layers
    from imaging.vertebra import find_vertebra
    from planning.case import Case, Section

    anatomy = find_vertebra(spine.volume, tuple(spine.center("L1")))
    layers = anatomy_layers(anatomy, vertebra_id="v1", level="T12", series_uid="", taken=set(), named=True)
    case = Case()
    for layer in layers:
        case.add(Section.LAYERS, layer)
    notes = rib_level_notes(case, spine.volume, {}, {})
    assert set(notes) == {"v1"} and notes["v1"].suggestion is not None
    body = case.layers["T12 body"]
    figures = {**json.loads(str(body.extra["figures"])), "metal": {"message": "metal near the right pedicle"}}
    case.replace(
        Section.LAYERS,
        "T12 body",
        dataclasses.replace(body, extra={**body.extra, "figures": json.dumps(figures)}),
    )
    assert rib_level_notes(case, spine.volume, {}, {}) == {}
