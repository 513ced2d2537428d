"""Undoable commands on a Case (no Qt); the pure-Python undo stack is :mod:`planning.history`.

Positions LPS mm; masks on their layer's grid, boxes given by ``offset_index`` ([slice, row, col]).

API summary
-----------
``Command`` (abstract): ``text`` (for the Undo menu), ``do(case)`` (also redo), ``undo(case)``,
``merge(other) -> bool`` (absorb ``other``, already done, into self: a drag becomes one step),
``is_obsolete()`` (True when it turned out to change nothing: History drops it), ``merge_key``.
Commands are independent of ``History``; the GUI wraps them in a QUndoCommand (``redo`` -> ``do``,
``mergeWith`` -> ``merge``, ``id`` from ``merge_key``, ``setObsolete(is_obsolete())``).

A command that refuses (``CaseItemError`` for an unknown or duplicate name, ``PlanValidationError`` or
``ValueError`` for a bad value) raises from ``do`` before changing anything.

Mergeable commands take an id chosen by the caller (``drag_id`` / ``stroke_id`` / ``merge_id``):
give a new one on mouse press and the same one for every move of that drag; ``None`` never merges.

Layers:        AddLayer(layer, index=None), RemoveLayer(name), RenameLayer(old, new) (also renames
               references in targets and forbidden structures), RecolorLayer(name, rgb),
               EditMask(name, new_mask, stroke_id=None) / EditMask.patch(name, offset_index, after_box,
               stroke_id=None) -- store only the changed box before/after (``nbytes``).
Targets:       AddTarget(target), RemoveTarget(name) (also its trajectories, cement and scores),
               UpdateTarget(name, target) (a new name renames the references too).
Trajectories:  AddTrajectory, RemoveTrajectory(name), UpdateTrajectory(name, traj, merge_id=None,
               previous=None) (named after what changed when ``previous`` is given),
               MoveTrajectoryEntry(name, entry_lps, drag_id=None), MoveTrajectoryTarget(name, target_lps,
               drag_id=None).
Others:        AddImage, RemoveImage(series_uid), SetInfo(info), SetSettings(settings, merge_id=None),
               SetReview(review | None), SetCementChoice(target, choice | None),
               SetScoreItems(target, items | None), AddForbidden, RemoveForbidden(name);
               generic AddItem / RemoveItem / ReplaceItem / PutItem / MoveItem (reorder, e.g.
               layers) on any ``Section``.
History:       :class:`planning.history.History` runs these commands without Qt (undo, redo, macros).

Layout:        this module holds the target, trajectory and single-value commands and is the import
               point for all commands; the protocol and generic commands live in :mod:`planning.command_base`,
               the layer and mask-edit commands in :mod:`planning.layer_commands`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from typing import Any

from planning.case import Case, CaseItemError, Section
from planning.command_base import (
    AddItem,
    Command,
    CompoundCommand,
    MacroCommand,
    MoveItem,
    PutItem,
    RemoveItem,
    ReplaceItem,
    SetSingleCommand,
    get_item,
)
from planning.layer_commands import (
    AddLayer,
    EditMask,
    MaskPatch,
    RecolorLayer,
    RemoveLayer,
    RenameLayer,
    StrokeEnd,
    apply_box,
    apply_boxes,
)
from planning.model import (
    CaseInfo,
    CementChoice,
    ForbiddenStructure,
    ImageRef,
    PlanSettings,
    Point,
    ReviewResult,
    ScoreItems,
    Target,
    Trajectory,
    as_point,
    read_box,
)


# ===================================================================================== targets
class AddTarget(AddItem):
    """Add a target."""

    def __init__(self, target: Target, index: int | None = None) -> None:
        super().__init__(Section.TARGETS, target, index, text=f"Add target {target.name}")


class RemoveTarget(CompoundCommand):
    """Remove a target with its trajectories, cement choice and score items."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Remove target {name}")
        self.name = name

    def _plan(self, case: Case) -> list[Command]:
        get_item(case, Section.TARGETS, self.name)
        out: list[Command] = [
            RemoveItem(Section.TRAJECTORIES, t.name) for t in case.trajectories_of(self.name)
        ]
        if self.name in case.cement:
            out.append(RemoveItem(Section.CEMENT, self.name))
        if self.name in case.scores:
            out.append(RemoveItem(Section.SCORES, self.name))
        out.append(RemoveItem(Section.TARGETS, self.name))
        return out


