"""The vertebra anatomy of the case's spinal targets, found in the background and kept in memory.

The anatomy (body, canal, pedicle axes with their narrowest width and isthmus, pedicle masks, foramina)
is a derived result: :func:`imaging.vertebra.find_vertebra` finds it from the target's vertebra click
(``Target.vertebra_lps``, LPS mm) and level on the planning volume, and the same click on the same
image gives the same anatomy. It is therefore not saved in the case file; when a case opens, the
anatomy of every spinal target that has needles is found again in a worker (about 1-2 s a vertebra on
a real CT), with a status message, so the needles' pedicle readouts come back as they were without the
operator proposing again. A result is kept with the click it was found from and is used only while the
target keeps that click.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from imaging.vertebra_model import VertebraAnatomy

log = logging.getLogger("osteoplan.gui")

Point = tuple[float, float, float]


class AnatomyFinder(QObject):
    """Finds and keeps the vertebra anatomy of the window's spinal targets (by target name).

    Signals
    -------
    found(str)
        The anatomy of a target (its name) was found and is now known.
    """

    found = Signal(str)

    def __init__(self, window: MainWindow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self._anatomy: dict[str, tuple[Point, VertebraAnatomy]] = {}
        self._workers: dict[str, Any] = {}
        self._waiting: dict[str, list[Callable[[Any], None]]] = {}
        #: the click each target's last search failed from (not searched again by itself)
        self._failed: dict[str, Point] = {}
        #: bumped when the case is replaced: results of workers started for an older case are dropped
        self._generation = 0

    def anatomy(self, target_name: str) -> VertebraAnatomy | None:
        """The anatomy found from the target's current vertebra click (None: not yet / not spinal)."""
        target = self.window.case.case.targets.get(target_name)
        got = self._anatomy.get(target_name)
        if target is None or got is None or target.vertebra_lps is None or got[0] != target.vertebra_lps:
            return None
        return got[1]

    def pending(self, target_name: str) -> bool:
        """True while the target's vertebra is being looked for."""
        return target_name in self._workers

    def request(self, target_name: str, then: Callable[[Any], None] | None = None) -> bool:
        """Find the target's vertebra in a worker; ``then(anatomy | exception)`` afterwards.

        Every caller waiting for the same target is called back once the search ends. Returns False
        when the target has no vertebra click or no volume is open.
        """
        target = self.window.case.case.targets.get(target_name)
        vol = self.window.case.volume
        if target is None or target.vertebra_lps is None or vol is None:
            return False
        known = self.anatomy(target_name)
        if known is not None:
            if then is not None:
                then(known)
            return True
        if then is not None:
            self._waiting.setdefault(target_name, []).append(then)
        if target_name in self._workers:
            return True
        from app.loading import Worker
        from imaging.vertebra import find_vertebra

        click = target.vertebra_lps
        level = target.level or None

        def job(progress: Callable[[float], None], cancel: Any) -> Any:
            from imaging.vertebra_foramina import with_foramina

            anatomy = find_vertebra(vol, click, level_hint=level, progress=progress, cancel=cancel)
            return with_foramina(vol, anatomy)  # for the heat distance to the foramina

        worker = Worker(job, self)
        generation = self._generation
        self._workers[target_name] = worker
        self._failed.pop(target_name, None)
        status = self.window.statusBar()
        status.showMessage(f"Finding the vertebra of {target_name}…")

        def done(value: object) -> None:
            worker.deleteLater()
            if generation != self._generation:
                return  # a search for a case that has been closed since
            self._workers.pop(target_name, None)
            self._anatomy[target_name] = (click, value)  # type: ignore[assignment]
            status.showMessage(f"Vertebra of {target_name} found", 4000)
            self.found.emit(target_name)
            for callback in self._waiting.pop(target_name, []):
                callback(value)

        def failed(exc: object) -> None:
            worker.deleteLater()
            if generation != self._generation:
                return
            self._workers.pop(target_name, None)
            self._failed[target_name] = click
            status.showMessage(f"Vertebra of {target_name} not found: {exc}", 8000)
            log.info("vertebra not found: %s", exc)
            for callback in self._waiting.pop(target_name, []):
                callback(exc)

        worker.finished.connect(done)
        worker.failed.connect(failed)
        worker.start()
        return True

    def request_if_new(self, target_name: str) -> bool:
        """Find the target's vertebra unless it is known, being found, or its search from the same
        click failed (the operator's Propose asks again). True when a search was started."""
        target = self.window.case.case.targets.get(target_name)
        if target is None or target.vertebra_lps is None or self.anatomy(target_name) is not None:
            return False
        if target_name in self._workers or self._failed.get(target_name) == target.vertebra_lps:
            return False
        return self.request(target_name)

    def find_for_needles(self) -> list[str]:
        """Start finding the vertebra of every spinal target with a needle (a case just opened);
        returns the targets searched for."""
        case = self.window.case.case
        names = dict.fromkeys(t.target for t in case.trajectories.values())
        return [name for name in names if self.request_if_new(name)]

    def set(self, target_name: str, anatomy: VertebraAnatomy) -> bool:
        """Use an anatomy found elsewhere (tests, the vertebra tool); False when the target has no click."""
        target = self.window.case.case.targets.get(target_name)
        if target is None or target.vertebra_lps is None:
            return False
        self._anatomy[target_name] = (target.vertebra_lps, anatomy)
        return True

    def reset(self) -> None:
        """Forget everything (another case opened): running searches are cancelled, their results
        and waiting callers dropped."""
        self._generation += 1
        for worker in self._workers.values():
            worker.cancel()
        self._workers.clear()
        self._waiting.clear()
        self._failed.clear()
        self._anatomy.clear()

    def shutdown(self) -> None:
        """Stop the workers (window closing)."""
        for worker in list(self._workers.values()):
            worker.cancel()
            worker.wait(5000)
        self._workers.clear()
