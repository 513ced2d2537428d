"""The Lesions dock's edits of the case (app.segmentation.lesion_edits): naming a lesion's level, its
refusals, and each edit as one undo step."""

from __future__ import annotations

from typing import Any

from app.segmentation.lesion_edits import choose_type, rename_lesion, set_lesion_level
from planning.commands import AddTarget
from planning.model import LesionType, Target, TargetKind


def _case_with(window: Any, *targets: Target) -> Any:
    for target in targets:
        window.case.push(AddTarget(target))
    return window.case


def test_a_typed_level_makes_the_lesion_spinal_and_an_empty_one_extraspinal(window: Any) -> None:
    said: list[str] = []
    ctl = _case_with(window, Target("Lesion 1", kind=TargetKind.EXTRASPINAL))
    steps = ctl.undo_stack.count()
    assert set_lesion_level(ctl, said.append, "Lesion 1", " t11 ")
    target = ctl.case.targets["Lesion 1"]
    assert (target.kind, target.level) == (TargetKind.SPINE, "T11")
    assert said[-1] == "Lesion 1: spinal, level T11."
    assert set_lesion_level(ctl, said.append, "Lesion 1", "—")  # the empty cell's dash
    target = ctl.case.targets["Lesion 1"]
    assert (target.kind, target.level) == (TargetKind.EXTRASPINAL, "")
    assert ctl.undo_stack.count() == steps + 2
    ctl.undo_stack.undo()
    assert ctl.case.targets["Lesion 1"].level == "T11"
    ctl.undo_stack.setClean()


def test_a_text_that_is_no_level_or_a_lesion_in_a_found_vertebra_is_refused(window: Any) -> None:
    said: list[str] = []
    ctl = _case_with(
        window,
        Target("Lesion 1", kind=TargetKind.EXTRASPINAL),
        Target("Lesion 2", level="L2", vertebra_lps=(0.0, 0.0, 0.0)),
    )
    steps = ctl.undo_stack.count()
    assert not set_lesion_level(ctl, said.append, "Lesion 1", "L7")
    assert "'L7' is not a vertebral level" in said[-1]
    assert not set_lesion_level(ctl, said.append, "Lesion 2", "L3")
    assert "Vertebrae dock" in said[-1]
    assert ctl.case.targets["Lesion 2"].level == "L2" and ctl.undo_stack.count() == steps
    ctl.undo_stack.setClean()


def test_rename_refuses_a_taken_name_and_type_choice_is_one_step(window: Any) -> None:
    said: list[str] = []
    ctl = _case_with(window, Target("Lesion 1"), Target("Lesion 2"))
    steps = ctl.undo_stack.count()
    assert not rename_lesion(ctl, said.append, "Lesion 1", "Lesion 2")
    assert said[-1] == "A lesion or layer named 'Lesion 2' exists already."
    choose_type(ctl, "Lesion 1", "blastic")
    choose_type(ctl, "Lesion 1", "blastic")  # unchanged: no second step
    assert ctl.case.targets["Lesion 1"].lesion_type == LesionType.BLASTIC
    assert ctl.undo_stack.count() == steps + 1
    ctl.undo_stack.setClean()
