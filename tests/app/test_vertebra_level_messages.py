"""Naming a level another vertebra carries asks first; the Vertebrae dock, lesion rename and anatomy
search say plainly what happened (QA session 16 items 10 and 11), in the real window (Xvfb).

- Item 10: with V1 named L3, naming the L4 vertebra "L3" renumbered every vertebra without a word. Now
  the operator is asked, naming the conflict and the levels that change; Cancel changes nothing;
  Renumber all is one undo step, and the dock's note says what was renumbered.
- Item 11: naming with no vertebra found said "Select the vertebra to name first"; renaming a lesion to
  an empty name was refused silently; a vertebra search cancelled (the window closing) said "not found".

Three stacked "vertebrae" are body layers on a plain grid (only the body centroids count for naming),
35 mm apart along the patient's axis (S, +z); positions LPS mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.segmentation.vertebra_panel import RENUMBER
from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry
from planning.commands import AddLayer, AddTarget
from planning.model import LayerKind, LesionType, MaskLayer, Target, TargetKind
from tests.app.test_segmentation_tools import pytestmark  # noqa: F401  (gui marker and display check)

#: slices 2 mm, rows and columns 1.5 mm: 120 mm along z
SHAPE = (60, 40, 40)
SPACING_MM = (2.0, 1.5, 1.5)
#: body boxes: slices [a, b) of each, the lowest first (v1 low, v2 above it, v3 highest)
BODY_SLICES = ((5, 15), (22, 32), (40, 50))


def _volume() -> Volume:
    i2l = affine_from_geometry((-30.0, -30.0, 0.0), SPACING_MM, np.eye(3))
    array = np.full(SHAPE, 40, dtype=np.int16)
    for a, b in BODY_SLICES:
        array[a:b, 10:30, 10:30] = 300
    return Volume(array, i2l)


def _with_vertebrae(win: Any) -> Volume:
    vol = _volume()
    win.opener.show_volume(vol)
    for n, (a, b) in enumerate(BODY_SLICES, start=1):
        full = np.zeros(SHAPE, dtype=bool)
        full[a:b, 10:30, 10:30] = True
        layer = MaskLayer(
            f"V{n} body",
            LayerKind.BODY,
            Mask.from_full(full),
            (200, 200, 0),
            "",
            extra={"vertebra": f"v{n}", "part": "body", "level": ""},
        )
        win.case.push(AddLayer(layer))
    win.segmentation.vertebra_panel.refresh()
    return vol


def _levels(win: Any) -> dict[str, str]:
    return {
        str(layer.extra["vertebra"]): str(layer.extra["level"])
        for layer in win.case.case.layers.values()
        if layer.kind == LayerKind.BODY
    }


def test_naming_a_level_another_vertebra_has_asks_first(
    window: Any, qtbot: Any, no_dialogs: Any, monkeypatch: Any
) -> None:
    from app import dialogs

    win = window
    _with_vertebrae(win)
    panel = win.segmentation.vertebra_panel
    panel.select("v1")
    assert panel.name_selected("L3")
    assert _levels(win) == {"v1": "L3", "v2": "L2", "v3": "L1"}
    assert not no_dialogs  # the first naming conflicts with nothing: no question
    steps = win.case.undo_stack.count()

    # the vertebra above L3 named "L3" too: Cancel changes nothing and says so
    monkeypatch.setattr(dialogs, "ask_choice", lambda *_a: None)
    panel.select("v2")
    assert not panel.name_selected("l3")
    assert _levels(win) == {"v1": "L3", "v2": "L2", "v3": "L1"}
    assert win.case.undo_stack.count() == steps
    assert panel.notes.text().startswith("Not named: L3 stays")

    # Renumber all: asked with the conflict and the changes, then one undo step
    asked: list[tuple[str, str, tuple[str, ...]]] = []

    def renumber(_p: object, title: str, text: str, choices: tuple[str, ...]) -> str:
        asked.append((title, text, choices))
        return RENUMBER

    monkeypatch.setattr(dialogs, "ask_choice", renumber)
    panel.select("v2")
    assert panel.name_selected("L3")
    assert len(asked) == 1
    title, text, choices = asked[0]
    assert title == "L3 is already named" and choices == (RENUMBER,)
    assert "L3 is already the level of another vertebra, 34 mm below this one" in text
    assert "this vertebra (now L2)" in text
    assert "L3 → L4" in text and "L1 → L2" in text and "L2 → L3" not in text
    assert _levels(win) == {"v1": "L4", "v2": "L3", "v3": "L2"}
    notes = panel.notes.text()
    assert notes.startswith("Named L3 (was L2).") and "L1 → L2, L3 → L4" in notes  # superior first
    assert win.case.undo_stack.count() == steps + 1
    win.case.undo_stack.undo()
    assert _levels(win) == {"v1": "L3", "v2": "L2", "v3": "L1"}
    win.case.undo_stack.setClean()


def test_naming_with_no_vertebra_says_to_find_one_first(window: Any, no_dialogs: Any) -> None:
    win = window
    win.opener.show_volume(_volume())
    panel = win.segmentation.vertebra_panel
    panel.refresh()
    assert panel.list.count() == 0
    assert not panel.name_selected("L3")
    assert panel.notes.text() == (
        "No vertebra found yet: click a vertebral body with the Vertebra tool (V) first."
    )
    # with several and none selected, it asks for a selection
    _with_vertebrae(win)
    panel.list.setCurrentRow(-1)
    assert not panel.name_selected("L3")
    assert panel.notes.text() == "Select the vertebra to name in the list first."
    win.case.undo_stack.setClean()


@pytest.mark.parametrize("typed", ["", "   "])
def test_renaming_a_lesion_to_nothing_says_why(window: Any, no_dialogs: Any, typed: str) -> None:
    win = window
    win.opener.show_volume(_volume())
    seg = win.segmentation
    win.case.push(AddTarget(Target("Lesion 1", kind=TargetKind.EXTRASPINAL)))
    seg.jobs.say("an older message")
    steps = win.case.undo_stack.count()
    assert not seg.lesion_panel.rename("Lesion 1", typed)
    assert "Lesion 1" in win.case.case.targets and win.case.undo_stack.count() == steps
    assert (
        seg.jobs.last_message == "Lesion 1 keeps its name: a lesion needs a name (the name typed was empty)."
    )
    win.case.undo_stack.setClean()


def test_a_refusal_is_replaced_by_what_was_done_next(window: Any, no_dialogs: Any) -> None:
    # QA s20 F5: after a refused rename, a rename and a delete that were done said nothing, so the
    # refusal stayed on screen as if they had been refused too
    win = window
    win.opener.show_volume(_volume())
    seg = win.segmentation
    # listed in the Lesions dock: a target with a lesion type
    win.case.push(AddTarget(Target("Lesion 1", kind=TargetKind.EXTRASPINAL, lesion_type=LesionType.LYTIC)))
    assert not seg.lesion_panel.rename("Lesion 1", "")
    assert seg.lesion_panel.rename("Lesion 1", "Lytic A")
    assert seg.jobs.last_message == "Renamed Lesion 1 to Lytic A."
    seg.lesion_panel.refresh()
    seg.lesion_panel.select("Lytic A")
    seg.lesion_panel.delete_selected()
    assert "Lytic A" not in win.case.case.targets
    assert seg.jobs.last_message == "Deleted Lytic A (Undo brings it back)."
    win.case.undo_stack.setClean()


def _lesion_on_v1(win: Any) -> Any:
    """A spinal lesion "Lesion 1" in vertebra V1 of :func:`_with_vertebrae`; returns the anatomy finder."""
    vol = _with_vertebrae(win)
    centre = vol.index_to_lps_points(np.array([[10.0, 20.0, 20.0]]))[0]
    target = Target(
        "Lesion 1",
        kind=TargetKind.SPINE,
        vertebra_lps=tuple(float(v) for v in centre),
        extra={"vertebra": "v1"},
    )
    win.case.push(AddTarget(target))
    return win.planning_ui.controller.anatomy_finder


def test_a_vertebra_search_cancelled_says_cancelled(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    finder = _lesion_on_v1(win)
    assert finder.request("Lesion 1")
    finder.shutdown()  # as the window does when it closes
    status = win.statusBar()
    qtbot.waitUntil(lambda: "Lesion 1" in status.currentMessage() and "…" not in status.currentMessage())
    message = status.currentMessage()
    assert message == "Finding the vertebra of Lesion 1 was cancelled"
    assert finder.failure("Lesion 1") is None  # cancelled, not a failure
    win.case.undo_stack.setClean()


def test_no_vertebra_search_starts_once_the_window_closes(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    # QA s17 V item C: the cancelled search's end refreshed the docks, which asked again; that search's
    # thread outlived the window and the process aborted at exit ("QThread: Destroyed while thread is
    # still running"). And its "Finding the vertebra of ..." replaced the figures just said.
    win = window
    finder = _lesion_on_v1(win)
    win.segmentation.jobs.say("Vertebra V1: body 2.0 mL, posterior wall intact.")
    assert finder.request("Lesion 1")
    assert win.statusBar().currentMessage() == "Vertebra V1: body 2.0 mL, posterior wall intact."
    finder.shutdown()  # as the window does when it closes
    qtbot.waitUntil(lambda: not finder.pending("Lesion 1"))
    qtbot.wait(50)  # the cancelled search's end reaches the docks
    assert not finder.request("Lesion 1") and not finder.request_if_new("Lesion 1")
    assert not finder.pending("Lesion 1")
    win.case.undo_stack.setClean()
