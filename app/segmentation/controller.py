"""The segmentation tools of the window: lesion and vertebra clicks, mask editing, their panels.

:class:`SegmentationController` adds a "Segment" menu and toolbar (Lesion L, Vertebra V, Brush B,
Eraser E, sphere brush Shift+B, brush size [ and ], fill holes, remove islands, grow / shrink), the
Lesions, Vertebrae and Mask editing docks, the brush cursor and lesion box overlays, and runs the
imaging functions in background jobs. Positions are LPS mm, sizes mm, CT values HU; masks lie on the
grid of the volume the case was opened on. Every change of the Case is a planning command on the
window's undo stack (one step per click result, per stroke, per operation).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QToolBar

from app.segmentation.edit_tools import (
    MAX_RADIUS_MM,
    MIN_RADIUS_MM,
    RADIUS_STEP_MM,
    BrushSettings,
    BrushShape,
    BrushTool,
    paint_brush_cursor,
)
from app.segmentation.jobs import JobRunner
from app.segmentation.lesion_settings import LesionSettings
from app.segmentation.lesion_tool import (
    LESION_COLOURS,
    LesionTool,
    lesion_layer_and_target,
    mask_centroid_lps,
    paint_lesion_box,
    push_new_lesion,
)
from app.segmentation.vertebra_tool import (
    VertebraTool,
    anatomy_layers,
    finding_key,
    judge_masks,
    next_vertebra_id,
    push_anatomy,
    vertebrae_of,
)
from imaging.volume import Volume
from planning.case import Case, Change
from planning.model import LayerKind

if TYPE_CHECKING:
    from app.main_window import MainWindow

FloatArray = npt.NDArray[np.float64]


class SegmentationController(QObject):
    """Owns the segmentation tools, their actions and docks for one MainWindow.

    Signals
    -------
    model_changed
        Layers or targets of the case changed (or the case was replaced): panels refresh.
    """

    model_changed = Signal()
    brush_changed = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.jobs = JobRunner(window)
        self.brush = BrushSettings()
        #: the lesion tool's clinical settings, edited in the Lesions dock
        self.lesion_settings = LesionSettings()
        self.lesion_tool = LesionTool(self)
        self.vertebra_tool = VertebraTool(self)
        self.brush_tool = BrushTool(self)
        self.eraser_tool = BrushTool(self, erase=True)
        #: (view, LPS point) of the mouse over a 2D view, for the brush cursor
        self.cursor: tuple[Any, FloatArray] | None = None
        self._case: Case | None = None
        self._edit_layer: str | None = None
        self.actions: dict[str, QAction] = {}
        self._build_actions()
        self._build_docks()
        window.state.overlay_painters.append(lambda view, p: paint_brush_cursor(self, view, p))
        window.state.overlay_painters.append(lambda view, p: paint_lesion_box(self.lesion_tool, view, p))
        for view in window.views.values():
            view.installEventFilter(self)
        window.installEventFilter(self)  # a closing window stops a running job first
        window.case.case_replaced.connect(self._on_case_replaced)
        window.state.tool_changed.connect(self._on_state_tool_changed)
        self._on_case_replaced()

    # -- queries --------------------------------------------------------------------------------
    def volume(self) -> Volume | None:
        """The volume the case's masks lie on (the source grid)."""
        return self.window.case.volume

    def edit_layer_name(self) -> str | None:
        """The layer the brush and the operations edit (None when there is none)."""
        name = self._edit_layer
        return name if name is not None and name in self.window.case.case.layers else None

    def set_edit_layer(self, name: str | None) -> None:
        """Choose the layer to edit."""
        if name != self._edit_layer:
            self._edit_layer = name
            self.model_changed.emit()

    def brush_active(self) -> bool:
        """True when the brush or the eraser is the left-button tool."""
        return self.window.state.mouse_tool in (self.brush_tool, self.eraser_tool)

    def set_cursor(self, view: Any, point_lps: FloatArray | None) -> None:
        """Where the brush cursor is drawn."""
        self.cursor = None if point_lps is None else (view, np.asarray(point_lps, dtype=np.float64))
        if self.brush_active():
            self.window.state.overlays_changed.emit()

    # -- tools ----------------------------------------------------------------------------------
    def activate(self, tool: Any | None) -> None:
        """Make ``tool`` the left-button tool of every 2D view (None: back to the crosshair)."""
        self.window.state.set_mouse_tool(tool)
        if tool is None:
            self.lesion_tool.clear_box()
        self.window.state.overlays_changed.emit()

    def set_brush_radius(self, radius_mm: float) -> None:
        """Brush radius in mm (clamped to the allowed range)."""
        r = float(min(MAX_RADIUS_MM, max(MIN_RADIUS_MM, radius_mm)))
        if r != self.brush.radius_mm:
            self.brush.radius_mm = r
            self.brush_changed.emit()
            self.window.state.overlays_changed.emit()

    def set_brush_shape(self, shape: BrushShape) -> None:
        """Disc in the view's plane, or a sphere."""
        shape = BrushShape(shape)
        if shape != self.brush.shape:
            self.brush.shape = shape
            self.actions["sphere"].setChecked(shape == BrushShape.SPHERE)
            self.brush_changed.emit()
            self.window.state.overlays_changed.emit()

    def set_hu_range(self, hu_range: tuple[float, float] | None) -> None:
        """Limit the brush to an inclusive HU range (None: no limit)."""
        if hu_range != self.brush.hu_range:
            self.brush.hu_range = hu_range
            self.brush_changed.emit()

    # -- jobs -----------------------------------------------------------------------------------
    def segment_lesion_at(self, seed_lps: FloatArray, box_lps: tuple[FloatArray, FloatArray] | None) -> None:
        """Segment the lesion at an LPS point in the background; add it to the case when found."""
        volume = self.volume()
        if volume is None:
            self.jobs.say("Open a CT first.")
            return
        vertebra = self.vertebra_at(seed_lps)
        wall = None
        if vertebra is not None and "posterior_wall" in vertebra.layers:
            wall = self.window.case.case.layers[vertebra.layers["posterior_wall"]].mask
        from imaging.lesion import segment_lesion

        seed = tuple(float(v) for v in seed_lps)
        box = None if box_lps is None else (tuple(box_lps[0]), tuple(box_lps[1]))
        settings = self.lesion_settings

        def job(progress: Callable[[float], None], cancel: threading.Event) -> Any:
            return segment_lesion(
                volume,
                seed,
                box_lps=box,
                reference_bone_hu=settings.reference_bone_hu,
                parameters=settings.parameters,
                posterior_wall=wall,
                progress=progress,
                cancel=cancel,
            )

        def done(lesion: Any) -> None:
            self._add_lesion(lesion, vertebra)

        if self.jobs.run("Lesion segmentation", job, done):
            self.lesion_tool.clear_box()

    def find_vertebra_at(self, click_lps: FloatArray) -> None:
        """Find the vertebra at an LPS point in the background; add its layers when found."""
        volume = self.volume()
        if volume is None:
            self.jobs.say("Open a CT first.")
            return
        from imaging.vertebra import find_vertebra

        click = tuple(float(v) for v in click_lps)

        def job(progress: Callable[[float], None], cancel: threading.Event) -> Any:
            anatomy = find_vertebra(volume, click, progress=progress, cancel=cancel)
            # ribs and sacrum for the level suggestion, here rather than on the GUI thread
            centroid = mask_centroid_lps(anatomy.body, volume.index_to_lps)
            findings = None
            if centroid is not None:
                pedicles = [p.mask for p in anatomy.pedicles.values() if p.mask is not None]
                findings = (centroid, judge_masks(volume, centroid, anatomy.canal, pedicles))
            return anatomy, findings

        self.jobs.run("Vertebral anatomy", job, lambda result: self._add_vertebra(*result))

    def vertebra_at(self, point_lps: FloatArray) -> Any:
        """The case's vertebra whose body layer holds the voxel at an LPS point, or None."""
        volume = self.volume()
        if volume is None:
            return None
        idx = np.rint(volume.lps_to_index_points(point_lps)).astype(int)
        for entry in vertebrae_of(self.window.case.case, volume.index_to_lps):
            body = entry.layers.get("body")
            if body is None:
                continue
            mask = self.window.case.case.layers[body].mask
            rel = idx - np.asarray(mask.offset_index)
            inside = bool(np.all(rel >= 0) and np.all(rel < np.asarray(mask.array.shape)))
            if inside and bool(mask.array[rel[0], rel[1], rel[2]]):
                return entry
        return None

    def _series_uid(self) -> str:
        volume = self.volume()
        return "" if volume is None else str(volume.metadata.series_uid or "")

    def _add_lesion(self, lesion: Any, vertebra: Any) -> None:
        case = self.window.case.case
        volume = self.volume()
        if volume is None:
            return
        n = 1 + sum(1 for layer in case.layers.values() if layer.kind == LayerKind.LESION)
        name = f"Lesion {n}"
        while name in case.layers or name in case.targets:
            n += 1
            name = f"Lesion {n}"
        level = vertebra.level if vertebra is not None else ""
        colour = LESION_COLOURS[(n - 1) % len(LESION_COLOURS)]
        vert_lps = None
        if vertebra is not None and vertebra.centroid_lps is not None:
            vert_lps = tuple(float(v) for v in vertebra.centroid_lps)
        layer, target = lesion_layer_and_target(
            lesion,
            name=name,
            colour_rgb=colour,
            series_uid=self._series_uid(),
            level=level,
            vertebra_lps=vert_lps,  # type: ignore[arg-type]
        )
        if vertebra is not None:
            import dataclasses

            target = dataclasses.replace(target, extra={**target.extra, "vertebra": vertebra.vertebra_id})
        push_new_lesion(self, layer, target)
        self.set_edit_layer(name)
        self.lesion_panel.raise_()
        self.lesion_panel.refresh()
        self.lesion_panel.select(name)  # the crosshair goes to its centre
        self.jobs.say(
            f"{name}: {lesion.type.value}, {lesion.volume_ml:.2f} mL, "
            f"{lesion.max_diameter_mm:.1f} mm across (reference bone {lesion.reference_bone_hu:.0f} HU)."
        )

    def _add_vertebra(self, anatomy: Any, findings: Any = None) -> None:
        self.vertebra_panel.raise_()
        case = self.window.case.case
        vid = next_vertebra_id(case)
        if findings is not None:  # judged in the worker: the panel's refresh finds them cached
            centroid, judged = findings
            self.vertebra_panel.findings[finding_key(vid, centroid)] = judged
        layers = anatomy_layers(
            anatomy,
            vertebra_id=vid,
            level=anatomy.level or "",
            series_uid=self._series_uid(),
            taken=set(case.layers),
        )
        prefix = anatomy.level or vid.upper()
        push_anatomy(self, layers, f"Add vertebra {prefix}")
        self.vertebra_panel.refresh()
        self.vertebra_panel.select(vid)  # ready for its level to be typed
        widths = ", ".join(f"{s.value} {p.min_width_mm:.1f} mm" for s, p in anatomy.pedicles.items())
        wall = "intact" if anatomy.posterior_wall_intact else "with defects"
        self.jobs.say(
            f"Vertebra {prefix}: body {anatomy.body_volume_ml:.1f} mL, posterior wall {wall}"
            + (f", pedicles {widths}" if widths else "")
            + ". Name its level in the Vertebrae panel."
        )

    # -- editing operations ---------------------------------------------------------------------
    def run_operation(self, op: str, margin_mm: float = 0.0) -> bool:
        """Fill holes, remove islands, grow or shrink the edit layer (one undo step); True if changed.

        ``op`` is ``fill_holes``, ``remove_islands``, ``grow`` or ``shrink``; ``margin_mm`` for the last
        two. Remove islands keeps the part under the crosshair when it is in the mask, else the largest.
        """
        from imaging import mask_edit
        from planning.commands import EditMask

        name = self.edit_layer_name()
        volume = self.volume()
        if name is None or volume is None:
            self.jobs.say("Choose a layer to edit first.")
            return False
        mask = self.window.case.case.layers[name].mask
        if op == "fill_holes":
            edit = mask_edit.fill_holes(mask)
        elif op == "remove_islands":
            idx = np.rint(volume.lps_to_index_points(self.window.state.crosshair_lps)).astype(int)
            rel = idx - np.asarray(mask.offset_index)
            inside = bool(np.all(rel >= 0) and np.all(rel < np.asarray(mask.array.shape)))
            keep = tuple(int(v) for v in idx) if inside and mask.array[tuple(rel)] else None
            edit = mask_edit.remove_islands(mask, keep_index=keep)
        elif op in ("grow", "shrink"):
            edit = mask_edit.grow_shrink(mask, volume, abs(margin_mm) * (1 if op == "grow" else -1))
        else:
            raise ValueError(f"unknown mask operation {op!r}")
        if not edit.changed:
            self.jobs.say(f"{op.replace('_', ' ').capitalize()}: nothing to change in {name}.")
            return False
        command = EditMask(name, edit.mask)
        command.text = f"{op.replace('_', ' ').capitalize()} {name}"
        self.window.case.push(command)
        return True

    # -- construction ---------------------------------------------------------------------------
    def _action(
        self,
        key: str,
        text: str,
        shortcut: str,
        tip: str,
        slot: Callable[..., Any],
        *,
        checkable: bool = False,
    ) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({shortcut})")
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.window.addAction(action)
        self.actions[key] = action
        return action

    def _build_actions(self) -> None:
        tools = QActionGroup(self)
        tools.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        for key, text, shortcut, tip, tool in (
            (
                "lesion",
                "Lesion",
                "L",
                "Click a lesion to segment it; Shift+drag first to limit it to a box",
                self.lesion_tool,
            ),
            (
                "vertebra",
                "Vertebra",
                "V",
                "Click in a vertebral body to find body, canal, wall and pedicles",
                self.vertebra_tool,
            ),
            (
                "brush",
                "Brush",
                "B",
                "Paint the selected layer (disc in the view, or sphere)",
                self.brush_tool,
            ),
            ("eraser", "Eraser", "E", "Erase from the selected layer", self.eraser_tool),
        ):
            act = self._action(
                key,
                text,
                shortcut,
                tip,
                lambda checked, t=tool: self.activate(t if checked else None),
                checkable=True,
            )
            tools.addAction(act)
        self._action(
            "sphere",
            "3D sphere brush",
            "Shift+B",
            "Brush and eraser paint a sphere instead of a disc",
            lambda checked: self.set_brush_shape(BrushShape.SPHERE if checked else BrushShape.DISC),
            checkable=True,
        )
        self._action(
            "smaller",
            "Smaller brush",
            "[",
            "Brush radius - 0.5 mm",
            lambda: self.set_brush_radius(self.brush.radius_mm - RADIUS_STEP_MM),
        )
        self._action(
            "larger",
            "Larger brush",
            "]",
            "Brush radius + 0.5 mm",
            lambda: self.set_brush_radius(self.brush.radius_mm + RADIUS_STEP_MM),
        )
        self._action(
            "fill_holes",
            "Fill holes",
            "Ctrl+Shift+H",
            "Fill the holes of the selected layer",
            lambda: self.run_operation("fill_holes"),
        )
        self._action(
            "remove_islands",
            "Remove islands",
            "Ctrl+Shift+I",
            "Keep only the part under the crosshair (else the largest part) of the selected layer",
            lambda: self.run_operation("remove_islands"),
        )
        self._action(
            "grow",
            "Grow",
            "Ctrl+Shift+G",
            "Grow the selected layer by the margin (mm)",
            lambda: self.run_operation("grow", self.edit_panel.margin_mm()),
        )
        self._action(
            "shrink",
            "Shrink",
            "Ctrl+Shift+K",
            "Shrink the selected layer by the margin (mm)",
            lambda: self.run_operation("shrink", self.edit_panel.margin_mm()),
        )
        menu = self.window.menuBar().addMenu("&Segment")
        toolbar = QToolBar("Segmentation", self.window)
        toolbar.setObjectName("segmentationToolbar")
        for key in ("lesion", "vertebra", "brush", "eraser", "sphere"):
            menu.addAction(self.actions[key])
            toolbar.addAction(self.actions[key])
        menu.addSeparator()
        for key in ("smaller", "larger", "fill_holes", "remove_islands", "grow", "shrink"):
            menu.addAction(self.actions[key])
        self.menu = menu
        self.toolbar = toolbar
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        # the window's Esc (crosshair tool) also puts these tools down
        for action in self.window.findChildren(QAction):
            if action.shortcut() == QKeySequence("Esc") and action not in self.actions.values():
                action.triggered.connect(lambda: self.activate(None))

    def _build_docks(self) -> None:
        from app.segmentation.edit_panel import EditPanel
        from app.segmentation.lesion_panel import LesionPanel
        from app.segmentation.vertebra_panel import VertebraPanel

        area = Qt.DockWidgetArea.RightDockWidgetArea
        self.lesion_panel = LesionPanel(self, self.window)
        self.vertebra_panel = VertebraPanel(self, self.window)
        self.edit_panel = EditPanel(self, self.window)
        for dock in (self.lesion_panel, self.vertebra_panel, self.edit_panel):
            self.window.addDockWidget(area, dock)
            self.menu.addAction(dock.toggleViewAction())
        # Vertebrae behind Lesions (one tab row) keeps the right side readable
        self.window.tabifyDockWidget(self.lesion_panel, self.vertebra_panel)
        self.lesion_panel.raise_()

    # -- events ---------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window:
            if event.type() == QEvent.Type.Close and self.jobs.busy:
                self.jobs.cancel()
                self.jobs.wait()
            return False
        if event.type() == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            if self.brush_active() and self.window.state.display is not None:
                self.set_cursor(watched, watched.widget_to_lps(event.position()))  # type: ignore[attr-defined]
        elif event.type() == QEvent.Type.Leave and self.cursor is not None and self.cursor[0] is watched:
            self.set_cursor(watched, None)
        return False

    def _on_state_tool_changed(self) -> None:
        tool = self.window.state.mouse_tool
        for key, mine in (
            ("lesion", self.lesion_tool),
            ("vertebra", self.vertebra_tool),
            ("brush", self.brush_tool),
            ("eraser", self.eraser_tool),
        ):
            action = self.actions[key]
            action.blockSignals(True)
            action.setChecked(tool is mine)
            action.blockSignals(False)
        if not self.brush_active() and self.cursor is not None:
            self.cursor = None
            self.window.state.overlays_changed.emit()

    def _on_case_replaced(self) -> None:
        if self._case is not None:
            self._case.events.layers.disconnect(self._on_case_changed)
            self._case.events.targets.disconnect(self._on_case_changed)
        self._case = self.window.case.case
        self._case.events.layers.connect(self._on_case_changed)
        self._case.events.targets.connect(self._on_case_changed)
        self.model_changed.emit()

    def _on_case_changed(self, change: Change) -> None:
        old, new = change.old, change.new
        if (
            old is not None
            and new is not None
            and getattr(old, "mask", None) is not getattr(new, "mask", None)
            and old.name == new.name
            and getattr(old, "kind", None) == getattr(new, "kind", None)
            and getattr(old, "color_rgb", None) == getattr(new, "color_rgb", None)
            and old.extra == new.extra
        ):
            return  # a mask edit (a brush dab): nothing the panels show changed
        self.model_changed.emit()
