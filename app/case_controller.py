"""The case behind the window: undo stack, save / open, autosave and crash recovery.

The Case (planning.case) holds values only; every change goes through a planning command wrapped in
a :class:`CommandAdapter` on the window's QUndoStack (one stack per case). Display settings of its
mask layers live in :class:`app.viewer_state.ViewerState`, never in the Case. Saving and loading
use ``planning.case_io`` (atomic writes). An autosave goes to a recovery file a minute after a
change; on start-up a recovery file newer than its case is offered back.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QFileDialog

from app import dialogs
from imaging.volume import Volume
from planning.case import Case, Change, Section
from planning.errors import PlanningError

if TYPE_CHECKING:
    from app.main_window import MainWindow

log = logging.getLogger("osteoplan.gui")
#: autosave this long after the first unsaved change (ms)
AUTOSAVE_DELAY_MS = 60_000
CASE_SUFFIX = ".osteoplan"
_MERGE_ID = 0x0571E0


class CommandAdapter(QUndoCommand):
    """A planning command (``do(case)``, ``undo(case)``, ``merge(other)``) as a QUndoCommand.

    Consecutive commands whose ``merge`` accepts the next one become one undo step (a drag).
    """

    def __init__(self, command: Any, case: Case) -> None:
        super().__init__(
            str(getattr(command, "label", "") or getattr(command, "text", "") or type(command).__name__)
        )
        self.command = command
        self.case = case

    def redo(self) -> None:
        self.command.do(self.case)

    def undo(self) -> None:
        self.command.undo(self.case)

    def id(self) -> int:
        return _MERGE_ID if callable(getattr(self.command, "merge", None)) else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, CommandAdapter):
            return False
        merged = self.command.merge(other.command)
        if merged is None or merged is False:
            return False
        if merged is not True:
            self.command = merged  # merge returned the combined command
        return True


class CaseController(QObject):
    """Owns the Case of a :class:`MainWindow` and its undo stack, file and autosave."""

    case_replaced = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.undo_stack = QUndoStack(self)
        self.case = Case()
        self.path: Path | None = None
        self.volume: Volume | None = None
        self.recovery_dir: Path | None = None
        self._pending: tuple[Case, Path] | None = None
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.undo_stack.cleanChanged.connect(self._on_undo_clean_changed)
        self._connect_case()

    # -- model changes --------------------------------------------------------------------------
    def push(self, command: Any) -> None:
        """Do a planning command on the case, undoably."""
        self.undo_stack.push(CommandAdapter(command, self.case))

    def is_modified(self) -> bool:
        """True when the case has changes not saved."""
        return not self.undo_stack.isClean()

    def set_volume(self, volume: Volume) -> None:
        """A volume was opened: start a new case on it, or finish opening a saved case."""
        self.volume = volume
        if self._pending is not None:
            case, path = self._pending
            self._pending = None
            self._replace_case(case, path)
        else:
            self._replace_case(Case(), None)
            from planning.model import ImageRef

            uid = volume.metadata.series_uid or "volume"
            source = volume.metadata.source_path or str(self.window.opener.path or "")
            self.case.add(Section.IMAGES, ImageRef(uid, source, description=volume.metadata.description))
        self._sync_layers()

    # -- files ----------------------------------------------------------------------------------
    def on_open_case(self) -> None:
        """File > Open case."""
        name, _ = QFileDialog.getOpenFileName(self.window, "Open a case", "", f"Cases (*{CASE_SUFFIX})")
        if name:
            self.open_case(Path(name))

    def open_case(self, path: Path) -> None:
        """Read a case file, then open the image it refers to."""
        if not self.confirm_close():
            return
        from planning import case_io

        try:
            case = _loaded_case(case_io.load_case(path))
        except (PlanningError, OSError, ValueError) as exc:
            dialogs.show_error(self.window, "Cannot open the case", str(exc))
            return
        images = list(case.images.values())
        if not images:
            dialogs.show_error(self.window, "Cannot open the case", f"{path.name} refers to no image.")
            return
        image_path = Path(images[0].path)
        self._pending = (case, path)
        self.window.add_recent(path)
        self.window.opener.path = image_path
        self.window.opener.load_series(images[0].series_uid if image_path.is_dir() else None)

    def save(self) -> bool:
        """Save to the case's file (asks for a name the first time); True when saved."""
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        """Save under a new name; True when saved."""
        name, _ = QFileDialog.getSaveFileName(
            self.window, "Save the case", f"case{CASE_SUFFIX}", f"Cases (*{CASE_SUFFIX})"
        )
        if not name:
            return False
        path = Path(name)
        if path.suffix != CASE_SUFFIX:
            path = path.with_name(path.name + CASE_SUFFIX)
        return self._write(path)

    def save_to(self, path: Path) -> bool:
        """Save to ``path`` without asking (tests, scripts)."""
        return self._write(Path(path))

    def autosave(self) -> Path | None:
        """Write the recovery file now; returns its path (None when there is nothing to save)."""
        if not self.is_modified() or self.volume is None:
            return None
        from planning import case_io

        target = self.recovery_path()
        try:
            case_io.save_case(self.case, target)
        except (PlanningError, OSError) as exc:
            log.warning("autosave failed: %s", type(exc).__name__)
            return None
        return target

    def recovery_path(self) -> Path:
        """Where this case's autosave goes."""
        from planning import case_io

        base = (
            self.path
            if self.path is not None
            else self._recovery_dir() / f"untitled-{self.case.uid}{CASE_SUFFIX}"
        )
        return Path(case_io.autosave_path(base))

    def offer_recovery(self) -> Path | None:
        """At start-up: offer a recovery file left by a crash; returns the path opened, if any."""
        from planning import case_io

        try:
            found = case_io.find_recoverable(self._recovery_dir())
        except (PlanningError, OSError):
            return None
        candidates = [Path(p) for p in (found if isinstance(found, (list, tuple)) else [found]) if p]
        if not candidates:
            return None
        path = candidates[0]
        answer = dialogs.ask_yes_no_cancel(
            self.window, "Recover unsaved work", f"OsteoPlan did not close normally. Recover {path.name}?"
        )
        if answer != dialogs.Answer.YES:
            return None
        self.open_case(path)
        return path

    def confirm_close(self) -> bool:
        """Ask about unsaved changes; False when the operator cancels."""
        if not self.is_modified():
            return True
        answer = dialogs.ask_yes_no_cancel(self.window, "Unsaved changes", "Save the changes to the case?")
        if answer == dialogs.Answer.CANCEL:
            return False
        if answer == dialogs.Answer.YES:
            return self.save()
        return True

    def shutdown(self) -> None:
        """The window closes normally: stop autosaving, remove the recovery file."""
        self.autosave_timer.stop()
        if self.volume is None:
            return
        try:
            recovery = self.recovery_path()
        except (ImportError, PlanningError, OSError):
            return
        recovery.unlink(missing_ok=True)

    # -- private --------------------------------------------------------------------------------
    def _recovery_dir(self) -> Path:
        if self.recovery_dir is None:
            from PySide6.QtCore import QStandardPaths

            base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
            self.recovery_dir = Path(base or Path.home() / ".osteoplan") / "recovery"
        self.recovery_dir.mkdir(parents=True, exist_ok=True)
        return self.recovery_dir

    def _write(self, path: Path) -> bool:
        from planning import case_io

        try:
            case_io.save_case(self.case, path)
        except (PlanningError, OSError) as exc:
            dialogs.show_error(self.window, "Cannot save", str(exc))
            return False
        old_recovery = self.recovery_path() if self.volume is not None else None
        self.path = path
        self.undo_stack.setClean()
        if old_recovery is not None:
            old_recovery.unlink(missing_ok=True)
        self.window.add_recent(path)
        self.window.statusBar().showMessage(f"Saved {path.name}", 5000)
        return True

    def _replace_case(self, case: Case, path: Path | None) -> None:
        self._disconnect_case()
        self.undo_stack.clear()
        self.case = case
        self.path = path
        self._connect_case()
        self.undo_stack.setClean()
        self.case_replaced.emit()

    def _connect_case(self) -> None:
        self.case.events.layers.connect(self._on_case_layers)

    def _disconnect_case(self) -> None:
        self.case.events.layers.disconnect(self._on_case_layers)

    def _on_case_layers(self, change: Change) -> None:
        self._sync_layers()

    def _sync_layers(self) -> None:
        if self.volume is None:
            return
        shape = self.volume.shape
        masks = {
            name: layer.mask for name, layer in self.case.layers.items() if layer.mask.grid_shape == shape
        }
        self.window.state.sync_layers(masks, {n: layer.color_rgb for n, layer in self.case.layers.items()})

    def _on_undo_clean_changed(self, clean: bool) -> None:
        title = self.window.windowTitle().removesuffix(" *")
        self.window.setWindowTitle(title if clean else f"{title} *")
        if not clean and not self.autosave_timer.isActive():
            self.autosave_timer.start()


def _loaded_case(value: Any) -> Case:
    """``load_case`` may return the Case or a result object holding it."""
    if isinstance(value, Case):
        return value
    case = getattr(value, "case", None)
    if isinstance(case, Case):
        return case
    raise ValueError(f"unexpected result from load_case: {type(value).__name__}")
