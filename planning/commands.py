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
Trajectories:  AddTrajectory, RemoveTrajectory(name), UpdateTrajectory(name, traj, merge_id=None),
               MoveTrajectoryEntry(name, entry_lps, drag_id=None), MoveTrajectoryTarget(name, target_lps,
               drag_id=None).
Others:        AddImage, RemoveImage(series_uid), SetInfo(info), SetSettings(settings, merge_id=None),
               SetReview(review | None), SetCementChoice(target, choice | None),
               SetScoreItems(target, items | None), AddForbidden, RemoveForbidden(name);
               generic AddItem / RemoveItem / ReplaceItem / PutItem / MoveItem (reorder, e.g.
               layers) on any ``Section``.
History:       :class:`planning.history.History` runs these commands without Qt (undo, redo, macros).
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from planning.case import Case, CaseItemError, Section
from planning.model import (
    CaseInfo,
    CementChoice,
    ForbiddenStructure,
    ImageRef,
    MaskLayer,
    PlanSettings,
    Point,
    ReviewResult,
    ScoreItems,
    Target,
    Trajectory,
    as_point,
    read_box,
)

BoolArray = npt.NDArray[np.bool_]


# ===================================================================================== base classes
class Command(ABC):
    """One undoable user change. ``do`` is also the redo; a command is done before it is merged."""

    text: str = ""

    @abstractmethod
    def do(self, case: Case) -> None:
        """Apply the change (first time and redo)."""

    @abstractmethod
    def undo(self, case: Case) -> None:
        """Revert exactly what ``do`` changed."""

    @property
    def merge_key(self) -> Hashable | None:
        """Commands with equal non-None keys may merge (the GUI's QUndoCommand.id)."""
        return None

    def merge(self, other: Command) -> bool:
        """Absorb ``other`` (done after self) so that both undo as one step; False if impossible."""
        return False

    def is_obsolete(self) -> bool:
        """True when the command changes nothing (History then drops it)."""
        return False


class AddItem(Command):
    """Add an item to a keyed section (at ``index``, default last)."""

    def __init__(self, section: Section | str, item: Any, index: int | None = None, text: str = "") -> None:
        self.section = Section(section)
        self.item = item
        self.index = index
        self.text = (
            text or f"Add {self.section.value[:-1] if self.section.value.endswith('s') else ''}".strip()
        )

    def do(self, case: Case) -> None:
        case.add(self.section, self.item, self.index)

    def undo(self, case: Case) -> None:
        case.remove(self.section, _key_of(self.section, self.item))


class RemoveItem(Command):
    """Remove an item from a keyed section (undo puts it back at its position)."""

    def __init__(self, section: Section | str, key: str, text: str = "") -> None:
        self.section = Section(section)
        self.key = key
        self.text = text or f"Remove {key}"
        self._removed: tuple[Any, int] | None = None

    def do(self, case: Case) -> None:
        self._removed = case.remove(self.section, self.key)

    def undo(self, case: Case) -> None:
        if self._removed is None:
            raise RuntimeError("undo of a command that was not done")
        item, index = self._removed
        case.add(self.section, item, index)


class ReplaceItem(Command):
    """Replace item ``key`` by ``item`` (possibly renaming it). Mergeable with an equal ``merge_id``."""

    def __init__(
        self, section: Section | str, key: str, item: Any, *, merge_id: Hashable | None = None, text: str = ""
    ) -> None:
        self.section = Section(section)
        self.key = key
        self._new = item
        self._old: Any = None
        self.merge_id = merge_id
        self.text = text or f"Change {key}"

    @property
    def new_key(self) -> str:
        """The key of the item after the change."""
        return _key_of(self.section, self._new)

    def _compute_new(self, case: Case, old: Any) -> Any:
        return self._new

    def do(self, case: Case) -> None:
        current = case.section(self.section).get(self.key)
        if current is None:
            raise CaseItemError(self.section, self.key, "no such item")
        if self._old is None:
            new = self._compute_new(case, current)  # may refuse (ValueError): nothing changed yet
            self._old, self._new = current, new
        case.replace(self.section, self.key, self._new)

    def undo(self, case: Case) -> None:
        case.replace(self.section, self.new_key, self._old)

    @property
    def merge_key(self) -> Hashable | None:
        if self.merge_id is None:
            return None
        return (type(self).__name__, self.section.value, self.merge_id)

    def merge(self, other: Command) -> bool:
        if (
            type(other) is not type(self)
            or self.merge_key is None
            or other.merge_key != self.merge_key
            or not isinstance(other, ReplaceItem)
            or other.key != self.new_key
            or other._old is None
            or other._old != self._new
        ):
            return False
        self._new = other._new
        return True

    def is_obsolete(self) -> bool:
        return self._old is not None and self._old == self._new


