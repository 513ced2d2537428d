"""The vertebra anatomy of the case's spinal targets, found in the background and kept in memory.

The anatomy (body, canal, pedicle axes with their narrowest width and isthmus, pedicle masks, foramina)
a target's planning uses is the vertebra the operator sees: the one in the case's layers, found from the
Vertebra tool's own click kept with its body layer (:mod:`app.planning_ui.target_vertebra`), with the
layers' masks in place of its own. :func:`imaging.vertebra.find_vertebra` gives the same anatomy from
the same point on the same image, so the axes and widths are not saved in the case file: when a case
opens, the anatomy of every spinal target that has needles is found again in a worker (about 1-2 s a
vertebra on a real CT) with its neural foramina, so the needles' pedicle readouts and the coverage's
foramina warning come back as they were without the operator proposing again. A vertebra found again
that is not the one in the layers (a case saved before the click was kept, whose target holds the
body's centroid) is refused with a reason rather than used. A result is kept with the point it was found
from and is used only while the target's vertebra keeps that point. Positions LPS mm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.planning_ui.target_vertebra import (
    VertebraSource,
    group_masks,
    same_vertebra,
    vertebra_source,
    with_case_layers,
)

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from imaging.vertebra_model import VertebraAnatomy

log = logging.getLogger("osteoplan.gui")

Point = tuple[float, float, float]

#: the status bar's words while a search runs (its result replaces only these, or an empty bar)
FINDING = "Finding the vertebra of {}…"


class VertebraMismatchError(Exception):
    """The vertebra found again from a target's saved point is not the one in the case's layers."""


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
        #: target -> (the point it was found from, the anatomy with the layer masks it was found with)
        self._anatomy: dict[str, tuple[Point, VertebraAnatomy]] = {}
        #: target -> (ids of the layer masks, the anatomy with them): the last overlay of edited layers
        self._overlaid: dict[str, tuple[tuple[int, ...], VertebraAnatomy]] = {}
        self._workers: dict[str, Any] = {}
        self._waiting: dict[str, list[Callable[[Any], None]]] = {}
        #: the point each target's last search failed from (not searched again by itself), and why
        self._failed: dict[str, tuple[Point, str]] = {}
        #: bumped when the case is replaced: results of workers started for an older case are dropped
        self._generation = 0
        #: set when the window closes: no search starts after it (a dock refreshed by the cancelled
        #: search's end asked again, and that thread outlived the window: QA s17 V item C)
        self._closed = False

    def source(self, target_name: str) -> VertebraSource | None:
        """Where the target's anatomy comes from (None: no target, no volume, or no vertebra)."""
        target = self.window.case.case.targets.get(target_name)
        vol = self.window.case.volume
        if target is None or vol is None:
            return None
        return vertebra_source(self.window.case.case, vol, target)

    def anatomy(self, target_name: str) -> VertebraAnatomy | None:
        """The target's vertebra as the case's layers show it (None: not yet / not spinal / refused)."""
        src = self.source(target_name)
        got = self._anatomy.get(target_name)
        vol = self.window.case.volume
        if src is None or got is None or vol is None or got[0] != src.click_lps:
            return None
        masks = group_masks(src, vol)
        key = tuple(id(m.array) for m in masks.values())
        overlaid = self._overlaid.get(target_name)
        if overlaid is None or overlaid[0] != key:
            overlaid = (key, with_case_layers(got[1], masks, vol.voxel_volume_ml))
            self._overlaid[target_name] = overlaid
        return overlaid[1]

    def pending(self, target_name: str) -> bool:
        """True while the target's vertebra is being looked for."""
        return target_name in self._workers

    def failure(self, target_name: str) -> str | None:
        """Why the last search for the target's vertebra (from its current point) failed, else None."""
        src = self.source(target_name)
        failed = self._failed.get(target_name)
        return None if src is None or failed is None or failed[0] != src.click_lps else failed[1]

    def request(self, target_name: str, then: Callable[[Any], None] | None = None) -> bool:
        """Find the target's vertebra in a worker; ``then(anatomy | exception)`` afterwards.

        Every caller waiting for the same target is called back once the search ends. Returns False
        when the target has no vertebra or no volume is open.
        """
        if self._closed:
            return False
        src = self.source(target_name)
        vol = self.window.case.volume
        if src is None or vol is None:
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
        from imaging.vertebra import AnatomyCancelledError, find_vertebra

        target = self.window.case.case.targets[target_name]
        click = src.click_lps
        level = target.level or None
        masks = group_masks(src, vol)
        shown = masks.get("body")
        checked = not src.from_layers  # the tool's own click needs no check: the same point, the same result

        def job(progress: Callable[[float], None], cancel: Any) -> Any:
            from imaging.vertebra_foramina import with_foramina

            found = find_vertebra(vol, click, level_hint=level, progress=progress, cancel=cancel)
            if checked and not same_vertebra(found.body, shown):
                raise VertebraMismatchError(_mismatch_text(src.name))
            anatomy = with_case_layers(found, masks, vol.voxel_volume_ml)
            return with_foramina(vol, anatomy)  # for the heat distance to the foramina

        worker = Worker(job, self)
        generation = self._generation
        self._workers[target_name] = worker
        self._failed.pop(target_name, None)
        status = self.window.statusBar()
        finding = FINDING.format(target_name)
        if status.currentMessage() == "":
            # never over what the operator was just told (a vertebra's figures and warnings, found the
            # moment before: QA s17 V item C); the docks show the search running
            status.showMessage(finding)

        def done(value: object) -> None:
            worker.deleteLater()
            if generation != self._generation:
                return  # a search for a case that has been closed since
            self._workers.pop(target_name, None)
            self._anatomy[target_name] = (click, value)  # type: ignore[assignment]
            self._overlaid.pop(target_name, None)
            differ = "" if src.from_layers else _widths_differ(src, value)  # type: ignore[arg-type]
            if differ:
                # an older case: the same vertebra, found from another point; say it, do not hide it
                _say_after(
                    status,
                    finding,
                    f"Vertebra of {target_name} found again from the point an earlier version saved; its "
                    f"pedicle widths differ from the Vertebrae dock's ({differ}): for one set of figures, "
                    "delete that vertebra's layers and click it again with the Vertebra tool (V)",
                    12000,
                    keep=True,
                )
            else:
                _say_after(status, finding, f"Vertebra of {target_name} found", 4000)
            self.found.emit(target_name)
            for callback in self._waiting.pop(target_name, []):
                callback(value)

        def failed(exc: object) -> None:
            worker.deleteLater()
            if generation != self._generation:
                return
            self._workers.pop(target_name, None)
            if isinstance(exc, AnatomyCancelledError):
                # stopped (the window closing), not a failure: said so, and searched again when asked
                _say_after(status, finding, f"Finding the vertebra of {target_name} was cancelled", 4000)
                log.info("vertebra search cancelled")
            else:
                self._failed[target_name] = (click, str(exc))
                _say_after(status, finding, f"Vertebra of {target_name} not found: {exc}", 12000, keep=True)
                log.info("vertebra not found: %s", exc)
            self.found.emit(target_name)  # the docks say it is not known rather than "being found"
            for callback in self._waiting.pop(target_name, []):
                callback(exc)

        worker.finished.connect(done)
        worker.failed.connect(failed)
        worker.start()
        return True

    def request_if_new(self, target_name: str) -> bool:
        """Find the target's vertebra unless it is known, being found, or its search from the same
        point failed (the operator's Propose asks again). True when a search was started."""
        src = self.source(target_name)
        if src is None or self.anatomy(target_name) is not None:
            return False
        if target_name in self._workers or self.failure(target_name) is not None:
            return False
        return self.request(target_name)

    def find_for_needles(self) -> list[str]:
        """Start finding the vertebra of every spinal target with a needle (a case just opened);
        returns the targets searched for."""
        case = self.window.case.case
        names = dict.fromkeys(t.target for t in case.trajectories.values())
        return [name for name in names if self.request_if_new(name)]

    def set(self, target_name: str, anatomy: VertebraAnatomy) -> bool:
        """Use an anatomy found elsewhere (tests); False when the target has no vertebra."""
        src = self.source(target_name)
        if src is None:
            return False
        self._anatomy[target_name] = (src.click_lps, anatomy)
        self._overlaid.pop(target_name, None)
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
        self._overlaid.clear()

    def shutdown(self) -> None:
        """Stop the workers (window closing); no search starts after."""
        self._closed = True
        for worker in list(self._workers.values()):
            worker.cancel()
            worker.wait(5000)
        self._workers.clear()