class UpdateTarget(CompoundCommand):
    """Replace a target's values; a new name also renames its trajectories', cement and score references."""

    def __init__(self, name: str, target: Target) -> None:
        super().__init__(f"Change target {name}")
        self.name = name
        self.target = target

    def _plan(self, case: Case) -> list[Command]:
        get_item(case, Section.TARGETS, self.name)
        new = self.target.name
        out: list[Command] = [ReplaceItem(Section.TARGETS, self.name, self.target)]
        if new != self.name:
            if new in case.targets:
                raise CaseItemError(Section.TARGETS, new, "an item with this name already exists")
            for t in case.trajectories_of(self.name):
                out.append(ReplaceItem(Section.TRAJECTORIES, t.name, dataclasses.replace(t, target=new)))
            if self.name in case.cement:
                out.append(
                    ReplaceItem(
                        Section.CEMENT, self.name, dataclasses.replace(case.cement[self.name], target=new)
                    )
                )
            if self.name in case.scores:
                out.append(
                    ReplaceItem(
                        Section.SCORES, self.name, dataclasses.replace(case.scores[self.name], target=new)
                    )
                )
        return out


# ===================================================================================== trajectories
class AddTrajectory(AddItem):
    """Add a trajectory (its target should exist; the case does not enforce it)."""

    def __init__(self, trajectory: Trajectory, index: int | None = None) -> None:
        super().__init__(Section.TRAJECTORIES, trajectory, index, text=f"Add trajectory {trajectory.name}")


class RemoveTrajectory(RemoveItem):
    """Remove a trajectory."""

    def __init__(self, name: str) -> None:
        super().__init__(Section.TRAJECTORIES, name, text=f"Remove trajectory {name}")


#: what the undo step names when one of these values of a needle changed (with the new value)
_TRAJECTORY_CHOICES: dict[str, str] = {
    "needle_gauge": "needle gauge",
    "needle_length_mm": "needle length",
    "antenna_gauge": "antenna gauge",
    "antenna_extension_mm": "antenna extension",
    "ablation_positions_mm": "antenna positions",
    "ablation": "ablation zone",
    "entry_lps": "entry",
    "target_lps": "tip",
    "approach": "approach",
    "target": "target",
    "extra": "notes",
}


def _choice_value(key: str, value: Any) -> str:
    if key in {"needle_gauge", "antenna_gauge"}:
        return f" to {value} G"
    if key in {"needle_length_mm", "antenna_extension_mm"}:
        return f" to {value:g} mm"
    if key == "ablation_positions_mm":
        return " to " + ", ".join(f"{v:g}" for v in value) + " mm"
    return ""


def trajectory_change_text(old: Trajectory, new: Trajectory) -> str:
    """The undo step's name for a needle changed from ``old`` to ``new``: what changed, and to what for a
    single figure ("Set antenna extension of T9 needle 1 to 25 mm"; "Change T9 needle 1: needle gauge,
    antenna extension" for several). The Undo menu and the status bar's "Undone: ..." read it."""
    changed = [label for key, label in _TRAJECTORY_CHOICES.items() if getattr(old, key) != getattr(new, key)]
    if len(changed) == 1:
        key = next(k for k, label in _TRAJECTORY_CHOICES.items() if label == changed[0])
        if key == "target_lps":
            return f"Move tip of {old.name}"
        if key == "entry_lps":
            return f"Move entry of {old.name}"
        return f"Set {changed[0]} of {old.name}{_choice_value(key, getattr(new, key))}"
    if changed:
        return f"Change {old.name}: {', '.join(changed)}"
    return f"Change trajectory {old.name}"


class UpdateTrajectory(ReplaceItem):
    """Replace a trajectory's values (mergeable with the same ``merge_id``). With ``previous`` (the
    trajectory it replaces) the step is named after what changed (:func:`trajectory_change_text`)."""

    def __init__(
        self,
        name: str,
        trajectory: Trajectory,
        *,
        merge_id: Hashable | None = None,
        previous: Trajectory | None = None,
    ) -> None:
        text = (
            f"Change trajectory {name}" if previous is None else trajectory_change_text(previous, trajectory)
        )
        super().__init__(Section.TRAJECTORIES, name, trajectory, merge_id=merge_id, text=text)