class MoveItem(Command):
    """Move an item to another position in its section (e.g. a layer's drawing order)."""

    def __init__(self, section: Section | str, key: str, index: int, text: str = "") -> None:
        self.section = Section(section)
        self.key = key
        self.index = index
        self.text = text or f"Reorder {key}"
        self._old_index: int | None = None
        self._changed = False

    def do(self, case: Case) -> None:
        old = case.index_of(self.section, self.key)
        first = self._old_index is None
        if first:
            self._old_index = old
        changed = case.move(self.section, self.key, self.index)
        if first:
            self._changed = changed

    def undo(self, case: Case) -> None:
        if self._old_index is None:
            raise RuntimeError("undo of a command that was not done")
        case.move(self.section, self.key, self._old_index)

    def is_obsolete(self) -> bool:
        return self._old_index is not None and not self._changed


class PutItem(Command):
    """Set (add or replace) or clear (``item`` None) the item with key ``key``."""

    def __init__(self, section: Section | str, key: str, item: Any | None, text: str = "") -> None:
        self.section = Section(section)
        self.key = key
        self.item = item
        if item is not None and _key_of(self.section, item) != key:
            raise ValueError(f'Argument "item" must have key "{key}", got "{_key_of(self.section, item)}"')
        self.text = text or f"Set {self.section.value} of {key}"
        self._before: tuple[Any, int] | None = None
        self._done_once = False

    def do(self, case: Case) -> None:
        data = case.section(self.section)
        if not self._done_once:
            self._before = (
                (data[self.key], case.index_of(self.section, self.key)) if self.key in data else None
            )
            self._done_once = True
        if self.item is None:
            if self.key in data:
                case.remove(self.section, self.key)
        elif self.key in data:
            case.replace(self.section, self.key, self.item)
        else:
            case.add(self.section, self.item)

    def undo(self, case: Case) -> None:
        data = case.section(self.section)
        if self._before is None:
            if self.key in data:
                case.remove(self.section, self.key)
            return
        old, index = self._before
        if self.key in data:
            case.replace(self.section, self.key, old)
        else:
            case.add(self.section, old, index)

    def is_obsolete(self) -> bool:
        if not self._done_once:
            return False
        before = None if self._before is None else self._before[0]
        if before is None or self.item is None:
            return before is None and self.item is None
        return bool(before == self.item)


class _SetSingle(Command):
    """Set a single-valued section (info, settings, review)."""

    _setter: str = ""
    _getter: str = ""

    def __init__(self, value: Any, *, merge_id: Hashable | None = None, text: str = "") -> None:
        self._new = value
        self._old: Any = None
        self._done_once = False
        self.merge_id = merge_id
        self.text = text or f"Set {self._getter}"

    def do(self, case: Case) -> None:
        if not self._done_once:
            self._old = getattr(case, self._getter)
            self._done_once = True
        getattr(case, self._setter)(self._new)

    def undo(self, case: Case) -> None:
        getattr(case, self._setter)(self._old)

    @property
    def merge_key(self) -> Hashable | None:
        return None if self.merge_id is None else (type(self).__name__, self.merge_id)

    def merge(self, other: Command) -> bool:
        if type(other) is not type(self) or self.merge_key is None or other.merge_key != self.merge_key:
            return False
        if not isinstance(other, _SetSingle) or other._old != self._new:
            return False
        self._new = other._new
        return True

    def is_obsolete(self) -> bool:
        return self._done_once and self._old == self._new


