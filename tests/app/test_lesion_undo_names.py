"""Edit > Undo names what a change to a lesion did: its level, its type, its warnings dismissed (QA s31 C).

On ab7d7e8 each of these was one undo step named "Change target Lesion 1" (the status bar: "Undone: Change
target Lesion 1."), which does not say what will be taken back; strokes, renames and recolours were
named for what they do. Phantom: the lytic sphere of tests/phantoms/lesion.py, clicked with the Lesion tool.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from app.segmentation.lesion_edits import choose_type, dismiss_warnings
from planning.commands import UpdateTarget
from planning.lesion_extra import WARNINGS_DISMISSED_KEY, WARNINGS_KEY
from planning.model import LesionType
from tests.app.test_segmentation_tools import click_lesion, loaded, lytic

__all__ = ["loaded", "lytic"]  # fixtures used here by name


def test_level_type_and_dismiss_are_named_in_the_undo_menu(loaded: Any, qtbot: Any, lytic: Any) -> None:
    win = loaded
    case = win.case
    stack = case.undo_stack
    panel = click_lesion(win, qtbot, lytic.seed_lps)

    assert panel.set_level("Lesion 1", "t12")
    assert stack.undoText() == "Set the level of Lesion 1 to T12"
    assert panel.set_level("Lesion 1", "")
    assert stack.undoText() == "Make Lesion 1 extraspinal"

    choose_type(case, "Lesion 1", LesionType.BLASTIC.value)
    assert stack.undoText() == "Set the type of Lesion 1 to blastic"
    assert case.case.targets["Lesion 1"].lesion_type == LesionType.BLASTIC

    # a warning to dismiss, as segmentation keeps one (the phantom's sphere gives none)
    target = case.case.targets["Lesion 1"]
    extra = {**target.extra, WARNINGS_KEY: "The lesion reaches the edge of the scan"}
    case.push(UpdateTarget("Lesion 1", dataclasses.replace(target, extra=extra)))
    assert dismiss_warnings(case, "Lesion 1")
    assert stack.undoText() == "Dismiss the warnings of Lesion 1"
    assert case.case.targets["Lesion 1"].extra.get(WARNINGS_DISMISSED_KEY)

    # each is one step: the dismissal is undone alone
    stack.undo()
    assert not case.case.targets["Lesion 1"].extra.get(WARNINGS_DISMISSED_KEY)
    assert case.case.targets["Lesion 1"].lesion_type == LesionType.BLASTIC
    stack.setClean()
