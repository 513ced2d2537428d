"""The case behind the window: undo stack, save / open, autosave and crash recovery.

The Case (planning.case) holds values only; every change goes through a planning command wrapped in
a :class:`CommandAdapter` on the window's QUndoStack (one stack per case). Display settings of its
mask layers live in :class:`app.viewer_state.ViewerState`, never in the Case. Saving and loading
use ``planning.case_io`` (atomic writes). An autosave goes to a recovery file at most a minute after
any unsaved change. An autosave this window did not write was left by a crash: it is offered back at
every start (with or without a path) and whenever its case is opened, and deleted only once the
operator has chosen (:mod:`app.crash_recovery`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QFileDialog

from app import crash_recovery, dialogs
from app.wording import count_of
from imaging.volume import Volume
from planning.case import Case, Change, Section
from planning.case_paths import AUTOSAVE_SUFFIX, CASE_SUFFIX
from planning.commands import Command
from planning.errors import PlanningError
from planning.model import LayerKind

if TYPE_CHECKING:
    from app.main_window import MainWindow

log = logging.getLogger("osteoplan.gui")
#: autosave this long after the first unsaved change (ms)
AUTOSAVE_DELAY_MS = 60_000
#: set in every merge id so that it is never -1 (QUndoCommand's "never merge")
_MERGE_ID_BIT = 0x40000000


class CommandAdapter(QUndoCommand):
    """A :class:`planning.commands.Command` as a QUndoCommand (``redo`` -> ``do``).

    ``id`` comes from the command's ``merge_key`` and ``mergeWith`` calls ``merge``, so a drag made
    of many commands with the same key is one undo step. With an ``owner``, its ``stepping`` is True
    while Undo takes the command back or Redo does it again (not while it is first done, on push).
    """

    def __init__(self, command: Command, case: Case, owner: CaseController | None = None) -> None:
        super().__init__(command.text or type(command).__name__)
        self.command = command
        self.case = case
        self._owner = owner
        self._done_once = False

    def redo(self) -> None:
        with _Stepping(self._owner, self._done_once):
            self.command.do(self.case)
        self._done_once = True
        self.setObsolete(self.command.is_obsolete())

    def undo(self) -> None:
        with _Stepping(self._owner, True):
            self.command.undo(self.case)

    def id(self) -> int:
        key = self.command.merge_key
        return -1 if key is None else (hash(key) & 0x3FFFFFFF) | _MERGE_ID_BIT

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, CommandAdapter) or other.command.merge_key != self.command.merge_key:
            return False
        merged = self.command.merge(other.command)
        if merged:
            self.setObsolete(self.command.is_obsolete())
        return bool(merged)


class _Stepping:
    """Sets ``owner.stepping`` to ``on`` for the time of a command's do or undo, then restores it."""

    def __init__(self, owner: CaseController | None, on: bool) -> None:
        self.owner = owner
        self.on = on
        self.before = False

    def __enter__(self) -> None:
        if self.owner is not None:
            self.before = self.owner.stepping
            self.owner.stepping = self.on

    def __exit__(self, *exc: object) -> None:
        if self.owner is not None:
            self.owner.stepping = self.before


