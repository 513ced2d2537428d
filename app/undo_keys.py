"""Ctrl+Z / Ctrl+Y in a settled text field undo the case, not the field's typing.

A line edit or spin box takes Undo and Redo for its own text whenever it has the focus, so after an
operator types a power and presses Enter (one case change, pushed to the undo stack), Ctrl+Z did
nothing they could see. :func:`route_undo_to_case` makes such fields pass Undo / Redo on to the
window's actions once what was typed has been handed on (Enter, or focus left the field, or nothing
typed since it was shown); while the operator is typing, the field keeps them for its own text.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QWidget

__all__ = ["route_undo_to_case"]

_UNDO_REDO = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)


class _UndoToCase(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        field = watched.lineEdit() if isinstance(watched, QAbstractSpinBox) else watched
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and isinstance(field, QLineEdit)
            and not field.isModified()
            and any(event.matches(key) for key in _UNDO_REDO)
        ):
            event.ignore()  # not the field's: the window's Undo / Redo shortcut fires
            return True
        return False


def route_undo_to_case(root: QWidget) -> QObject:
    """Let every text field under ``root`` pass Undo / Redo to the window while nothing is typed in it.

    Returns the filter (owned by ``root``).
    """
    keys = _UndoToCase(root)
    for spin in root.findChildren(QAbstractSpinBox):  # the spin box has the focus, not its line edit
        spin.installEventFilter(keys)
    for field in root.findChildren(QLineEdit):  # spin boxes hold a QLineEdit too
        field.installEventFilter(keys)
        # Enter (or leaving the field) hands what was typed to the case: the field is settled again
        field.editingFinished.connect(lambda f=field: f.setModified(False))
    return keys