class _Compound(Command):
    """A command made of sub-commands chosen from the case at the first ``do``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._children: list[Command] | None = None

    @abstractmethod
    def _plan(self, case: Case) -> list[Command]:
        """The sub-commands, in order (called once, before anything changes)."""

    def do(self, case: Case) -> None:
        first = self._children is None
        children = self._plan(case) if self._children is None else self._children
        done: list[Command] = []
        try:
            for child in children:
                child.do(case)
                done.append(child)
        finally:
            if len(done) < len(children):  # a child refused: leave the case as it was
                for child in reversed(done):
                    child.undo(case)
        if first:
            self._children = children

    def undo(self, case: Case) -> None:
        for child in reversed(self._children or []):
            child.undo(case)

    def is_obsolete(self) -> bool:
        return self._children is not None and all(c.is_obsolete() for c in self._children)


def _key_of(section: Section, item: Any) -> str:
    return str(Case._key(section, item))


# ===================================================================================== layers
class AddLayer(AddItem):
    """Add a mask layer."""

    def __init__(self, layer: MaskLayer, index: int | None = None) -> None:
        super().__init__(Section.LAYERS, layer, index, text=f"Add layer {layer.name}")


class RemoveLayer(RemoveItem):
    """Remove a mask layer (references to it by name stay; consumers treat a missing layer as absent)."""

    def __init__(self, name: str) -> None:
        super().__init__(Section.LAYERS, name, text=f"Remove layer {name}")


class RenameLayer(_Compound):
    """Rename a layer and every reference to it (target lesion layers, forbidden structures)."""

    def __init__(self, old_name: str, new_name: str) -> None:
        super().__init__(f"Rename layer {old_name} to {new_name}")
        self.old_name = old_name
        self.new_name = new_name

    def _plan(self, case: Case) -> list[Command]:
        layer = _get(case, Section.LAYERS, self.old_name)
        if self.new_name != self.old_name and self.new_name in case.layers:
            raise CaseItemError(Section.LAYERS, self.new_name, "an item with this name already exists")
        out: list[Command] = [
            ReplaceItem(Section.LAYERS, self.old_name, dataclasses.replace(layer, name=self.new_name))
        ]
        for t in case.targets.values():
            if t.lesion_layer == self.old_name:
                out.append(
                    ReplaceItem(Section.TARGETS, t.name, dataclasses.replace(t, lesion_layer=self.new_name))
                )
        for f in case.forbidden.values():
            if f.layer == self.old_name:
                out.append(
                    ReplaceItem(Section.FORBIDDEN, f.name, dataclasses.replace(f, layer=self.new_name))
                )
        return out


class RecolorLayer(ReplaceItem):
    """Change a layer's colour (RGB 0-255)."""

    def __init__(self, name: str, color_rgb: Sequence[int], *, merge_id: Hashable | None = None) -> None:
        rgb = tuple(int(c) for c in color_rgb)
        self._rgb = rgb
        super().__init__(Section.LAYERS, name, None, merge_id=merge_id, text=f"Recolour layer {name}")

    def _compute_new(self, case: Case, old: Any) -> Any:
        return dataclasses.replace(old, color_rgb=self._rgb)


@dataclass(frozen=True, eq=False)
class MaskPatch:
    """The voxels of a box before and after an edit; ``offset_index`` is the box's first voxel."""

    offset_index: tuple[int, int, int]
    before: BoolArray
    after: BoolArray

    @property
    def nbytes(self) -> int:
        """Memory held by the two boxes."""
        return int(self.before.nbytes + self.after.nbytes)