def _mismatch_text(name: str) -> str:
    return (
        f"the vertebra found from the point saved with this lesion is not {name} as shown (a case saved "
        "by an earlier version keeps the body's centre, not your click); its pedicles are not known: delete "
        "that vertebra's layers and click the vertebra again with the Vertebra tool (V)"
    )


#: pedicle widths found again within this of the Vertebrae dock's figure (kept unrounded; to 0.01 mm in
#: cases saved before session 29) are the same
WIDTH_SAME_MM = 0.05


def _widths_differ(src: VertebraSource, anatomy: VertebraAnatomy) -> str:
    """The pedicle widths found again that differ from the figures kept with the body layer, as
    "left 9.70 mm vs 9.95 mm" ("" when they agree or there are no figures)."""
    import json

    body = src.layers.get("body")
    raw = None if body is None else body.extra.get("figures")
    try:
        shown = json.loads(raw)["pedicles"] if isinstance(raw, str) else {}
    except (ValueError, KeyError, TypeError):
        return ""
    out = []
    for side, axis in anatomy.pedicles.items():
        fig = shown.get(side.value, {}) if isinstance(shown, dict) else {}
        width = fig.get("min_width_mm") if isinstance(fig, dict) else None
        if isinstance(width, (int, float)) and abs(axis.min_width_mm - width) > WIDTH_SAME_MM:
            out.append(f"{side.value} {axis.min_width_mm:.2f} mm vs {width:.2f} mm")
    return ", ".join(out)


def _say_after(status: Any, ours: str, text: str, timeout_ms: int, *, keep: bool = False) -> None:
    """Show a search's result without hiding what the operator was told meanwhile: it replaces only the
    search's own message or an empty bar; else a failure (``keep``) is added after the message shown,
    and a success is left unsaid (the docks show the vertebra)."""
    current = status.currentMessage()
    if current in ("", ours):
        status.showMessage(text, timeout_ms)
    elif keep:
        status.showMessage(f"{current} — {text}", timeout_ms)
