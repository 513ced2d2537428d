"""The 3D view (VTK): bone surface, mask-layer surfaces, crosshair marker, optional volume rendering.

World coordinates are LPS mm, so every actor is placed by the volume's geometry and nothing is read
back from VTK. The camera looks from the front (anterior) with superior up: the patient's right is
on the screen's left, as in the 2D views.

Software OpenGL (llvmpipe, Mesa) is detected after the first frame; there the view degrades
(DESIGN.md measurements): surfaces instead of volume rendering by default, the CPU ray-cast mapper
(vtkFixedPointVolumeRayCastMapper) when volume rendering is asked for, image sample distance 2
while interacting. Surfaces are extracted with vtkFlyingEdges3D on a downsampled grid in a worker
thread so the 2D views never wait for the 3D one. Looking at a point through a narrow field (Centre on
the crosshair, or zoomed in) adds a close-up at the data's full resolution around it
(app.view3d_closeup), the coarse surface cut away inside its box; on software GL its box keeps to a
triangle budget and the coarse surface stands in for it while the camera moves. The actors' making
(bone image, volume rendering, mask surfaces, the crosshair's marker) is app.view3d_actors; its
menu, app.view3d_menu.

Default bone surface threshold: 200 HU — inside CLINICAL.md's generic bone range 130-3000 HU and
above the 130 HU floor so trabecular noise and contrast-filled vessels give fewer fragments; the
operator can change it (3D > Bone threshold).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QMenu, QVBoxLayout, QWidget

from app.display_geometry import DisplayVolume
from app.loading import Worker
from app.view3d_actors import (
    BONE_RGB,
    SURFACE_MAX_DIM,
    crosshair_marker,
    extract_surface,
    image_data_from_display,
    mask_surface,
    surface_actor,
    surface_step,
    volume_actor,
    vtk_classes,
)
from app.view3d_aids import centre_camera_on, orientation_marker, view_field_mm
from app.view3d_closeup import SOFTWARE_GL_CLOSEUP_TRIANGLES, CloseUpSurface
from app.view3d_menu import fill_menu
from app.view3d_see_through import BoneSeeThrough
from app.view3d_status import StatusLine
from app.viewer_state import ViewerState
from imaging.mask import Mask

log = logging.getLogger("osteoplan.gui")

DEFAULT_BONE_THRESHOLD_HU = 200.0
INTERACTIVE_SAMPLE_DISTANCE = 2.0
#: quiet time (ms) after the last crosshair move before the 3D view renders again
RENDER_DEBOUNCE_MS = 120
#: multisampling on software OpenGL: none. llvmpipe rasterises every sample, and 4x MSAA (the render
#: window's default here) made a close-up frame 180-300 ms against 55-120 ms without it (chest CT, 3D view
#: 459x459 px, /tmp profiling under load 3-5; the whole coarse surface 200 against 36-88 ms). FXAA (a
#: screen-space pass, about 35 ms a frame there) smooths the edges instead. A GPU keeps its multisampling.
SOFTWARE_GL_MULTISAMPLES = 0
#: the view's background gradient (RGB 0..1), dark so that bone and the lesion colours stand out
BACKGROUND_BOTTOM_RGB = (0.05, 0.06, 0.08)
BACKGROUND_TOP_RGB = (0.16, 0.18, 0.22)
#: the status line's background: the gradient's top colour, where the line lies (it reads as part of the view)
STATUS_BACKGROUND = "rgb({}, {}, {})".format(*(round(255 * c) for c in BACKGROUND_TOP_RGB))


class View3D(QWidget):
    """The 3D view widget (VTK inside); ``grab_image()`` gives its picture for screenshots."""

    def __init__(self, state: ViewerState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.bone_threshold_hu = DEFAULT_BONE_THRESHOLD_HU
        self.volume_rendering = False
        self.software_gl: bool | None = None
        self.renderer_name = ""
        self.bone_actor: Any = None
        self.volume_actor: Any = None
        self.layer_actors: dict[str, Any] = {}
        #: bone seen through (needles and lesions inside visible): the operator's choice, else by itself
        #: when the case has needles or a lesion inside a bone (app.view3d_see_through)
        self.see_through = BoneSeeThrough(self._set_bone_opacity)
        self._worker: Worker | None = None
        self._generation = 0
        self._closed = False
        self._coarse_status = "3D"
        self._field_at_start_mm = float("inf")
        self._coarse_step = 1
        self.v = vtk_classes()
        from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.vtk_widget = QVTKRenderWindowInteractor(self)
        layout.addWidget(self.vtk_widget)
        # opaque, cut to the view's width with the whole text in its tooltip (app.view3d_status)
        self.status = StatusLine(self, STATUS_BACKGROUND)
        self.status.show_text("3D")
        self.renderer = self.v["vtkRenderer"]()
        self.renderer.SetBackground(*BACKGROUND_BOTTOM_RGB)
        self.renderer.SetBackground2(*BACKGROUND_TOP_RGB)
        self.renderer.GradientBackgroundOn()
        self.closeup = CloseUpSurface(self.renderer, self._on_closeup_changed, self)
        self.render_window = self.vtk_widget.GetRenderWindow()
        self.render_window.AddRenderer(self.renderer)
        self.interactor = self.render_window.GetInteractor()
        self.interactor.SetInteractorStyle(self.v["vtkInteractorStyleTrackballCamera"]())
        self.interactor.AddObserver("StartInteractionEvent", self._on_interaction_start)
        self.interactor.AddObserver("EndInteractionEvent", self._on_interaction_end)
        self.sphere, self.crosshair_actor = crosshair_marker(self.v)
        self.renderer.AddActor(self.crosshair_actor)
        self.setToolTip(
            "3D view — left drag: rotate · right drag / wheel: zoom · middle drag: pan · "
            "double-click: maximise"
        )
        # crosshair moves re-render the 3D view only once scrolling pauses: a software-GL frame
        # (40+ ms with a bone surface) must not slow down every 2D scroll step
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(RENDER_DEBOUNCE_MS)
        self._render_timer.timeout.connect(self._on_render_timer_timeout)
        # layer surfaces are rebuilt (and drawn) once an edit pauses, on the same timer: a brush stroke
        # is a layer change per dab, and rebuilding every layer's surface and rendering on each one cost
        # 120-130 ms a dab on software GL (chest CT), where the 2D views redraw a dab in under 50 ms
        self._layers_dirty = False
        state.volume_changed.connect(self._on_state_volume_changed)
        state.crosshair_changed.connect(self._on_state_crosshair_changed)
        state.layers_changed.connect(self._on_state_layers_changed)
        self.vtk_widget.Initialize()
        self.orientation = orientation_marker(self.interactor)

    # -- public -----------------------------------------------------------------------------------
    def render_now(self) -> None:
        """Render now (no-op once closed)."""
        if self._closed:
            return
        self.render_window.Render()
        if self.software_gl is None:
            self._detect_renderer()

    def schedule_render(self) -> None:
        """Render soon: at once on a hardware renderer, once changes pause on software GL."""
        if self._closed or not self.isVisible():
            return
        if self.software_gl is False:
            self.render_now()
        else:
            self._render_timer.start()

    def flush(self) -> None:
        """Rebuild layer surfaces still waiting for an edit to pause (pictures must be current)."""
        if self._layers_dirty and self.bone_actor is not None and not self._closed:
            self._layers_dirty = False
            self._rebuild_layer_actors()

    def grab_image(self) -> QImage | None:
        """The rendered picture (vtkWindowToImageFilter; QWidget.grab is black for VTK)."""
        if self._closed:
            return None
        self.flush()
        self.render_now()
        grab = self.v["vtkWindowToImageFilter"]()
        grab.SetInput(self.render_window)
        grab.SetInputBufferTypeToRGB()
        grab.ReadFrontBufferOff()
        grab.Update()
        out = grab.GetOutput()
        w, h, _ = out.GetDimensions()
        from vtkmodules.util.numpy_support import vtk_to_numpy

        rgb = vtk_to_numpy(out.GetPointData().GetScalars()).reshape(h, w, 3)[::-1].copy()
        return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()

    def wait_for_surface(self, timeout_ms: int = 30000) -> None:
        """Block until a pending surface job ends (tests, screenshots)."""
        from app.loading import wait_until

        wait_until(lambda: self._worker is None and not self.closeup.busy, timeout_ms)

    def add_menu_actions(self, menu: QMenu) -> None:
        """Fill the window's 3D menu (:mod:`app.view3d_menu`)."""
        fill_menu(self, menu, DEFAULT_BONE_THRESHOLD_HU)

    @property
    def bone_see_through(self) -> bool | None:
        """The operator's see-through choice (None until they choose)."""
        return self.see_through.choice

    @property
    def see_through_action(self) -> QAction | None:
        """The "See-through bone" menu action, once the menu is built."""
        return self.see_through.action

    def set_bone_see_through(self, on: bool) -> None:
        """The operator's choice: bone surface translucent (on) or opaque."""
        self.see_through.choose(on)
        self.render_now()

    def show_plan(self, has_needles: bool) -> None:
        """The case's needles changed: see through the bone when there are needles, unless the
        operator has chosen otherwise (an opaque surface hides a transpedicular plan entirely)."""
        self.see_through.needles(has_needles)

    def show_lesions(self, lesions: Sequence[Mask]) -> None:
        """The case's lesion masks (on the loaded volume's grid) changed: see through the bone when one lies
        where the bone surface would hide it, unless the operator has chosen otherwise
        (:mod:`app.view3d_see_through`)."""
        display = self.state.display
        hu = None if display is None else display.source.array
        self.see_through.lesions(hu, lesions, self.bone_threshold_hu)

    def centre_on_crosshair(self) -> None:
        """Look at the crosshair from the current direction, about one vertebra and its needles in view."""
        centre_camera_on(self.renderer, self.state.crosshair_lps)
        self._update_closeup(ask=True)
        self.render_now()

    def set_bone_threshold(self, threshold_hu: float) -> None:
        """Rebuild the bone surface at another threshold (HU); judge again which lesions it hides."""
        self.bone_threshold_hu = float(threshold_hu)
        display = self.state.display
        self.see_through.threshold(None if display is None else display.source.array, self.bone_threshold_hu)
        self._start_surface_job()

    def set_volume_rendering(self, on: bool) -> None:
        """Show the CT as a ray-cast volume (on) or the bone surface only (off)."""
        self.volume_rendering = bool(on)
        if on and self.volume_actor is None and self.state.display is not None:
            self.volume_actor = self._make_volume_actor(self.state.display)
            self.renderer.AddVolume(self.volume_actor)
        if self.volume_actor is not None:
            self.volume_actor.SetVisibility(on)
        if self.bone_actor is not None:
            self.bone_actor.SetVisibility(not on)
        self.closeup.set_visible(not on)
        self._update_closeup()
        self.render_now()

    def reset_camera(self) -> None:
        """Look from the front (anterior, -y), superior up: patient's right on the screen's left."""
        cam = self.renderer.GetActiveCamera()
        cam.SetFocalPoint(0.0, 0.0, 0.0)
        cam.SetPosition(0.0, -1.0, 0.0)
        cam.SetViewUp(0.0, 0.0, 1.0)
        self.renderer.ResetCamera()
        self.closeup.clear()
        self.render_now()

    def shutdown(self) -> None:
        """Close the VTK widget, then finalize its window (the other order crashes on repaint)."""
        if self._closed:
            return
        self._closed = True
        self._render_timer.stop()
        self.closeup.shutdown()
        if self._worker is not None:
            self._worker.cancel()
            self._worker.wait()
        self.vtk_widget.close()
        self.render_window.Finalize()

    # -- private ----------------------------------------------------------------------------------
    def _set_bone_opacity(self, opacity: float) -> None:
        """Draw the bone surface with ``opacity`` (from :class:`app.view3d_see_through.BoneSeeThrough`)."""
        if self.bone_actor is not None:
            self.bone_actor.GetProperty().SetOpacity(opacity)
            self.schedule_render()

    def _detect_renderer(self) -> None:
        text = self.render_window.ReportCapabilities() or ""
        name = next((ln.split(":", 1)[1].strip() for ln in text.splitlines() if "renderer string" in ln), "")
        self.renderer_name = name
        self.software_gl = any(k in name.lower() for k in ("llvmpipe", "softpipe", "swrast", "software"))
        self.closeup.coarse_while_moving = self.software_gl
        self.closeup.max_triangles = SOFTWARE_GL_CLOSEUP_TRIANGLES if self.software_gl else None
        if self.software_gl:
            log.info("software OpenGL (%s): 3D view uses surfaces and the CPU ray caster", name)
            self.render_window.SetMultiSamples(SOFTWARE_GL_MULTISAMPLES)
            self.renderer.UseFXAAOn()

    def _on_state_volume_changed(self) -> None:
        if self.volume_actor is not None:
            self.renderer.RemoveVolume(self.volume_actor)
            self.volume_actor = None
        self.closeup.set_coarse(None)
        if self.bone_actor is not None:
            self.renderer.RemoveActor(self.bone_actor)
            self.bone_actor = None
        self._start_surface_job()
        self._on_state_crosshair_changed()

    def _start_surface_job(self) -> None:
        display = self.state.display
        if display is None or self._closed:
            return
        self._generation += 1
        generation = self._generation
        threshold = self.bone_threshold_hu
        self._coarse_step = surface_step(display, SURFACE_MAX_DIM)
        self.status.show_text(f"3D: building the bone surface ({threshold:.0f} HU)…")

        def job(progress: Callable[[float], None], cancel: threading.Event) -> tuple[int, Any]:
            image = image_data_from_display(display, SURFACE_MAX_DIM)
            return generation, extract_surface(image, threshold)

        if self._worker is not None:
            self._worker.cancel()
        worker = Worker(job, self)
        worker.finished.connect(self._on_surface_done)
        worker.failed.connect(self._on_surface_failed)
        self._worker = worker
        worker.start()

    def _on_surface_done(self, value: tuple[int, Any]) -> None:
        generation, poly = value
        self._worker = None
        if generation != self._generation or self._closed:
            return
        actor = surface_actor(self.v, poly, BONE_RGB)
        prop = actor.GetProperty()
        prop.SetSpecular(0.2)
        prop.SetSpecularPower(20)
        if self.bone_actor is not None:
            self.renderer.RemoveActor(self.bone_actor)
        self.bone_actor = actor
        self.closeup.set_coarse(actor, self._coarse_step)
        self.see_through.apply()
        actor.SetVisibility(not self.volume_rendering)
        self.renderer.AddActor(actor)
        self._layers_dirty = False
        self._rebuild_layer_actors()
        self.reset_camera()
        gl = " · software OpenGL: surfaces" if self.software_gl else ""
        self._coarse_status = (
            f"3D: bone ≥ {self.bone_threshold_hu:.0f} HU, {poly.GetNumberOfPolys():,} triangles{gl}"
        )
        self._show_status()

    def _on_surface_failed(self, exc: object) -> None:
        self._worker = None
        log.error("3D surface failed", exc_info=exc)  # type: ignore[arg-type]
        self.status.show_text("3D: the surface could not be built")

    def _make_volume_actor(self, display: DisplayVolume) -> Any:
        if self.software_gl is None:
            self.render_now()
        return volume_actor(self.v, display, software_gl=bool(self.software_gl))

    def _on_interaction_start(self, *_args: object) -> None:
        self._field_at_start_mm = view_field_mm(self.renderer)
        self.closeup.begin_motion()
        if self.volume_actor is not None and self.software_gl:
            self.volume_actor.GetMapper().SetImageSampleDistance(INTERACTIVE_SAMPLE_DISTANCE)

    def _on_interaction_end(self, *_args: object) -> None:
        if self.volume_actor is not None and self.software_gl:
            self.volume_actor.GetMapper().SetImageSampleDistance(1.0)
            self.render_now()
        zoomed_in = view_field_mm(self.renderer) < self._field_at_start_mm
        swapped = self.closeup.shown and self.closeup.coarse_while_moving
        self.closeup.end_motion()
        self._update_closeup(ask=zoomed_in)
        if swapped and self.closeup.shown:
            self.render_now()  # the close-up in place of the coarse surface drawn while moving

    def _update_closeup(self, *, ask: bool = False) -> None:
        """The camera settled: a close-up around its focal point while its field is narrow (``ask``: the
        operator narrowed it: centred on the crosshair or zoomed in)."""
        if self._closed:
            return
        camera = self.renderer.GetActiveCamera()
        display = None if self.volume_rendering else self.state.display
        field_mm = view_field_mm(self.renderer)
        self.closeup.update(display, camera.GetFocalPoint(), field_mm, self.bone_threshold_hu, ask=ask)

    def _on_closeup_changed(self) -> None:
        self._show_status()
        self.schedule_render()

    def _show_status(self) -> None:
        text = self._coarse_status
        result = self.closeup.result
        if result is not None:
            detail = "full resolution" if result.box.step == 1 else f"1/{result.box.step} resolution"
            count = result.fine.GetNumberOfPolys()
            text += f" · close-up {result.box_mm:.0f} mm at {detail}: {count:,} triangles"
        self.status.show_text(text)

    def _on_state_crosshair_changed(self) -> None:
        if self.state.display is None:
            self.crosshair_actor.VisibilityOff()
            return
        p = self.state.crosshair_lps
        self.sphere.SetCenter(float(p[0]), float(p[1]), float(p[2]))
        self.crosshair_actor.VisibilityOn()
        if self.isVisible():
            self._render_timer.start()

    def _on_state_layers_changed(self) -> None:
        if self.bone_actor is not None:
            self._layers_dirty = True
            self._render_timer.start()

    def _on_render_timer_timeout(self) -> None:
        self.flush()
        self.render_now()

    def _rebuild_layer_actors(self) -> None:
        for actor in self.layer_actors.values():
            self.renderer.RemoveActor(actor)
        self.layer_actors.clear()
        display = self.state.display
        if display is None:
            return
        for name, layer in self.state.layers.items():
            if not layer.visible:
                continue
            box, off = self.state.layer_box(layer)
            poly = mask_surface(display, box, off)
            if poly is None:
                continue
            c = layer.colour
            actor = surface_actor(self.v, poly, (c.redF(), c.greenF(), c.blueF()))
            actor.GetProperty().SetOpacity(max(0.2, min(1.0, layer.opacity * 1.6)))
            self.renderer.AddActor(actor)
            self.layer_actors[name] = actor