class CaseController(QObject):
    """Owns the Case of a :class:`MainWindow` and its undo stack, file and autosave.

    ``stepping`` is True while the case changes because Undo takes a step back or Redo does one again
    (a needle a step brings back is selected: :class:`app.planning_ui.controller.PlanningController`).
    """

    case_replaced = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.undo_stack = QUndoStack(self)
        self.stepping = False
        self.case = Case()
        self.path: Path | None = None
        self.volume: Volume | None = None
        self._recovered_from: Path | None = None
        self._pending: tuple[Case, Path | None, Path | None] | None = None
        #: when the autosave being recovered was written (its header's time), for the status bar
        self._recovered_stamp = ""
        #: autosaves this window wrote (any other one in the recovery folder was left by a crash)
        self._own_autosaves: set[Path] = set()
        #: said in the status bar once the case being opened is shown
        self._opened_note = ""
        #: said once the first image opened at start-up is shown (a crash's autosave kept for later)
        self._start_note = ""
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.undo_stack.cleanChanged.connect(self._on_undo_clean_changed)
        # every change (not only the first after a save) is autosaved within the delay
        self.undo_stack.indexChanged.connect(self._on_undo_index_changed)
        self._connect_case()

    # -- model changes --------------------------------------------------------------------------
    def push(self, command: Command) -> None:
        """Do a planning command on the case, undoably."""
        self.undo_stack.push(CommandAdapter(command, self.case, self))

    def is_modified(self) -> bool:
        """True when the case has changes not saved."""
        return not self.undo_stack.isClean()

    def set_volume(self, volume: Volume) -> None:
        """A volume was opened: start a new case on it, or finish opening a saved case."""
        self.volume = volume
        if self._pending is not None:
            case, path, recovered_from = self._pending
            self._pending = None
            self._replace_case(case, path)
            if recovered_from is not None:
                # the recovered values are not saved anywhere yet: keep the autosave until they are
                self._recovered_from = recovered_from
                self._mark_modified()
                self._opened_note = recovery_message(self._recovered_stamp, path)
        else:
            self._replace_case(Case(), None)
            from planning.image_identity import planning_image

            opened = self.window.opener.path
            source = str(opened) if opened is not None else volume.metadata.source_path
            # the series id, grid and voxel digest, to reopen on exactly these images
            self.case.add(Section.IMAGES, planning_image(volume, source))
        # said once the opening has shown its own messages (import notes), so it stays
        text = " ".join(note for note in (self._opened_note, self._start_note) if note)
        self._opened_note = self._start_note = ""
        if text:
            QTimer.singleShot(0, self, lambda: self.window.statusBar().showMessage(text))
        self._sync_layers()

    # -- files ----------------------------------------------------------------------------------
    def on_open_case(self) -> None:
        """File > Open case."""
        name, _ = QFileDialog.getOpenFileName(self.window, "Open a case", "", f"Cases (*{CASE_SUFFIX})")
        if name:
            self.open_case(Path(name))

    def open_case(self, path: Path) -> None:
        """Read a case file, then open the image it refers to.

        When an autosave of that case was left by a crash, it is offered instead of the saved file
        (:meth:`_offer_left_autosave`).
        """
        if not self.confirm_close():
            return
        self._open_file(Path(path))

    def _open_file(self, path: Path) -> None:
        from planning import case_io
        from planning.image_identity import series_to_load

        self._opened_note = ""

        try:
            case_file = case_io.read_case_file(path)
        except (PlanningError, OSError, ValueError) as exc:
            dialogs.show_error(self.window, "Cannot open the case", str(exc))
            return
        case = case_file.case
        images = list(case.images.values())
        if not images:
            dialogs.show_error(self.window, "Cannot open the case", f"{path.name} refers to no image.")
            return
        image_path = Path(images[0].path)
        recovered = case_file.header.autosave_of is not None or path.name.endswith(AUTOSAVE_SUFFIX)
        if recovered:
            original = case_file.header.autosave_of
            self._pending = (case, Path(original) if original else None, path)
            self._recovered_stamp = autosave_stamp(case_file.header.modified_utc)
        else:
            left = [a for a in crash_recovery.left_autosaves(self._own_autosaves) if a.is_of_case(path)]
            if left and self._offer_left_autosave(path, left[0]):
                self._open_file(left[0].path)
                return
            self._pending = (case, path, None)
            self.window.add_recent(path)
        self.window.opener.path = image_path
        self.window.opener.load_series(series_to_load(images[0]) if image_path.is_dir() else None)

    def refuse_pending(self, volume: Volume) -> str | None:
        """Before ``volume`` is shown: when a case is being opened and ``volume`` is not the image it was
        planned on (:func:`planning.image_identity.image_mismatch`), drop that case and say why."""
        if self._pending is None:
            return None
        from planning.image_identity import image_mismatch

        images = list(self._pending[0].images.values())
        problem = image_mismatch(images[0], volume) if images else None
        if problem is not None:
            self._pending = None
        return problem

    def forget_pending(self) -> None:
        """The image of the case being opened could not be loaded: the next image opened starts a new case
        (it must not receive that case's plan)."""
        self._pending = None

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

        try:
            written = case_io.write_autosave(self.case, self.path)
        except (PlanningError, OSError) as exc:
            log.warning("autosave failed: %s", type(exc).__name__)
            return None
        self._own_autosaves.add(written.resolve())
        return written

    def recovery_path(self) -> Path:
        """Where this case's autosave goes."""
        from planning import case_io

        return case_io.autosave_path(self.path, case_uid=self.case.uid)

    def offer_recovery(self, opening: Path | None = None) -> Path | None:
        """At start-up: offer the newest autosave left by a crash; returns the path opened, if any.

        ``opening``: the case or image the start was asked to open. An autosave of that case is left
        to :meth:`open_case` (which offers it instead of the saved file); an autosave of a new case on
        that image comes first; any other is offered too, naming its case and image. None opened: the
        caller opens ``opening``.
        """
        found = crash_recovery.left_autosaves(self._own_autosaves)
        if opening is not None and opening.suffix == CASE_SUFFIX:
            found = [a for a in found if not a.is_of_case(opening)]
        if not found:
            return None
        same = [a for a in found if opening is not None and a.is_of_image(opening)]
        left = (same or found)[0]
        text = crash_recovery.start_question(
            describe_autosave(left.path), opening, same_image=bool(same), others=len(found) - 1
        )
        answer = dialogs.ask_yes_no_cancel(self.window, "Recover unsaved work", text)
        if answer == dialogs.Answer.NO:
            left.path.unlink(missing_ok=True)
            return None
        if answer != dialogs.Answer.YES:
            self._start_note = (
                f"The autosaved work was kept in {left.path.parent} and is offered again when OsteoPlan "
                "starts next."
            )
            return None
        self._open_file(left.path)
        return left.path

    def confirm_close(self) -> bool:
        """Ask about unsaved changes; False when the operator cancels."""
        if not self.is_modified():
            return True
        answer = dialogs.ask_yes_no_cancel(self.window, "Unsaved changes", "Save the changes to the case?")
        if answer == dialogs.Answer.CANCEL:
            return False
        if answer == dialogs.Answer.YES:
            return self.save()
        # the operator discarded the changes: this window's autosave of them is not a crash to offer later
        self._discard_autosaves()
        return True

    def shutdown(self) -> None:
        """The window closes normally: stop autosaving, remove the recovery file."""
        self.autosave_timer.stop()
        self._discard_autosaves()

    # -- private --------------------------------------------------------------------------------
    def _offer_left_autosave(self, path: Path, left: crash_recovery.LeftAutosave) -> bool:
        """Ask about an autosave of case ``path`` left by a crash; True: open it instead.

        No discards it; Cancel keeps it (set aside when this session's autosaves would overwrite it).
        """
        from planning import case_io

        text = crash_recovery.same_case_question(path, left, describe_autosave(left.path))
        answer = dialogs.ask_yes_no_cancel(self.window, "Recover unsaved work", text)
        if answer == dialogs.Answer.YES:
            return True
        if answer == dialogs.Answer.NO:
            left.path.unlink(missing_ok=True)
            self._opened_note = f"Discarded the autosaved work of {path.name}; opened the case as saved."
            return False
        kept = left.path
        if kept.resolve() == case_io.autosave_path(path).resolve():
            try:
                kept = crash_recovery.set_aside(kept)
            except OSError as exc:
                dialogs.show_error(
                    self.window,
                    "Cannot keep the autosave",
                    f"The autosaved work of {path.name} could not be kept aside ({exc.strerror or exc}); "
                    f"it stays as {kept} and may be replaced when this case is autosaved again.",
                )
        self._opened_note = crash_recovery.kept_message(path, kept)
        return False

    def _discard_autosaves(self) -> None:
        from planning import case_io

        # only an autosave this window wrote: one left by a crash is deleted once the operator chose
        own = case_io.autosave_path(self.path, case_uid=self.case.uid).resolve()
        if own in self._own_autosaves:
            own.unlink(missing_ok=True)
            self._own_autosaves.discard(own)
        if self._recovered_from is not None:
            self._recovered_from.unlink(missing_ok=True)
            self._recovered_from = None

    def _mark_modified(self) -> None:
        """Unsaved values that no command made (a recovered autosave): the stack is not clean."""
        self.undo_stack.resetClean()
        self._on_undo_clean_changed(False)

    def _write(self, path: Path) -> bool:
        from planning import case_io

        try:
            case_io.save_case(self.case, path)
        except (PlanningError, OSError) as exc:
            dialogs.show_error(self.window, "Cannot save", str(exc))
            return False
        self._discard_autosaves()
        self.path = path
        self.undo_stack.setClean()
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
        show_lesions = getattr(getattr(self.window, "view3d", None), "show_lesions", None)
        if callable(show_lesions):  # a lesion inside a bone is hidden by the opaque bone surface
            show_lesions([m for n, m in masks.items() if self.case.layers[n].kind == LayerKind.LESION])

    def _on_undo_index_changed(self, _index: int) -> None:
        self._schedule_autosave(self.undo_stack.isClean())

    def _on_undo_clean_changed(self, clean: bool) -> None:
        title = self.window.windowTitle().removesuffix(" *")
        self.window.setWindowTitle(title if clean else f"{title} *")
        self._schedule_autosave(clean)

    def _schedule_autosave(self, clean: bool) -> None:
        """Autosave within the delay of an unsaved change (a running countdown is not restarted)."""
        if not clean and not self.autosave_timer.isActive():
            self.autosave_timer.start()