class MoveTrajectoryEntry(ReplaceItem):
    """Move a trajectory's entry point (LPS mm); moves of one drag (same ``drag_id``) merge."""

    def __init__(self, name: str, entry_lps: Sequence[float], *, drag_id: Hashable | None = None) -> None:
        self._point: Point = as_point(entry_lps, "entry_lps")
        super().__init__(Section.TRAJECTORIES, name, None, merge_id=drag_id, text=f"Move entry of {name}")

    def _compute_new(self, case: Case, old: Any) -> Any:
        return dataclasses.replace(old, entry_lps=self._point)


class MoveTrajectoryTarget(ReplaceItem):
    """Move a trajectory's needle tip (LPS mm); moves of one drag (same ``drag_id``) merge."""

    def __init__(self, name: str, target_lps: Sequence[float], *, drag_id: Hashable | None = None) -> None:
        self._point: Point = as_point(target_lps, "target_lps")
        super().__init__(Section.TRAJECTORIES, name, None, merge_id=drag_id, text=f"Move tip of {name}")

    def _compute_new(self, case: Case, old: Any) -> Any:
        return dataclasses.replace(old, target_lps=self._point)


# ===================================================================================== the rest
class AddImage(AddItem):
    """Refer to a volume."""

    def __init__(self, image: ImageRef) -> None:
        super().__init__(Section.IMAGES, image, text="Add image")


class RemoveImage(RemoveItem):
    """Drop the reference to a volume."""

    def __init__(self, series_uid: str) -> None:
        super().__init__(Section.IMAGES, series_uid, text="Remove image")


class AddForbidden(AddItem):
    """Add a forbidden structure."""

    def __init__(self, structure: ForbiddenStructure) -> None:
        super().__init__(Section.FORBIDDEN, structure, text=f"Add forbidden {structure.name}")


class RemoveForbidden(RemoveItem):
    """Remove a forbidden structure."""

    def __init__(self, name: str) -> None:
        super().__init__(Section.FORBIDDEN, name, text=f"Remove forbidden {name}")


class SetCementChoice(PutItem):
    """Set (or clear with None) the cement choices of a target."""

    def __init__(self, target: str, choice: CementChoice | None) -> None:
        super().__init__(Section.CEMENT, target, choice, text=f"Cement choices of {target}")


class SetScoreItems(PutItem):
    """Set (or clear with None) the score items chosen for a target."""

    def __init__(self, target: str, items: ScoreItems | None) -> None:
        super().__init__(Section.SCORES, target, items, text=f"Score items of {target}")


class SetInfo(SetSingleCommand):
    """Set the case identity and status."""

    _setter, _getter = "set_info", "info"

    def __init__(self, info: CaseInfo, *, merge_id: Hashable | None = None) -> None:
        super().__init__(info, merge_id=merge_id, text="Set case details")


class SetSettings(SetSingleCommand):
    """Set the plan settings (a slider drag merges with one ``merge_id``)."""

    _setter, _getter = "set_settings", "settings"

    def __init__(self, settings: PlanSettings, *, merge_id: Hashable | None = None) -> None:
        super().__init__(settings, merge_id=merge_id, text="Set plan settings")


class SetReview(SetSingleCommand):
    """Set or clear the review values."""

    _setter, _getter = "set_review", "review"

    def __init__(self, review: ReviewResult | None) -> None:
        super().__init__(review, text="Set review")


__all__ = [
    "AddForbidden",
    "AddImage",
    "AddItem",
    "AddLayer",
    "AddTarget",
    "AddTrajectory",
    "Command",
    "EditMask",
    "MacroCommand",
    "MaskPatch",
    "MoveItem",
    "MoveTrajectoryEntry",
    "MoveTrajectoryTarget",
    "PutItem",
    "RecolorLayer",
    "RemoveForbidden",
    "RemoveImage",
    "RemoveItem",
    "RemoveLayer",
    "RemoveTarget",
    "RemoveTrajectory",
    "RenameLayer",
    "ReplaceItem",
    "SetCementChoice",
    "SetInfo",
    "SetReview",
    "SetScoreItems",
    "SetSettings",
    "StrokeEnd",
    "UpdateTarget",
    "UpdateTrajectory",
    "apply_box",
    "apply_boxes",
    "read_box",
]
