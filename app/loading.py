"""Opening images off the GUI thread: a generic worker thread with progress and cancel.

``scan_path`` and ``load_path`` call :mod:`imaging.load` (``scan`` / ``load_volume``). While that
module is missing from a checkout, a minimal SimpleITK reader stands in (one series per folder,
NIfTI/NRRD/MHA files) so the window still opens images; the import report then says so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from imaging.errors import ImportCancelledError, NotAVolumeError
from imaging.report import ImportReport
from imaging.volume import SeriesMetadata, Volume, affine_from_geometry

Progress = Callable[[float], None]


def imaging_load_available() -> bool:
    """True when :mod:`imaging.load` exists (else the fallback reader is used)."""
    try:
        from imaging import load  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class SeriesEntry:
    """What the series picker shows of one series (from ``imaging.load.SeriesInfo``)."""

    series_uid: str
    description: str
    modality: str
    shape: tuple[int, int, int]
    spacing_mm: tuple[float, float, float]
    warnings: tuple[str, ...] = ()
    loadable: bool = True
    refusal: str = ""
    info: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ScanOutcome:
    """Series found under a path, and the import report."""

    series: tuple[SeriesEntry, ...]
    report_lines: tuple[str, ...]


@dataclass(frozen=True)
class LoadOutcome:
    """A loaded volume and the import report's sentences."""

    volume: Volume
    report_lines: tuple[str, ...]


def scan_path(
    path: Path, progress: Progress | None = None, cancel: threading.Event | None = None
) -> ScanOutcome:
    """List the series under a file or folder.

    Raises
    ------
    imaging.errors.ImagingError
        When nothing readable is there.
    """
    try:
        from imaging import load as imaging_load
    except ImportError:
        return _fallback_scan(path)
    result = imaging_load.scan(path, progress=progress, cancel=cancel)
    entries = tuple(
        SeriesEntry(
            series_uid=str(s.series_uid),
            description=str(getattr(s, "description", "")),
            modality=str(getattr(s, "modality", "")),
            shape=tuple(int(v) for v in s.shape),  # type: ignore[arg-type]
            spacing_mm=tuple(float(v) for v in s.spacing_mm),  # type: ignore[arg-type]
            warnings=tuple(str(w) for w in getattr(s, "warnings", ())),
            loadable=bool(getattr(s, "loadable", True)),
            refusal=str(getattr(s, "refusal", "") or ""),
            info=s,
        )
        for s in result.series
    )
    return ScanOutcome(entries, tuple(_report_lines(result.report)))


