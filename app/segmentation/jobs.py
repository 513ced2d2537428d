"""One background job at a time for the segmentation tools, with a busy bar and a Cancel button.

Segmentation and anatomy run in :class:`app.loading.Worker` threads (they take 0.3-5 s). While a job
runs, the status bar shows what runs, a progress bar (fraction 0-1 reported by the imaging function)
and a Cancel button; the imaging function receives the cancel Event and raises its own
"cancelled" error. Only the GUI thread changes the Case: ``done(value)`` runs there. A sentence that
warns (a lesion that may be larger than its mask) shows in amber, and longer, until another message
replaces it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QProgressBar, QToolButton

from app.loading import Worker
from app.theme import AMBER
from imaging.errors import ImagingError

if TYPE_CHECKING:
    from app.main_window import MainWindow

log = logging.getLogger("osteoplan.gui")

Job = Callable[[Callable[[float], None], threading.Event], Any]
PROGRESS_STEPS = 100
#: how long a refusal stays in the status bar (ms)
MESSAGE_MS = 12_000
#: a warning stays longer: it asks the operator to check something (it is kept on the lesion's row too)
WARNING_MS = 30_000
#: the status bar's style while a warning shows
WARNING_STYLE = f"QStatusBar {{ {AMBER} }}"


class JobRunner(QObject):
    """Runs segmentation jobs off the GUI thread, one at a time.

    Signals
    -------
    busy_changed(bool)
        A job started (True) or ended (False).
    message(str)
        A plain sentence for the operator (refusal, cancellation, result).
    """

    busy_changed = Signal(bool)
    message = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.worker: Worker | None = None
        self.label = ""
        self.bar = QProgressBar()
        self.bar.setRange(0, PROGRESS_STEPS)
        self.bar.setMaximumWidth(160)
        self.bar.setToolTip("Segmentation running in the background")
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop the segmentation that is running")
        self.cancel_button.clicked.connect(self.cancel)
        window.statusBar().addPermanentWidget(self.bar)
        window.statusBar().addPermanentWidget(self.cancel_button)
        self.bar.hide()
        self.cancel_button.hide()
        self.last_message = ""
        #: the whole text of the last sentence when it was a short line ("" otherwise)
        self.last_detail = ""
        #: True when the last sentence said was a warning (shown in amber)
        self.last_warning = False
        self._status_style = window.statusBar().styleSheet()
        self._warning_text: str | None = None
        window.statusBar().messageChanged.connect(self._on_status_message_changed)

    @property
    def busy(self) -> bool:
        """True while a job runs."""
        return self.worker is not None

    def run(self, label: str, job: Job, done: Callable[[Any], None]) -> bool:
        """Start ``job``; ``done(value)`` runs in the GUI thread when it succeeds.

        Returns False (and says so) when another job is still running.
        """
        if self.worker is not None:
            self.say(f"{self.label} is still running: wait for it or cancel it first.")
            return False
        worker = Worker(job, self)
        worker.progressed.connect(self._on_worker_progressed)
        worker.finished.connect(lambda value: self._on_worker_finished(value, done))
        worker.failed.connect(self._on_worker_failed)
        self.worker, self.label = worker, label
        self.bar.setValue(0)
        self.bar.setFormat(f"{label} %p%")
        self.bar.show()
        self.cancel_button.show()
        self.window.statusBar().showMessage(f"{label}…")
        self.busy_changed.emit(True)
        worker.start()
        return True

    def cancel(self) -> None:
        """Ask the running job to stop."""
        if self.worker is not None:
            self.worker.cancel()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Wait for the running job's thread (shutdown, tests)."""
        return True if self.worker is None else self.worker.wait(timeout_ms)

    def say(self, text: str, *, warning: bool = False, detail: str = "", emit: bool = True) -> None:
        """Show a sentence in the status bar (and emit it); a ``warning`` in amber, for longer. ``detail``:
        the whole text of a short line, in the status bar's tooltip until the next sentence. ``emit``
        False: the status bar only, for a dock that shows the sentence itself (the Lesions dock shows
        what is emitted: a vertebra's naming is not about a lesion)."""
        self.last_message = text
        self.last_warning = warning
        self.last_detail = detail
        bar = self.window.statusBar()
        bar.setToolTip(detail)
        self._warning_text = text if warning else None
        bar.setStyleSheet(WARNING_STYLE if warning else self._status_style)
        bar.showMessage(text, WARNING_MS if warning else MESSAGE_MS)
        if emit:
            self.message.emit(text)

    # -- private --------------------------------------------------------------------------------
    def _finish(self) -> None:
        if self.worker is not None:
            self.worker.deleteLater()
        self.worker = None
        self.bar.hide()
        self.cancel_button.hide()
        self.window.statusBar().clearMessage()
        self.busy_changed.emit(False)

    def _on_status_message_changed(self, text: str) -> None:
        if self._warning_text is not None and text != self._warning_text:
            # another message (or none) replaced the warning: it is not amber
            self._warning_text = None
            self.window.statusBar().setStyleSheet(self._status_style)

    def _on_worker_progressed(self, fraction: float) -> None:
        self.bar.setValue(round(max(0.0, min(1.0, fraction)) * PROGRESS_STEPS))

    def _on_worker_finished(self, value: Any, done: Callable[[Any], None]) -> None:
        self._finish()
        done(value)

    def _on_worker_failed(self, exc: object) -> None:
        cancelled = self.worker is not None and self.worker.cancel_event.is_set()
        label = self.label
        self._finish()
        if cancelled:
            self.say(f"{label} cancelled.")
        elif isinstance(exc, (ImagingError, ValueError)):
            self.say(f"{label}: {exc}")
        else:
            log.error("unexpected error in %s", label, exc_info=exc)  # type: ignore[arg-type]
            self.say(f"{label} failed ({type(exc).__name__}); details are in the log.")
