"""The Lesions dock's figures, measured again off the GUI thread a moment after the operator last edited
a lesion's mask (a stroke is many dabs: the figures are measured once it pauses).

:class:`FigureMeasuring` runs :meth:`app.segmentation.lesion_figures.LesionFigures.pending` measures in a
:class:`app.loading.Worker`, stores what they give in the controller's figure cache, and tells the dock
to rebuild its table. Moved out of app/segmentation/lesion_panel.py (QA s24 D17: the file had grown past
the house's length); behaviour unchanged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from app.segmentation.lesion_figures import Figures
from imaging.lesion_errors import SegmentationCancelledError
from planning.model import Target

if TYPE_CHECKING:
    from app.loading import Worker
    from app.segmentation.controller import SegmentationController

log = logging.getLogger(__name__)

#: the figures are measured again this long after the last change of a mask (a stroke is many dabs)
MEASURE_DELAY_MS = 300

Todo = list[tuple[str, tuple[object, ...], Callable[[], Figures]]]


class FigureMeasuring(QObject):
    """Measures the listed lesions whose figures are out of date, in a worker; ``done`` is called (on the
    GUI thread) when their figures are stored."""

    def __init__(
        self,
        controller: SegmentationController,
        targets: Callable[[], list[Target]],
        done: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.figures = controller.lesion_figures
        self._targets = targets
        self._done = done
        self.worker: Worker | None = None  # measuring the figures, off the GUI thread
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(MEASURE_DELAY_MS)
        self.timer.timeout.connect(self.measure_now)

    def later(self) -> None:
        """Measure once the operator pauses: not on every dab of a stroke."""
        self.timer.start()

    def measure_now(self) -> None:
        """Measure, in a worker, every lesion whose figures are not up to date; ``done`` when stored.

        While a measurement runs nothing new starts: when it ends, the table is rebuilt, and rows whose
        mask changed meanwhile are measured again after the usual pause.
        """
        volume = self.controller.volume()
        if volume is None or self.worker is not None:
            return
        case = self.controller.window.case.case
        targets = self._targets()
        self.figures.forget_others({t.name for t in targets})
        todo = self.figures.pending(volume, case, targets)
        if not todo:
            return

        def job(progress: Callable[[float], None], cancel: threading.Event) -> Any:
            out = []
            for i, (name, key, measure) in enumerate(todo):
                if cancel.is_set():
                    raise SegmentationCancelledError()
                out.append((name, key, measure()))
                progress((i + 1) / len(todo))
            return out

        from app.loading import Worker

        self.worker = Worker(job, self)
        self.worker.finished.connect(self._on_worker_finished)
        self.worker.failed.connect(lambda exc: self._on_worker_failed(exc, todo))
        self.worker.start()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Run the event loop until no measurement runs or waits for a pause (tests); True if so."""
        from app.loading import wait_until

        return wait_until(lambda: self.worker is None and not self.timer.isActive(), timeout_ms)

    def shutdown(self) -> None:
        """Stop a running measurement and wait for it (the window is closing)."""
        self.timer.stop()
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()

    def _on_worker_finished(self, results: list[tuple[str, tuple[object, ...], Figures]]) -> None:
        self.worker = None
        for name, key, figures in results:
            self.figures.store(name, key, figures)
        self._done()
        self.controller.figures_measured.emit()

    def _on_worker_failed(self, exc: object, todo: Todo) -> None:
        self.worker = None
        if isinstance(exc, SegmentationCancelledError):
            return
        # a bug, not bad input (measure() turns those into a reason): kept as the rows' reason so the
        # rows are not measured again and again
        log.error("measuring the lesions failed", exc_info=exc)  # type: ignore[arg-type]
        reason = f"could not be measured ({type(exc).__name__}); details are in the log"
        for name, key, _measure in todo:
            self.figures.store(name, key, Figures(None, reason))
        self._done()
