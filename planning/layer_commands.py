"""Commands on mask layers (no Qt): add, remove, rename (with its references), recolour, edit voxels.

Masks live on their layer's grid; boxes are given by ``offset_index`` ([slice, row, col]) on that grid.
``EditMask`` keeps only the changed box before and after (``MaskPatch``) so a brush stroke's undo costs
about one copy of the touched box; ``apply_box`` / ``apply_boxes`` paste boxes into a mask.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from planning.case import Case, CaseItemError, Section
from planning.command_base import AddItem, Command, CompoundCommand, RemoveItem, ReplaceItem, get_item
from planning.model import MaskLayer, read_box

BoolArray = npt.NDArray[np.bool_]


class AddLayer(AddItem):
    """Add a mask layer."""

    def __init__(self, layer: MaskLayer, index: int | None = None) -> None:
        super().__init__(Section.LAYERS, layer, index, text=f"Add layer {layer.name}")


class RemoveLayer(RemoveItem):
    """Remove a mask layer (references to it by name stay; consumers treat a missing layer as absent)."""

    def __init__(self, name: str) -> None:
        super().__init__(Section.LAYERS, name, text=f"Remove layer {name}")


class RenameLayer(CompoundCommand):
    """Rename a layer and every reference to it (target lesion layers, forbidden structures)."""

    def __init__(self, old_name: str, new_name: str) -> None:
        super().__init__(f"Rename layer {old_name} to {new_name}")
        self.old_name = old_name
        self.new_name = new_name

    def _plan(self, case: Case) -> list[Command]:
        layer = get_item(case, Section.LAYERS, self.old_name)
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
    with the same ``stroke_id`` merge into one undo step, and so does a :class:`StrokeEnd` with that
    id (what the stroke's end changed besides the mask: a drawn lesion tied to the vertebra it lies in),
    after which no dab merges.
    """

    def __init__(self, name: str, new_mask: Mask | None, *, stroke_id: Hashable | None = None) -> None:
        self.name = name
        self.text = f"Edit {name}"
        self.stroke_id = stroke_id
        self._new_mask = new_mask
        self._box: tuple[tuple[int, int, int], BoolArray] | None = None
        self._patches: list[MaskPatch] | None = None
        #: commands merged in at the stroke's end, done after the patches and undone before them
        self._then: list[Command] = []

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
        layer = get_item(case, Section.LAYERS, self.name)
        if self._patches is None:
            self._patches = [self._diff(layer.mask)] if self._box is None else [self._patch_of(layer.mask)]
            self._patches = [
                p for p in self._patches if p.before.size and not np.array_equal(p.before, p.after)
            ]
            self._new_mask = None
            self._box = None
        mask = apply_boxes(layer.mask, [(p.offset_index, p.after) for p in self._patches])
        case.replace(Section.LAYERS, self.name, dataclasses.replace(layer, mask=mask))
        for command in self._then:
            command.do(case)

    def undo(self, case: Case) -> None:
        for command in reversed(self._then):
            command.undo(case)
        layer = get_item(case, Section.LAYERS, self.name)
        mask = apply_boxes(layer.mask, [(p.offset_index, p.before) for p in reversed(self._patches or [])])
        case.replace(Section.LAYERS, self.name, dataclasses.replace(layer, mask=mask))

    @property
    def merge_key(self) -> Hashable | None:
        return None if self.stroke_id is None else ("EditMask", self.name, self.stroke_id)

    def merge(self, other: Command) -> bool:
        if self.merge_key is None or other.merge_key != self.merge_key or self._patches is None:
            return False
        if isinstance(other, StrokeEnd):
            self._then.append(other)
            return True
        if not isinstance(other, EditMask) or other._patches is None or self._then:
            return False  # a dab after the stroke's end would be redone after what the end changed
        self._patches.extend(other._patches)
        return True

    def is_obsolete(self) -> bool:
        return self._patches is not None and not self._patches and not self._then

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


class StrokeEnd(Command):
    """What a brush stroke's end changes besides the mask (e.g. the target a drawn lesion becomes once it
    lies in a vertebra), in the stroke's undo step: it merges into the stroke's :class:`EditMask` (same
    layer name and ``stroke_id``); pushed after anything else, it is a step of its own."""

    def __init__(self, name: str, stroke_id: Hashable, commands: Sequence[Command], text: str = "") -> None:
        self.name = name
        self.stroke_id = stroke_id
        self.commands = list(commands)
        self.text = text or (self.commands[0].text if self.commands else f"Edit {name}")

    @property
    def merge_key(self) -> Hashable | None:
        return ("EditMask", self.name, self.stroke_id)

    def do(self, case: Case) -> None:
        for command in self.commands:
            command.do(case)

    def undo(self, case: Case) -> None:
        for command in reversed(self.commands):
            command.undo(case)

    def is_obsolete(self) -> bool:
        return all(c.is_obsolete() for c in self.commands)


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
