"""The Lesions dock's changes to the case: delete, rename, name the level, choose the type, dismiss the
segmentation's warnings.

Each is one undo step on the case's stack (a macro where a lesion's target and its layer change
together). A refusal (a name taken, a text that is not a level, a lesion whose level is its vertebra's)
is said to the operator through ``say`` in plain words and changes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from app.case_controller import CaseController
from app.segmentation.lesion_cells import tied_to_vertebra
from planning.commands import RemoveLayer, RemoveTarget, RenameLayer, UpdateTarget
from planning.errors import PlanValidationError
from planning.lesion_extra import WARNINGS_DISMISSED_KEY, WARNINGS_KEY
from planning.model import LesionType, TargetKind
from planning.sins import parse_level

Say = Callable[[str], None]


def delete_lesion(case_ctl: CaseController, name: str, say: Say | None = None) -> None:
    """Remove a lesion's target and its layer (one undo step); ``say`` is told it was done (it replaces
    a refusal said before, which would otherwise stay on screen as if still current)."""
    target = case_ctl.case.targets.get(name)
    if target is None:
        return
    stack = case_ctl.undo_stack
    stack.beginMacro(f"Delete lesion {name}")
    try:
        case_ctl.push(RemoveTarget(name))
        if target.lesion_layer in case_ctl.case.layers:
            case_ctl.push(RemoveLayer(target.lesion_layer))
    finally:
        stack.endMacro()
    if say is not None:
        say(f"Deleted {name} (Undo brings it back).")


def rename_lesion(case_ctl: CaseController, say: Say, old: str, new: str) -> bool:
    """Rename a lesion's target and layer together (one undo step); False when refused."""
    new = new.strip()
    case = case_ctl.case
    target = case.targets.get(old)
    if target is None or new == old:
        return False
    if not new:
        say(f"{old} keeps its name: a lesion needs a name (the name typed was empty).")
        return False
    layer_name = target.lesion_layer
    if new in case.targets or (new in case.layers and new != layer_name):
        say(f"A lesion or layer named {new!r} exists already.")
        return False
    stack = case_ctl.undo_stack
    stack.beginMacro(f"Rename lesion {old} to {new}")
    try:
        case_ctl.push(UpdateTarget(old, dataclasses.replace(target, name=new)))
        if layer_name in case.layers and layer_name != new:
            case_ctl.push(RenameLayer(layer_name, new))
    finally:
        stack.endMacro()
    say(f"Renamed {old} to {new}.")  # replaces a refusal said before
    return True


def set_lesion_level(case_ctl: CaseController, say: Say, name: str, text: str) -> bool:
    """Name the vertebral level of a lesion not tied to a found vertebra (one undo step).

    A level ("T1", "l3") makes it a spinal lesion (SINS, the spinal cement series); an empty text an
    extraspinal one. False, with a message, when the text is not a level or the lesion is tied to a
    vertebra (whose level is named in the Vertebrae dock).
    """
    target = case_ctl.case.targets.get(name)
    if target is None:
        return False
    text = text.strip().replace("—", "")
    if tied_to_vertebra(target):
        say(f"{name} lies in a vertebra found with the Vertebra tool: name its level in the Vertebrae dock.")
        return False
    if not text:
        new = dataclasses.replace(target, kind=TargetKind.EXTRASPINAL, level="")
    else:
        try:
            region, number = parse_level(text)
        except PlanValidationError:
            say(f"{text!r} is not a vertebral level: give C1-C7, T1-T12, L1-L5 or S1-S5.")
            return False
        level = "occiput" if number == 0 else f"{region}{number}"
        new = dataclasses.replace(target, kind=TargetKind.SPINE, level=level)
    if new != target:
        # named for what it does in Edit > Undo (QA s31 C: "Undo Change target Lesion 1" before)
        command = UpdateTarget(name, new)
        command.text = f"Set the level of {name} to {new.level}" if new.level else f"Make {name} extraspinal"
        case_ctl.push(command)
    where = f"spinal, level {new.level}" if new.level else "extraspinal"
    say(f"{name}: {where}.")  # replaces a refusal said before
    return True


def choose_type(case_ctl: CaseController, name: str, value: str) -> None:
    """The operator's type for a lesion (overrides the measured one; one undo step when it changes)."""
    target = case_ctl.case.targets.get(name)
    if target is None:
        return
    chosen = LesionType(value)
    if chosen != target.lesion_type:
        command = UpdateTarget(name, dataclasses.replace(target, lesion_type=chosen))
        command.text = f"Set the type of {name} to {chosen.value}"
        case_ctl.push(command)


def dismiss_warnings(case_ctl: CaseController, name: str, say: Say | None = None) -> bool:
    """The operator has dealt with the segmentation's warnings of lesion ``name``: they are no longer shown
    (kept in the name's tooltip; one undo step brings them back). False when it has none shown."""
    target = case_ctl.case.targets.get(name)
    if target is None or not target.extra.get(WARNINGS_KEY) or target.extra.get(WARNINGS_DISMISSED_KEY):
        return False
    extra = {**target.extra, WARNINGS_DISMISSED_KEY: True}
    command = UpdateTarget(name, dataclasses.replace(target, extra=extra))
    command.text = f"Dismiss the warnings of {name}"
    case_ctl.push(command)
    if say is not None:
        say(f"Dismissed the segmentation's warnings of {name} (Undo brings them back).")
    return True