def load_path(
    path: Path,
    series_uid: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> LoadOutcome:
    """Load one series (or the only one) under a path as a Volume in HU.

    Raises
    ------
    imaging.errors.ImagingError
        When it cannot be used (the message says why).
    """
    try:
        from imaging import load as imaging_load
    except ImportError:
        return _fallback_load(path, cancel)
    from imaging.volume_digest import keep_digest

    result = imaging_load.load_volume(path, series_uid=series_uid, progress=progress, cancel=cancel)
    # in this (worker) thread: a case made or reopened on the volume checks its images by it
    keep_digest(result.volume)
    return LoadOutcome(result.volume, tuple(_report_lines(result.report)))


def _report_lines(report: Any) -> list[str]:
    if report is None:
        return []
    if isinstance(report, ImportReport) or hasattr(report, "lines"):
        return [str(line) for line in report.lines()]
    return [str(line) for line in getattr(report, "warnings", [])]


class _Runner(QObject):
    finished = Signal(object)
    failed = Signal(object)
    progressed = Signal(float)

    def __init__(self, job: Callable[[Progress, threading.Event], Any], cancel: threading.Event) -> None:
        super().__init__()
        self._job = job
        self._cancel = cancel

    @Slot()
    def run(self) -> None:
        try:
            value = self._job(self.progressed.emit, self._cancel)
        except Exception as exc:  # handed to the GUI thread, which decides what to show
            self.failed.emit(exc)
            return
        finally:
            # the thread ends with the job, not when the GUI thread gets round to quitting it: a GUI
            # thread waiting for it (a closing window) would otherwise wait its whole timeout
            QThread.currentThread().quit()
        self.finished.emit(value)


#: the threads (with their runners) of jobs started and not yet seen to end by their Worker. A QThread
#: destroyed while it runs aborts the whole process (Qt's fatal "destroyed while thread is still
#: running"): a window closed while a job runs past its wait (a vertebra search on busy cores) deletes
#: its Workers, and Python would then free their threads; held here, such a thread runs its job to its
#: end (the job was cancelled) and is freed at exit, no longer running.
_RUNNING: set[tuple[QThread, QObject]] = set()


class Worker(QObject):
    """Runs one job in a QThread; emits ``finished(value)`` or ``failed(exception)`` in the GUI thread.

    The job receives ``progress(fraction)`` and a ``cancel`` Event. ``cancel()`` sets the event; the
    job is expected to raise :class:`ImportCancelledError` soon after. The thread outlives its Worker
    when the Worker is deleted while the job runs (``_RUNNING``).
    """

    finished = Signal(object)
    failed = Signal(object)
    progressed = Signal(float)

    def __init__(
        self, job: Callable[[Progress, threading.Event], Any], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.cancel_event = threading.Event()
        self._thread = QThread()
        self._runner = _Runner(job, self.cancel_event)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.finished.connect(self._on_runner_finished)
        self._runner.failed.connect(self._on_runner_failed)
        self._runner.progressed.connect(self.progressed)

    def start(self, *, synchronous: bool = False) -> None:
        """Start the job; ``synchronous`` runs it now in this thread (signals still arrive later).

        The SimpleITK fallback reader runs synchronously: its GetGDCMSeriesIDs crashed the
        interpreter (a refcount error) when called from a worker thread.
        """
        if not synchronous:
            _RUNNING.add((self._thread, self._runner))
            self._thread.start()
            return
        from PySide6.QtCore import QTimer

        try:
            value = self._runner._job(self.progressed.emit, self.cancel_event)
        except Exception as exc:  # same contract as the threaded path
            error = exc
            QTimer.singleShot(0, lambda: self.failed.emit(error))
            return
        QTimer.singleShot(0, lambda: self.finished.emit(value))

    def cancel(self) -> None:
        """Ask the job to stop."""
        self.cancel_event.set()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Wait for the thread to end (tests, shutdown)."""
        return bool(self._thread.wait(timeout_ms))

    def _stop_thread(self) -> None:
        self._thread.quit()
        self._thread.wait()
        _RUNNING.discard((self._thread, self._runner))

    def _on_runner_finished(self, value: object) -> None:
        self._stop_thread()
        self.finished.emit(value)

    def _on_runner_failed(self, exc: object) -> None:
        self._stop_thread()
        self.failed.emit(exc)


# -- fallback reader (until imaging.load exists) --------------------------------------------------
_FALLBACK_NOTE = "read with the minimal fallback reader (imaging.load is not available)"


def _fallback_scan(path: Path) -> ScanOutcome:
    volume = _fallback_read(path, None).volume
    entry = SeriesEntry(
        series_uid=volume.metadata.series_uid or path.name,
        description=volume.metadata.description,
        modality=volume.metadata.modality,
        shape=volume.shape,
        spacing_mm=volume.spacing_mm,
    )
    return ScanOutcome((entry,), (_FALLBACK_NOTE,))


def _fallback_load(path: Path, cancel: threading.Event | None) -> LoadOutcome:
    if cancel is not None and cancel.is_set():
        raise ImportCancelledError()
    return _fallback_read(path, cancel)


def _fallback_read(path: Path, cancel: threading.Event | None) -> LoadOutcome:
    import SimpleITK as sitk  # noqa: N813  (the library's usual name)

    path = Path(path)
    if path.is_dir():
        uids = sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(path))
        if not uids:
            raise NotAVolumeError(f"no DICOM series found in {path}")
        files = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(path), uids[0])
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(files)
        reader.SetOutputPixelType(sitk.sitkInt16)
        image = reader.Execute()
        uid = str(uids[0])
    else:
        image = sitk.ReadImage(str(path))
        uid = ""
    if cancel is not None and cancel.is_set():
        raise ImportCancelledError()
    if image.GetDimension() != 3 or image.GetSize()[2] < 2:
        raise NotAVolumeError(f"{path.name} is not a 3D volume")
    array = sitk.GetArrayFromImage(image)
    sx, sy, sz = image.GetSpacing()
    direction = np.asarray(image.GetDirection(), dtype=np.float64).reshape(3, 3)
    i2l = affine_from_geometry(image.GetOrigin(), (sz, sy, sx), direction)
    meta = SeriesMetadata(series_uid=uid, description=path.name, source_path=str(path))
    return LoadOutcome(Volume(array, i2l, metadata=meta), (_FALLBACK_NOTE,))


def wait_until(predicate: Callable[[], bool], timeout_ms: int) -> bool:
    """Run the Qt event loop until ``predicate()`` is true or the time is up; returns ``predicate()``.

    A nested QEventLoop polled by a timer, rather than repeated ``processEvents(flags, ms)``: that
    overload leaked a reference to None per call in PySide6 6.12 (Python 3.11 then aborted with
    "deallocating None" after a few thousand calls).
    """
    from PySide6.QtCore import QEventLoop, QTimer

    if predicate():
        return True
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(10)
    poll.timeout.connect(lambda: loop.quit() if predicate() else None)
    give_up = QTimer()
    give_up.setSingleShot(True)
    give_up.timeout.connect(loop.quit)
    poll.start()
    give_up.start(timeout_ms)
    loop.exec()
    poll.stop()
    give_up.stop()
    return predicate()
