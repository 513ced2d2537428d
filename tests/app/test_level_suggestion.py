"""Level suggestions from anatomy in the Vertebrae dock: shown with their reason, accepted undoably.

The spine phantom (tests/phantoms/rib_spine.py) has ribs on T11 and T12 and none on L1-L5. Run under Xvfb
(see tests/app/test_segmentation_tools.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.app.test_segmentation_tools import (
    mask_at,
    pytestmark,  # noqa: F401  (gui marker and display check)
    wait_job,
)
from tests.phantoms.rib_spine import RibSpinePhantom, make_rib_spine_phantom


@pytest.fixture(scope="module")
def spine() -> RibSpinePhantom:
    return make_rib_spine_phantom(levels=("T11", "T12", "L1", "L2"), seed=7)


def test_suggestion_shown_and_accepted(
    window: Any, qtbot: Any, no_dialogs: Any, spine: RibSpinePhantom
) -> None:
    win = window
    seg = win.segmentation
    panel = seg.vertebra_panel
    win.opener.show_volume(spine.volume)
    for level in ("T12", "L1"):
        seg.find_vertebra_at(np.asarray(spine.center(level)))
        wait_job(win, qtbot)
    case = win.case.case
    assert {"V1 body", "V2 body"} <= set(case.layers)
    assert mask_at(case.layers["V1 body"].mask, spine.volume, spine.center("T12"))
    # before any naming: anatomy suggests T12 for the rib-bearing vertebra above the rib-less one
    assert panel.suggestion_text().startswith("Anatomy suggests T12 for V1: lowest vertebra with ribs")
    assert "left and right" in panel.suggestion_text()
    assert panel.accept_button.isEnabled()
    assert "suggested T12" in panel.list.item(0).text()

    # the operator names V1 "L1" (one off): the labels follow the operator, the suggestion warns
    panel.select("v1")
    assert panel.name_selected("L1")
    assert "L1 body" in case.layers and "L2 body" in case.layers
    assert mask_at(case.layers["L1 body"].mask, spine.volume, spine.center("T12"))
    text = panel.suggestion_text()
    assert "Anatomy suggests T12 for L1" in text and "Warning:" in text and "transitional" in text
    steps = win.case.undo_stack.count()

    # accepting renames by counting from the suggestion, as one undo step
    assert panel.accept_suggestion()
    assert win.case.undo_stack.count() == steps + 1
    assert mask_at(case.layers["T12 body"].mask, spine.volume, spine.center("T12"))
    assert mask_at(case.layers["L1 body"].mask, spine.volume, spine.center("L1"))
    assert case.layers["T12 body"].extra["level"] == "T12"
    assert "Warning" not in panel.suggestion_text() and not panel.accept_button.isEnabled()
    # applied: no longer offered ("Anatomy suggests T12 for T12" stayed shown), nor in the list
    assert panel.suggestion_text() == ""
    assert not any("suggested" in panel.list.item(i).text() for i in range(panel.list.count()))
    win.case.undo_stack.undo()
    assert mask_at(case.layers["L1 body"].mask, spine.volume, spine.center("T12"))
    assert "T12 body" not in case.layers


def test_ribs_are_judged_in_the_worker_not_the_gui_thread(
    window: Any, qtbot: Any, no_dialogs: Any, spine: RibSpinePhantom, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import app.segmentation.vertebra_tool as tool

    threads: list[str] = []
    real = tool.has_ribs

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(tool, "has_ribs", spy)
    win = window
    win.opener.show_volume(spine.volume)
    for level in ("T12", "L1"):
        win.segmentation.find_vertebra_at(np.asarray(spine.center(level)))
        wait_job(win, qtbot)
    assert len(threads) == 2  # once per vertebra, then cached
    assert threading.main_thread().name not in threads
    assert win.segmentation.vertebra_panel.suggestion_text().startswith("Anatomy suggests T12 for V1")


def test_a_click_on_the_sacrum_is_refused_with_the_s1_suggestion(
    window: Any, qtbot: Any, no_dialogs: Any, spine: RibSpinePhantom
) -> None:
    win = window
    win.opener.show_volume(spine.volume)
    win.segmentation.find_vertebra_at(np.asarray(spine.center("S1")))
    wait_job(win, qtbot)
    message = win.segmentation.jobs.last_message
    assert "no vertebra" in message and "anatomy suggests S1" in message, message
    assert "L5" in message
    assert not any(name.endswith("body") for name in win.case.case.layers)


def test_a_bad_level_name_gets_a_plain_message(
    window: Any, qtbot: Any, no_dialogs: Any, spine: RibSpinePhantom
) -> None:
    win = window
    panel = win.segmentation.vertebra_panel
    win.opener.show_volume(spine.volume)
    win.segmentation.find_vertebra_at(np.asarray(spine.center("L1")))
    wait_job(win, qtbot)
    layers = set(win.case.case.layers)
    steps = win.case.undo_stack.count()
    panel.select("v1")
    assert not panel.name_selected("XYZ")
    assert panel.notes.text() == "XYZ is not a vertebral level: type C1-C7, T1-T12, L1-L5 or S1."
    assert not panel.name_selected("  ")
    assert panel.notes.text() == "No level typed: type C1-C7, T1-T12, L1-L5 or S1."
    # nothing was renamed, nothing entered the undo history
    assert set(win.case.case.layers) == layers and win.case.undo_stack.count() == steps
    assert panel.name_selected("l1") and panel.notes.text().startswith("Named L1.")


def test_a_level_its_ribs_contradict_is_warned_under_the_list(
    window: Any, qtbot: Any, no_dialogs: Any, spine: RibSpinePhantom
) -> None:
    """Session 19 QA F8: L1 named "T12" was taken without a word when T12 itself was not found (the
    suggestion's warning needs the rib-bearing vertebra in the case). Now the line under the list says
    the ribs contradict the name; the right name says nothing."""
    win = window
    panel = win.segmentation.vertebra_panel
    win.opener.show_volume(spine.volume)
    win.segmentation.find_vertebra_at(np.asarray(spine.center("L1")))  # alone: no T12 in the case
    wait_job(win, qtbot)
    panel.select("v1")
    assert panel.name_selected("T12")
    said = panel.level_notes_text()
    assert "T12: this vertebra is named T12 but no ribs were found on it" in said, said
    assert panel.name_selected("L1")
    assert "ribs" not in panel.level_notes_text()
    # the rib-bearing T12 found and named L1 (the other one renumbered L2 by counting): warned too
    win.segmentation.find_vertebra_at(np.asarray(spine.center("T12")))
    wait_job(win, qtbot)
    panel.select("v2")
    assert panel.name_selected("L1")
    said = panel.level_notes_text()
    assert "named L1 but ribs were found on both sides of it" in said, said
    win.case.undo_stack.setClean()


def test_the_level_facts_of_a_row_are_in_view_before_the_parts_found(
    window: Any, qtbot: Any, no_dialogs: Any, spine: RibSpinePhantom
) -> None:
    """Session 21 QA: each row read "V1   unnamed (body, canal, canal tube, posterior wall, pedicle left,
    ...)   suggested T12": on the dock's width the suggestion (and "about L3 by distance?") lay beyond
    the row's visible end, behind the list of parts. The level facts now come first, and the whole row
    is the item's tooltip."""
    win = window
    panel = win.segmentation.vertebra_panel
    win.opener.show_volume(spine.volume)
    for level in ("T12", "L1"):
        win.segmentation.find_vertebra_at(np.asarray(spine.center(level)))
        wait_job(win, qtbot)
    qtbot.wait(50)
    rows = [panel.list.item(i) for i in range(panel.list.count())]
    row = next(r for r in rows if "suggested T12" in r.text())
    text = row.text()
    shown = text[: text.index("suggested T12") + len("suggested T12")]
    # the row's visible width: the list's viewport (the rows are drawn from its left edge, unscrolled)
    assert panel.list.horizontalScrollBar().value() == 0
    assert panel.list.fontMetrics().horizontalAdvance(shown) < panel.list.viewport().width(), text
    assert text.startswith("V1   unnamed   suggested T12   (body")
    assert row.toolTip() == text
    win.case.undo_stack.setClean()