class EditMask(Command):
    """Change a layer's mask, keeping only the changed box before and after (small undo memory).

    ``EditMask(name, new_mask)`` replaces the whole mask (the diff box is computed at ``do``);
    ``EditMask.patch(name, offset_index, after_box)`` sets the voxels of a box (a brush dab). Dabs
    with the same ``stroke_id`` merge into one undo step.
    """

    def __init__(self, name: str, new_mask: Mask | None, *, stroke_id: Hashable | None = None) -> None:
        self.name = name
        self.text = f"Edit {name}"
        self.stroke_id = stroke_id
        self._new_mask = new_mask
        self._box: tuple[tuple[int, int, int], BoolArray] | None = None
        self._patches: list[MaskPatch] | None = None

    @classmethod
    def patch(
        cls,
        name: str,
        offset_index: Sequence[int],
        after_box: npt.NDArray[Any],
        *,
        stroke_id: Hashable | None = None,
    ) -> EditMask:
        """Set the voxels of the box at ``offset_index`` (grid index) to ``after_box``."""
        cmd = cls(name, None, stroke_id=stroke_id)
        off = (int(offset_index[0]), int(offset_index[1]), int(offset_index[2]))
        box = np.array(after_box, dtype=bool, copy=True)
        if box.ndim != 3:
            raise ValueError(f'Argument "after_box" must be 3D, got {box.ndim}D')
        cmd._box = (off, box)
        return cmd

    @property
    def patches(self) -> tuple[MaskPatch, ...]:
        """The recorded changes (after the first ``do``)."""
        return tuple(self._patches or ())

    @property
    def nbytes(self) -> int:
        """Memory held by the command's boxes (bytes)."""
        held = sum(p.nbytes for p in self._patches or ())
        if self._new_mask is not None:
            held += int(self._new_mask.array.nbytes)
        if self._box is not None:
            held += int(self._box[1].nbytes)
        return held

    def do(self, case: Case) -> None:
        layer = _get(case, Section.LAYERS, self.name)
        if self._patches is None:
            self._patches = [self._diff(layer.mask)] if self._box is None else [self._patch_of(layer.mask)]
            self._patches = [
                p for p in self._patches if p.before.size and not np.array_equal(p.before, p.after)
            ]
            self._new_mask = None
            self._box = None
        mask = apply_boxes(layer.mask, [(p.offset_index, p.after) for p in self._patches])
        case.replace(Section.LAYERS, self.name, dataclasses.replace(layer, mask=mask))

    def undo(self, case: Case) -> None:
        layer = _get(case, Section.LAYERS, self.name)
        mask = apply_boxes(layer.mask, [(p.offset_index, p.before) for p in reversed(self._patches or [])])
        case.replace(Section.LAYERS, self.name, dataclasses.replace(layer, mask=mask))

    @property
    def merge_key(self) -> Hashable | None:
        return None if self.stroke_id is None else ("EditMask", self.name, self.stroke_id)

    def merge(self, other: Command) -> bool:
        if not isinstance(other, EditMask) or self.merge_key is None or other.merge_key != self.merge_key:
            return False
        if self._patches is None or other._patches is None:
            return False
        self._patches.extend(other._patches)
        return True

    def is_obsolete(self) -> bool:
        return self._patches is not None and not self._patches

    def _patch_of(self, mask: Mask) -> MaskPatch:
        if self._box is None:
            raise RuntimeError("no box to patch")
        off, box = self._box
        _check_box(mask, off, box.shape)
        return MaskPatch(off, read_box(mask, off, box.shape), box)

    def _diff(self, mask: Mask) -> MaskPatch:
        new = self._new_mask
        if new is None:
            raise RuntimeError("no mask to apply")
        if new.grid_shape != mask.grid_shape:
            raise CaseItemError(
                Section.LAYERS, self.name, f"new mask grid {new.grid_shape} differs from {mask.grid_shape}"
            )
        lo = [min(a, b) for a, b in zip(mask.offset_index, new.offset_index, strict=True)]
        hi = [
            max(a + n, b + m)
            for a, n, b, m in zip(
                mask.offset_index, mask.array.shape, new.offset_index, new.array.shape, strict=True
            )
        ]
        off = (lo[0], lo[1], lo[2])
        shape = (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])
        before, after = read_box(mask, off, shape), read_box(new, off, shape)
        changed = before ^ after
        if not changed.any():
            empty = np.zeros((0, 0, 0), dtype=bool)
            return MaskPatch(off, empty, empty)
        inner = Mask.from_full(changed)
        s = inner.slices
        o = tuple(a + b for a, b in zip(off, inner.offset_index, strict=True))
        return MaskPatch((o[0], o[1], o[2]), before[s].copy(), after[s].copy())


def apply_box(mask: Mask, offset_index: Sequence[int], box: npt.NDArray[np.bool_]) -> Mask:
    """A new mask equal to ``mask`` with the grid box at ``offset_index`` set to ``box``.

    Raises
    ------
    ValueError
        When the box does not fit the mask's grid.
    """
    return apply_boxes(mask, [(offset_index, box)])


def apply_boxes(mask: Mask, patches: Sequence[tuple[Sequence[int], npt.NDArray[np.bool_]]]) -> Mask:
    """A new mask equal to ``mask`` with each ``(offset_index, box)`` pasted in turn (later wins).

    One copy of the mask's box (or of its union with the patches); the box is shrunk to the voxels
    only when a face of it may have been emptied, so a brush dab costs about one copy of the box.
    The result's array is read-only.

    Raises
    ------
    ValueError
        When a box does not fit the mask's grid.
    """
    if not patches:
        return mask
    offs = [(int(o[0]), int(o[1]), int(o[2])) for o, _ in patches]
    for off, (_, box) in zip(offs, patches, strict=True):
        _check_box(mask, off, box.shape)
    m_off, m_shape = mask.offset_index, mask.array.shape
    lo = [min([m_off[a]] + [o[a] for o in offs]) for a in range(3)]
    hi = [
        max([m_off[a] + m_shape[a]] + [o[a] + b.shape[a] for o, (_, b) in zip(offs, patches, strict=True)])
        for a in range(3)
    ]
    inside = all(lo[a] == m_off[a] and hi[a] == m_off[a] + m_shape[a] for a in range(3))
    if inside:
        arr = mask.array.copy()
    else:
        arr = np.zeros(tuple(hi[a] - lo[a] for a in range(3)), dtype=bool)
        arr[tuple(slice(m_off[a] - lo[a], m_off[a] - lo[a] + m_shape[a]) for a in range(3))] = mask.array
    removed = False
    for off, (_, box) in zip(offs, patches, strict=True):
        sl = tuple(slice(off[a] - lo[a], off[a] - lo[a] + box.shape[a]) for a in range(3))
        if not removed and bool(np.any(arr[sl] & ~box)):
            removed = True
        arr[sl] = box
    if (removed or not inside) and not _faces_occupied(arr):
        out = Mask.from_box(arr, lo, mask.grid_shape)
    else:
        out = Mask(arr, (lo[0], lo[1], lo[2]), mask.grid_shape)
    out.array.flags.writeable = False
    return out


