"""The command protocol and the generic commands on any ``Section`` of a Case (no Qt).

``Command`` (``do`` / ``undo`` / ``merge`` / ``is_obsolete`` / ``merge_key``) and the generic ``AddItem``,
``RemoveItem``, ``ReplaceItem`` (mergeable), ``MoveItem``, ``PutItem``, the single-valued setter base
``SetSingleCommand``, the compound base ``CompoundCommand`` (sub-commands chosen at the first ``do``, all
undone when one refuses) and ``MacroCommand``. The concrete commands are built on these in
:mod:`planning.layer_commands` and :mod:`planning.commands` (the import point for all of them).
No geometry here: items are the Case's frozen values, positions in them are LPS mm.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable
from typing import Any

from planning.case import Case, CaseItemError, Section


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


class SetSingleCommand(Command):
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
        if not isinstance(other, SetSingleCommand) or other._old != self._new:
            return False
        self._new = other._new
        return True

    def is_obsolete(self) -> bool:
        return self._done_once and self._old == self._new


class CompoundCommand(Command):
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


def get_item(case: Case, section: Section, key: str) -> Any:
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
