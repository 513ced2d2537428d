"""Opening an image in the window: scan, pick a series, load in a worker thread with progress/cancel.

Errors the imaging layer raises on purpose (a refused series, an unreadable folder) are shown as a
plain dialog with the reason; a cancelled import just stops. Nothing here blocks the GUI thread.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QProgressDialog

from app import dialogs
from app.loading import LoadOutcome, ScanOutcome, Worker, imaging_load_available, load_path, scan_path
from app.wording import printable
from imaging.errors import ImagingError, ImportCancelledError
from imaging.volume import Volume

if TYPE_CHECKING:
    from app.main_window import MainWindow

log = logging.getLogger("osteoplan.gui")
PROGRESS_STEPS = 1000


class OpenController(QObject):
    """Runs the open-an-image flow for a :class:`MainWindow`.

    Signals
    -------
    volume_loaded
        Emitted with the Volume once it is shown.
    failed
        Emitted with the message shown to the operator.
    """

    volume_loaded = Signal(object)
    failed = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.worker: Worker | None = None
        self.progress: QProgressDialog | None = None
        self.path: Path | None = None
        self.last_load_s: float = 0.0
        self._started = 0.0

    def open_image(self, path: Path) -> None:
        """Start opening ``path`` (scan first, then the picker if there are several series)."""
        if self.worker is not None:
            dialogs.show_error(self.window, "Open", "An image is still loading; cancel it first.")
            return
        self.path = Path(path)
        self.window.case.forget_pending()  # an image opened anew is not the image of a case being opened
        self._started = time.perf_counter()
        self._run("Looking for series…", lambda p, c: scan_path(self.path, p, c), self._on_scan_done)  # type: ignore[arg-type]

    def load_series(self, series_uid: str | None) -> None:
        """Load one series of the current path."""
        path = self.path
        if path is None:
            raise ValueError("no path is being opened")
        self._run("Loading images…", lambda p, c: load_path(path, series_uid, p, c), self._on_load_done)

    def is_busy(self) -> bool:
        """True while a scan or load runs."""
        return self.worker is not None

    def shutdown(self) -> None:
        """Cancel and wait for a running worker (window closing)."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()

    # -- private --------------------------------------------------------------------------------
    def _run(self, label: str, job: Any, done: Any) -> None:
        worker = Worker(job, self)
        progress = QProgressDialog(label, "Cancel", 0, PROGRESS_STEPS, self.window)
        progress.setWindowTitle("Opening")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        progress.canceled.connect(worker.cancel)
        worker.progressed.connect(lambda f: progress.setValue(int(max(0.0, min(1.0, f)) * PROGRESS_STEPS)))
        worker.finished.connect(done)
        worker.failed.connect(self._on_worker_failed)
        self.worker, self.progress = worker, progress
        worker.start(synchronous=not imaging_load_available())

    def _finish_worker(self) -> None:
        if self.progress is not None:
            self.progress.reset()
            self.progress.deleteLater()
        if self.worker is not None:
            self.worker.deleteLater()
        self.worker, self.progress = None, None

    def _on_scan_done(self, outcome: ScanOutcome) -> None:
        self._finish_worker()
        loadable = [s for s in outcome.series if s.loadable]
        if not loadable:
            reasons = "\n".join(
                printable(f"• {s.description or s.series_uid}: {s.refusal}") for s in outcome.series
            )
            self._fail(f"Nothing under {self.path} can be opened as a CT volume.\n{reasons}".strip())
            return
        if len(outcome.series) == 1:
            self.load_series(loadable[0].series_uid)
            return
        from app.series_picker import SeriesPickerDialog

        picker = SeriesPickerDialog(outcome.series, self.window)
        if picker.exec() != QDialog.DialogCode.Accepted or picker.selected_uid() is None:
            return
        self.load_series(picker.selected_uid())

    def _on_load_done(self, outcome: LoadOutcome) -> None:
        self._finish_worker()
        # a case being opened is shown only on the images it was planned on
        problem = self.window.case.refuse_pending(outcome.volume)
        if problem is not None:
            dialogs.show_error(self.window, "Cannot open the case", problem)
            self.failed.emit(problem)
            return
        self.show_volume(outcome.volume, outcome.report_lines)

    def show_volume(self, volume: Volume, report_lines: tuple[str, ...] | list[str] = ()) -> None:
        """Show a loaded volume (also used by the case controller)."""
        self.window.state.set_volume(volume)  # clears the layers of the previous image
        self.window.case.set_volume(volume)  # then the case's layers are shown on this one
        self.window.show_import_warnings(list(report_lines))
        if self.path is not None:
            self.window.add_recent(self.path)
        self.last_load_s = time.perf_counter() - self._started
        self.volume_loaded.emit(volume)

    def _on_worker_failed(self, exc: object) -> None:
        self._finish_worker()
        self.window.case.forget_pending()
        if isinstance(exc, ImportCancelledError):
            self.window.statusBar().showMessage("Import cancelled", 5000)
            return
        if isinstance(exc, (ImagingError, OSError)):
            self._fail(str(exc))
            return
        log.error("unexpected error while opening an image", exc_info=exc)  # type: ignore[arg-type]
        self._fail(f"The images could not be opened ({type(exc).__name__}). Details are in the log.")

    def _fail(self, message: str) -> None:
        dialogs.show_error(self.window, "Cannot open", message)
        self.failed.emit(message)