def _faces_occupied(arr: BoolArray) -> bool:
    """True when every one of the six faces of the box holds a set voxel (the box is tight)."""
    if arr.size == 0:
        return False
    for axis in range(3):
        for index in (0, arr.shape[axis] - 1):
            if not np.take(arr, index, axis=axis).any():
                return False
    return True


def _check_box(mask: Mask, off: Sequence[int], shape: Sequence[int]) -> None:
    for o, n, g in zip(off, shape, mask.grid_shape, strict=True):
        if o < 0 or o + n > g:
            raise ValueError(
                f"box at {tuple(off)} of shape {tuple(shape)} does not fit grid {mask.grid_shape}"
            )


# ===================================================================================== targets
class AddTarget(AddItem):
    """Add a target."""

    def __init__(self, target: Target, index: int | None = None) -> None:
        super().__init__(Section.TARGETS, target, index, text=f"Add target {target.name}")


class RemoveTarget(_Compound):
    """Remove a target with its trajectories, cement choice and score items."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Remove target {name}")
        self.name = name

    def _plan(self, case: Case) -> list[Command]:
        _get(case, Section.TARGETS, self.name)
        out: list[Command] = [
            RemoveItem(Section.TRAJECTORIES, t.name) for t in case.trajectories_of(self.name)
        ]
        if self.name in case.cement:
            out.append(RemoveItem(Section.CEMENT, self.name))
        if self.name in case.scores:
            out.append(RemoveItem(Section.SCORES, self.name))
        out.append(RemoveItem(Section.TARGETS, self.name))
        return out


class UpdateTarget(_Compound):
    """Replace a target's values; a new name also renames its trajectories', cement and score references."""

    def __init__(self, name: str, target: Target) -> None:
        super().__init__(f"Change target {name}")
        self.name = name
        self.target = target

    def _plan(self, case: Case) -> list[Command]:
        _get(case, Section.TARGETS, self.name)
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


class UpdateTrajectory(ReplaceItem):
    """Replace a trajectory's values (mergeable with the same ``merge_id``)."""

    def __init__(self, name: str, trajectory: Trajectory, *, merge_id: Hashable | None = None) -> None:
        super().__init__(
            Section.TRAJECTORIES, name, trajectory, merge_id=merge_id, text=f"Change trajectory {name}"
        )


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


class SetInfo(_SetSingle):
    """Set the case identity and status."""

    _setter, _getter = "set_info", "info"

    def __init__(self, info: CaseInfo, *, merge_id: Hashable | None = None) -> None:
        super().__init__(info, merge_id=merge_id, text="Set case details")


class SetSettings(_SetSingle):
    """Set the plan settings (a slider drag merges with one ``merge_id``)."""

    _setter, _getter = "set_settings", "settings"

    def __init__(self, settings: PlanSettings, *, merge_id: Hashable | None = None) -> None:
        super().__init__(settings, merge_id=merge_id, text="Set plan settings")


class SetReview(_SetSingle):
    """Set or clear the review values."""

    _setter, _getter = "set_review", "review"

    def __init__(self, review: ReviewResult | None) -> None:
        super().__init__(review, text="Set review")


def _get(case: Case, section: Section, key: str) -> Any:
    data = case.section(section)
    if key not in data:
        raise CaseItemError(section, key, "no such item")
    return data[key]


# ===================================================================================== macro
class MacroCommand(Command):
    """Commands undone and redone as one step (children already done when added)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.children: list[Command] = []

    def do(self, case: Case) -> None:
        for child in self.children:
            child.do(case)

    def undo(self, case: Case) -> None:
        for child in reversed(self.children):
            child.undo(case)

    def is_obsolete(self) -> bool:
        return all(c.is_obsolete() for c in self.children)


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
    "UpdateTarget",
    "UpdateTrajectory",
    "apply_box",
    "apply_boxes",
    "read_box",
]
