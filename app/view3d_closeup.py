"""The 3D view's close-up: the bone surface around the point looked at, at the data's full resolution.

The whole-volume bone surface (:mod:`app.view3d`) is extracted on a grid of at most ``SURFACE_MAX_DIM``
voxels a side: every third voxel of a 512x512 CT, so a pedicle's cortex is a few coarse facets. When
the camera looks at a point through a narrow field (3D > Centre on the crosshair, or zoomed in), a
box around that point is extracted from the display grid at its own spacing in a worker thread; the
coarse surface is cut away inside the same box and the two are shown together. Zooming out past
``CLOSEUP_MAX_FIELD_MM`` or resetting the camera brings the coarse surface back whole.

Software OpenGL (llvmpipe) draws a frame in time proportional to its triangles, so there the box
shrinks until the fine surface has at most ``SOFTWARE_GL_CLOSEUP_TRIANGLES`` (not below
``CLOSEUP_MIN_BOX_MM``), and the whole coarse surface is drawn while the camera moves, the close-up
once it stops. A GPU gets the full box and the close-up while moving.

Frames and units: LPS mm. Both surfaces take their vertices from the display grid's ``index_to_lps``
(voxel centres), as the needles and the 2D views do, so the fine surface lies where the coarse one
and the needles say the bone is (no half-voxel offset: see tests/app/test_view3d_closeup.py).
The grid box and its VTK surfaces, shared with the whole-volume surface, are in :mod:`app.view3d_grid_box`;
this module chooses the box, builds the close-up in a worker and swaps the actors.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject

from app.display_geometry import DisplayVolume
from app.loading import Worker
from app.view3d_grid_box import (
    GridBox,
    cut_out_box,
    grid_box,
    image_data_from_box,
    iso_surface,
)

log = logging.getLogger("osteoplan.gui")

#: side of the close-up box (mm): a vertebra with both pedicles and the posterior elements around the
#: target (adult thoracolumbar bodies are roughly 30-50 mm across: common anatomy, not a CLINICAL.md
#: figure; the needle's course through the pedicle, 4.5-9.3 mm wide at T1-T12 in CLINICAL.md, lies
#: within it); the centred field (``CENTRED_FIELD_MM``, 140 mm) keeps the coarse surface around it
CLOSEUP_BOX_MM = 90.0
#: the close-up shows while the view's height covers this many mm or less, so that its box fills at least
#: half the view: the centred field (140 mm) and one wheel step out (VTK's trackball dollies 1.21x a step).
#: Wider, the coarse surface's facets are no longer the limit at screen size.
CLOSEUP_MAX_FIELD_MM = 2.0 * CLOSEUP_BOX_MM
#: at most this many voxels along a side of the box: a 90 mm box at 0.35 mm spacing; thinner data is
#: strided (a 256^3 int16 box is 32 MB; flying edges took 0.8 s on it here, 2 cores, for a trabecular-like
#: texture straddling the threshold everywhere: 10 million triangles, the worst case)
CLOSEUP_MAX_DIM = 256
#: a new box is extracted once the point looked at is this fraction of the box side from its centre
#: (a pan); rotating and zooming about the same point keep the box
RECENTRE_FRACTION = 0.25
#: on software OpenGL the close-up keeps to about this many triangles by shrinking its box: llvmpipe
#: draws a frame in roughly 90 ms plus 0.55 ms per thousand triangles (DESIGN.md: 91k triangles 142 ms,
#: 910k 587 ms), so with the coarse surface around it a still frame stays under about 200 ms
#: (tests/benchmarks/bench_closeup.py: 140-170 ms on the chest CT here, against 210-375 ms for the
#: unlimited 90 mm box's 142k triangles). A GPU has no limit. Those frames were drawn with 4x multisampling;
#: app.view3d now turns it off on software GL (SOFTWARE_GL_MULTISAMPLES), which about halves them
#: (bench_closeup: close-up frame 91-146 ms, first close-up frame 105-188 ms under load 5-6); the limit
#: is kept, the margin left for loaded machines.
SOFTWARE_GL_CLOSEUP_TRIANGLES = 100_000
#: the box never shrinks below this side (mm): about one vertebral body (see ``CLOSEUP_BOX_MM``)
CLOSEUP_MIN_BOX_MM = 50.0

__all__ = [
    "CLOSEUP_BOX_MM",
    "CLOSEUP_MAX_DIM",
    "CLOSEUP_MAX_FIELD_MM",
    "CLOSEUP_MIN_BOX_MM",
    "SOFTWARE_GL_CLOSEUP_TRIANGLES",
    "CloseUpResult",
    "CloseUpSurface",
    "GridBox",
    "build_closeup",
    "closeup_box",
    "cut_out_box",
    "grid_box",
    "image_data_from_box",
    "iso_surface",
]


@dataclass(frozen=True)
class CloseUpResult:
    """What a close-up job made: the fine surface, the coarse surface outside the box, and timings (s)."""

    box: GridBox
    box_mm: float
    threshold_hu: float
    fine: Any
    coarse_outside: Any
    extract_s: float
    cut_s: float


def closeup_box(
    display: DisplayVolume,
    centre_lps: Sequence[float],
    box_mm: float = CLOSEUP_BOX_MM,
    max_dim: int = CLOSEUP_MAX_DIM,
) -> GridBox | None:
    """The display-grid box of side ``box_mm`` around ``centre_lps``, clamped to the grid.

    Returns None when the box misses the grid or is thinner than two voxels along an axis (no surface).
    """
    if box_mm <= 0 or max_dim < 2:
        raise ValueError(f'Arguments "box_mm" and "max_dim" must be positive, got {box_mm}, {max_dim}')
    centre = np.asarray(centre_lps, dtype=np.float64)
    index = display.volume.lps_to_index_points(centre)
    half = (box_mm / 2.0) / np.asarray(display.spacing_mm, dtype=np.float64)
    shape = np.asarray(display.shape)
    lo = np.maximum(np.floor(index - half), 0).astype(int)
    hi = np.minimum(np.ceil(index + half), shape - 1).astype(int)
    if np.any(hi - lo < 1):
        return None
    step = max(1, int(np.ceil((int(np.max(hi - lo)) + 1) / max_dim)))
    box = grid_box(display, lo, hi, step, centre)
    return None if min(box.shape) < 2 else box


def build_closeup(
    display: DisplayVolume,
    coarse: Any,
    centre_lps: Sequence[float],
    threshold_hu: float,
    cancel: threading.Event | None = None,
    *,
    box_mm: float = CLOSEUP_BOX_MM,
    max_triangles: int | None = None,
) -> CloseUpResult | None:
    """Extract the fine surface in the box around ``centre_lps`` and cut the coarse one out of it.

    Parameters
    ----------
    display
        The display grid.
    coarse
        The whole-volume surface (vtkPolyData); only read. Pass a shallow copy when it is being drawn.
    centre_lps
        The point looked at (mm).
    threshold_hu
        The bone surface's threshold (HU), the coarse surface's.
    cancel
        Checked between the steps; None is returned once it is set.
    box_mm
        Side of the box (mm).
    max_triangles
        When the fine surface has more triangles, the box shrinks (its surface area in proportion, down
        to ``CLOSEUP_MIN_BOX_MM``) and is extracted again. None: no limit.

    Returns
    -------
    CloseUpResult or None
        None when the box misses the volume or the job was cancelled.
    """
    t0 = time.perf_counter()
    side_mm = float(box_mm)
    while True:
        box = closeup_box(display, centre_lps, side_mm)
        if box is None or (cancel is not None and cancel.is_set()):
            return None
        fine = iso_surface(image_data_from_box(display, box), threshold_hu)
        n = int(fine.GetNumberOfPolys())
        if max_triangles is None or n <= max_triangles or side_mm <= CLOSEUP_MIN_BOX_MM:
            break
        # triangles grow with the surface's area, about the side squared; 0.95: land under the limit
        side_mm = max(CLOSEUP_MIN_BOX_MM, side_mm * 0.95 * math.sqrt(max_triangles / n))
    t1 = time.perf_counter()
    if cancel is not None and cancel.is_set():
        return None
    outside = cut_out_box(coarse, box.bounds_lps)
    t2 = time.perf_counter()
    return CloseUpResult(box, side_mm, float(threshold_hu), fine, outside, t1 - t0, t2 - t1)


class CloseUpSurface(QObject):
    """The close-up's actors and its worker, driven by the 3D view.

    The view hands over its coarse bone actor (:meth:`set_coarse`) and calls :meth:`update` with the
    point looked at and the field of view whenever the camera settles; ``on_changed`` is called in
    the GUI thread once the close-up appears or goes (the view renders and updates its status).

    While the close-up is shown the coarse actor is taken out of the renderer and two actors stand in
    for it: the coarse surface cut outside the box and the fine surface inside it. Both share the
    coarse actor's vtkProperty (colour, see-through) and follow its visibility (:meth:`set_visible`);
    the coarse actor itself is never changed. With ``coarse_while_moving`` (software OpenGL, where the
    close-up's extra triangles double or triple a frame) the whole coarse surface is drawn while the
    camera moves (:meth:`begin_motion`, :meth:`end_motion`) and the close-up once it stops.
    """

    def __init__(self, renderer: Any, on_changed: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.renderer = renderer
        self.on_changed = on_changed
        #: the fine surface's actor and the coarse surface cut outside the box (None when not shown)
        self.actor: Any = None
        self.cut_actor: Any = None
        self.result: CloseUpResult | None = None
        #: the operator asked for a close-up and has not reset or zoomed out since
        self.wanted = False
        self.coarse_while_moving = False
        #: triangle limit of the fine surface (``SOFTWARE_GL_CLOSEUP_TRIANGLES`` on software OpenGL)
        self.max_triangles: int | None = None
        self._coarse_actor: Any = None
        self._coarse_step = 1
        self._moving = False
        self._worker: Worker | None = None
        self._pending: tuple[tuple[float, float, float], float] | None = None
        self._generation = 0

    @property
    def busy(self) -> bool:
        """True while a close-up is being extracted."""
        return self._worker is not None

    @property
    def shown(self) -> bool:
        """True when the close-up is in use (drawn, or standing by while the camera moves)."""
        return self.actor is not None

    def set_coarse(self, actor: Any, step: int = 1) -> None:
        """A new coarse bone actor (new volume or threshold; None: none), extracted every ``step`` voxels of
        the display grid: any close-up of the old one goes. The caller puts the new actor in the renderer
        and takes the old one out."""
        self._drop()
        self._coarse_actor = actor
        self._coarse_step = int(step)

    def update(
        self,
        display: DisplayVolume | None,
        focal_lps: Sequence[float],
        field_mm: float,
        threshold_hu: float,
        *,
        ask: bool = False,
    ) -> None:
        """Show, keep, move or drop the close-up for a camera looking at ``focal_lps`` over ``field_mm``.

        ``ask``: the operator narrowed the view onto that point (centred on it, zoomed in); until then,
        and again after :meth:`clear` (reset, zoom out), a narrow field alone shows none.
        """
        if display is None or self._coarse_actor is None or field_mm > CLOSEUP_MAX_FIELD_MM:
            self.clear()
            return
        self.wanted = self.wanted or ask
        if not self.wanted:
            return
        focal = (float(focal_lps[0]), float(focal_lps[1]), float(focal_lps[2]))
        box = closeup_box(display, focal)
        if box is None or box.step >= self._coarse_step:
            self.clear()  # outside the volume, or no finer than the coarse surface already is
            return
        current = self.result
        if current is not None and current.threshold_hu == threshold_hu:
            offset_mm = float(np.max(np.abs(np.subtract(focal, current.box.centre_lps))))
            if offset_mm <= RECENTRE_FRACTION * current.box_mm:
                return
        if self._pending == (focal, threshold_hu):
            return  # that very close-up is on its way
        self._start(display, focal, threshold_hu)

    def clear(self) -> None:
        """Drop the close-up (and any job on its way): the coarse surface whole again."""
        had = self.actor is not None
        self._drop()
        if had and self._coarse_actor is not None:
            self.renderer.AddActor(self._coarse_actor)
            self.on_changed()

    def set_visible(self, on: bool) -> None:
        """Follow the coarse surface's visibility (hidden under volume rendering)."""
        for actor in (self.actor, self.cut_actor):
            if actor is not None:
                actor.SetVisibility(bool(on))

    def begin_motion(self) -> None:
        """The camera starts moving: the whole coarse surface while it moves (``coarse_while_moving``)."""
        self._moving = True
        if self.coarse_while_moving and self.actor is not None:
            self._swap(closeup=False)

    def end_motion(self) -> None:
        """The camera stopped: the close-up again, if one is in use."""
        self._moving = False
        if self.actor is not None:
            self._swap(closeup=True)

    def shutdown(self) -> None:
        """Stop a job on its way (the window closes)."""
        self._generation += 1
        if self._worker is not None:
            self._worker.cancel()
            self._worker.wait()
            self._worker = None

    # -- private ----------------------------------------------------------------------------------
    def _drop(self) -> None:
        """Forget the close-up and any job on its way; the coarse actor is left for the caller."""
        self.wanted = False
        self._generation += 1
        self._pending = None
        if self._worker is not None:
            self._worker.cancel()
        for actor in (self.actor, self.cut_actor):
            if actor is not None:
                self.renderer.RemoveActor(actor)
        self.actor = self.cut_actor = None
        self.result = None

    def _swap(self, *, closeup: bool) -> None:
        """Put the close-up's two actors (``closeup``) or the whole coarse actor in the renderer."""
        pair: list[Any] = [self.cut_actor, self.actor]
        whole: list[Any] = [self._coarse_actor]
        shown, hidden = (pair, whole) if closeup else (whole, pair)
        for actor in hidden:
            self.renderer.RemoveActor(actor)
        for actor in shown:
            if not self.renderer.HasViewProp(actor):
                self.renderer.AddActor(actor)

    def _start(self, display: DisplayVolume, focal: tuple[float, float, float], threshold_hu: float) -> None:
        from vtkmodules.vtkCommonDataModel import vtkPolyData

        self._generation += 1
        generation = self._generation
        self._pending = (focal, threshold_hu)
        # the worker cuts a shallow copy: the drawn polydata is never touched outside the GUI thread
        coarse = vtkPolyData()
        coarse.ShallowCopy(self._coarse_actor.GetMapper().GetInput())
        limit = self.max_triangles

        def job(
            _progress: Callable[[float], None], cancel: threading.Event
        ) -> tuple[int, CloseUpResult | None]:
            return generation, build_closeup(
                display, coarse, focal, threshold_hu, cancel, max_triangles=limit
            )

        if self._worker is not None:
            self._worker.cancel()
        worker = Worker(job, self)
        worker.finished.connect(self._on_worker_finished)
        worker.failed.connect(self._on_worker_failed)
        self._worker = worker
        worker.start()

    def _on_worker_finished(self, value: tuple[int, CloseUpResult | None]) -> None:
        generation, result = value
        self._release(self.sender())
        if generation != self._generation or self._coarse_actor is None:
            return
        self._pending = None
        if result is None:
            self.clear()
            return
        self._apply(result)

    def _on_worker_failed(self, exc: object) -> None:
        self._release(self.sender())
        self._pending = None
        log.error("3D close-up surface failed", exc_info=exc)  # type: ignore[arg-type]

    def _release(self, worker: QObject | None) -> None:
        """A job ended (current or superseded): forget it and let Qt delete its worker."""
        if worker is self._worker:
            self._worker = None
        if worker is not None:
            worker.deleteLater()

    def _apply(self, result: CloseUpResult) -> None:
        from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

        for actor in (self.actor, self.cut_actor):
            if actor is not None:
                self.renderer.RemoveActor(actor)
        made = []
        for poly in (result.fine, result.coarse_outside):
            mapper = vtkPolyDataMapper()
            mapper.SetInputData(poly)
            mapper.ScalarVisibilityOff()
            actor = vtkActor()
            actor.SetMapper(mapper)
            actor.SetProperty(self._coarse_actor.GetProperty())
            actor.SetVisibility(self._coarse_actor.GetVisibility())
            made.append(actor)
        self.actor, self.cut_actor = made
        self.result = result
        if not (self._moving and self.coarse_while_moving):
            self._swap(closeup=True)
        log.info(
            "3D close-up: %d triangles in a %.0f mm, %s voxel box (step %d), extracted in %.3f s, "
            "coarse cut in %.3f s",
            result.fine.GetNumberOfPolys(),
            result.box_mm,
            "x".join(str(n) for n in result.box.shape),
            result.box.step,
            result.extract_s,
            result.cut_s,
        )
        self.on_changed()
