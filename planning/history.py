"""A pure-Python undo stack over one case (no Qt): the command line, batch work and tests use it; the
GUI wraps the same commands (:mod:`planning.commands`) in a QUndoStack.

``History(case, limit=0)``: push, undo, redo, can_undo, can_redo, index, count, undo_text, redo_text,
is_clean, set_clean, clear, begin_macro / end_macro, ``with history.macro("text"):`` (undone as one
step; undone and dropped if the block raises). ``history.events.index_changed(int)`` and
``clean_changed(bool)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psygnal import Signal, SignalGroup

from planning.case import Case
from planning.commands import Command, MacroCommand


class HistoryEvents(SignalGroup):
    """Signals of a History."""

    index_changed = Signal(int)
    clean_changed = Signal(bool)


class History:
    """An undo stack over one case, without Qt (the GUI uses QUndoStack with the same commands).

    Parameters
    ----------
    case
        The case the commands act on.
    limit
        Most undo steps kept (0: no limit); the oldest are dropped first.
    """

    def __init__(self, case: Case, *, limit: int = 0) -> None:
        if limit < 0:
            raise ValueError(f'Argument "limit" must be >= 0, got {limit}')
        self.case = case
        self.limit = limit
        self.events = HistoryEvents()
        self._stack: list[Command] = []
        self._index = 0
        self._clean_index: int | None = 0
        self._macros: list[MacroCommand] = []

    # ------------------------------------------------------------------------- state
    @property
    def index(self) -> int:
        """Number of commands currently applied (position in the stack)."""
        return self._index

    @property
    def count(self) -> int:
        """Number of commands in the stack."""
        return len(self._stack)

    @property
    def can_undo(self) -> bool:
        """True when there is a step to undo (never inside an open macro)."""
        return self._index > 0 and not self._macros

    @property
    def can_redo(self) -> bool:
        """True when there is a step to redo (never inside an open macro)."""
        return self._index < len(self._stack) and not self._macros

    @property
    def undo_text(self) -> str:
        """Text of the step undo would revert ('' if none)."""
        return self._stack[self._index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        """Text of the step redo would apply ('' if none)."""
        return self._stack[self._index].text if self.can_redo else ""

    @property
    def is_clean(self) -> bool:
        """True when the case is as at the last ``set_clean`` (e.g. as saved); False inside a macro
        that already changed something."""
        if self._macros and self._macros[0].children:
            return False
        return self._clean_index == self._index

    @property
    def in_macro(self) -> bool:
        """True while a macro is open."""
        return bool(self._macros)

    def commands(self) -> tuple[Command, ...]:
        """The stack, oldest first."""
        return tuple(self._stack)

    # ------------------------------------------------------------------------- changes
    def push(self, command: Command) -> None:
        """Do ``command`` and record it (merged into the previous step when they merge).

        A command that turns out to change nothing is not recorded. If ``do`` raises, nothing is
        recorded and the exception propagates (commands check before they change).
        """
        was_clean = self.is_clean
        command.do(self.case)
        if self._macros:
            children = self._macros[-1].children
            if children and _try_merge(children[-1], command):
                if children[-1].is_obsolete():
                    children.pop()
                return
            if not command.is_obsolete():
                children.append(command)
            return
        if self._index < len(self._stack):
            del self._stack[self._index :]
            if self._clean_index is not None and self._clean_index > self._index:
                self._clean_index = None
        top = self._stack[self._index - 1] if self._index > 0 else None
        if top is not None and _try_merge(top, command):
            if self._clean_index == self._index:
                self._clean_index = None  # the clean state was merged away
            if top.is_obsolete():
                self._stack.pop()
                self._index -= 1
            self._notify(was_clean)
            return
        if command.is_obsolete():
            return
        self._stack.append(command)
        self._index += 1
        if self.limit and len(self._stack) > self.limit:
            drop = len(self._stack) - self.limit
            del self._stack[:drop]
            self._index -= drop
            if self._clean_index is not None:
                self._clean_index = self._clean_index - drop if self._clean_index >= drop else None
        self._notify(was_clean)

    def undo(self) -> bool:
        """Undo one step; False when there is none."""
        if not self.can_undo:
            return False
        was_clean = self.is_clean
        self._stack[self._index - 1].undo(self.case)
        self._index -= 1
        self._notify(was_clean)
        return True

    def redo(self) -> bool:
        """Redo one step; False when there is none."""
        if not self.can_redo:
            return False
        was_clean = self.is_clean
        self._stack[self._index].do(self.case)
        self._index += 1
        self._notify(was_clean)
        return True

    def set_clean(self) -> None:
        """Mark the current state as clean (saved)."""
        was_clean = self.is_clean
        self._clean_index = self._index
        self._notify(was_clean)

    def clear(self) -> None:
        """Forget every step (the case keeps its values) and mark it clean."""
        if self._macros:
            raise RuntimeError("cannot clear the history while a macro is open")
        was_clean = self.is_clean
        self._stack.clear()
        self._index = 0
        self._clean_index = 0
        self._notify(was_clean)

    def begin_macro(self, text: str) -> None:
        """Open a group: every command pushed until ``end_macro`` becomes one undo step."""
        self._macros.append(MacroCommand(text))

    def end_macro(self) -> None:
        """Close the innermost group and record it (an empty group is dropped)."""
        if not self._macros:
            raise RuntimeError("end_macro without begin_macro")
        macro = self._macros.pop()
        if not macro.children or macro.is_obsolete():
            return
        if self._macros:
            self._macros[-1].children.append(macro)
            return
        was_clean = self.is_clean
        if self._index < len(self._stack):
            del self._stack[self._index :]
            if self._clean_index is not None and self._clean_index > self._index:
                self._clean_index = None
        self._stack.append(macro)
        self._index += 1
        self._notify(was_clean)

    def abort_macro(self) -> None:
        """Close the innermost group, undoing what it did; nothing is recorded."""
        if not self._macros:
            raise RuntimeError("abort_macro without begin_macro")
        self._macros.pop().undo(self.case)

    @contextmanager
    def macro(self, text: str) -> Iterator[History]:
        """``with history.macro("Plan L1"):`` -- one undo step; on an exception it is undone and dropped."""
        self.begin_macro(text)
        try:
            yield self
        except BaseException:
            self.abort_macro()
            raise
        self.end_macro()

    def _notify(self, was_clean: bool) -> None:
        self.events.index_changed.emit(self._index)
        if self.is_clean != was_clean:
            self.events.clean_changed.emit(self.is_clean)


def _try_merge(top: Command, command: Command) -> bool:
    key = top.merge_key
    return key is not None and key == command.merge_key and top.merge(command)


__all__ = ["History", "HistoryEvents"]