def describe_autosave(path: Path) -> str:
    """What an autosave holds, in words: when it was written, the case it belongs to, what it has.

    Names the case file and the image folder (the operator's own files), never patient identifiers.
    """
    from planning import case_io

    try:
        loaded = case_io.read_case_file(path)
    except PlanningError as exc:
        return f"An autosave was left ({path.name}) but cannot be read: {exc}"
    header, case = loaded.header, loaded.case
    stamp = autosave_stamp(header.modified_utc)
    of = f"case {Path(header.autosave_of).name}" if header.autosave_of else "a new case"
    images = [Path(ref.path).name or ref.path for ref in case.images.values() if ref.path]
    on = f" (image {images[0]})" if images else ""
    lesions = sum(1 for t in case.targets.values() if t.lesion_layer)
    parts = [
        count_of(lesions, "lesion"),
        count_of(len(case.trajectories), "needle"),
        count_of(len(case.layers), "layer"),
    ]
    return f"Unsaved work on {of}{on}, autosaved {stamp}: {', '.join(parts)}."


def autosave_stamp(modified_utc: str) -> str:
    """An autosave's time (its header's UTC time) in the operator's local time: "21 Nov 2026 14:02"."""
    from datetime import datetime

    try:
        when = datetime.fromisoformat(modified_utc.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return "an unknown time"
    return when.strftime("%d %b %Y %H:%M")


def recovery_message(stamp: str, case_path: Path | None) -> str:
    """The status bar's sentence after a crash recovery: what was recovered, from when, what was lost."""
    of = f"case {case_path.name}" if case_path is not None else "unsaved new case"
    return (
        f"Recovered the {of} as autosaved at {stamp}; changes made after that were lost. "
        "It is not saved yet: save it (File > Save case, Ctrl+S) to keep it."
    )
