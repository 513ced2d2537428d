"""The segmentation tools of the window: lesion and vertebra clicks, mask editing, their panels.

:class:`SegmentationController` adds a "Segment" menu and toolbar (Lesion L, Vertebra V, Brush B,
Eraser E, sphere brush Shift+B, brush size [ and ], fill holes, remove islands, grow / shrink; built
in :mod:`app.segmentation.segment_menu`), the Lesions, Vertebrae and Mask editing docks, the brush
cursor and lesion box overlays, and runs the imaging functions in background jobs
(:mod:`app.segmentation.click_segmentation`). Positions are LPS mm, sizes mm, CT values HU; masks lie on the
grid of the volume the case was opened on. Every change of the Case is a planning command on the
window's undo stack (one step per click result, per stroke, per operation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent

from app.segmentation import click_segmentation
from app.segmentation.edit_tools import (
    MAX_RADIUS_MM,
    MIN_RADIUS_MM,
    BrushSettings,
    BrushShape,
    BrushTool,
    paint_brush_cursor,
    say_edit,
    tie_words,
)
from app.segmentation.jobs import JobRunner
from app.segmentation.lesion_figures import LesionFigures
from app.segmentation.lesion_settings import LesionSettings
from app.segmentation.lesion_tool import LesionTool, paint_lesion_box
from app.segmentation.segment_menu import build_segment_actions
from app.segmentation.vertebra_labels import paint_level_labels
from app.segmentation.vertebra_tool import VertebraTool, mask_holds, tie_painted_lesion, vertebrae_of
from imaging.volume import Volume
from planning.case import Case, Change

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from imaging.mask_edit import IslandChoice, PlaneAxis

FloatArray = npt.NDArray[np.float64]


class SegmentationController(QObject):
    """Owns the segmentation tools, their actions and docks for one MainWindow.

    Signals
    -------
    model_changed
        Layers or targets of the case changed (or the case was replaced): panels refresh.
    mask_edited(name)
        Only the mask of layer ``name`` changed (a brush dab, an undo of one): what is measured from it
        is out of date, nothing else the panels show is.
    figures_measured
        ``lesion_figures`` holds newly measured figures (after a pause in editing): docks that show
        them refresh.
    """

    model_changed = Signal()
    mask_edited = Signal(str)
    figures_measured = Signal()
    brush_changed = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.jobs = JobRunner(window)
        self.brush = BrushSettings()
        #: the lesion tool's clinical settings, edited in the Lesions dock
        self.lesion_settings = LesionSettings()
        #: figures measured from each lesion's mask as it is now (after edits), kept while it is unchanged;
        #: the Lesions dock measures them (``figures_measured`` after), other docks read them
        self.lesion_figures = LesionFigures()
        self.lesion_tool = LesionTool(self)
        self.vertebra_tool = VertebraTool(self)
        self.brush_tool = BrushTool(self)
        self.eraser_tool = BrushTool(self, erase=True)
        #: (view, LPS point) of the mouse over a 2D view, for the brush cursor
        self.cursor: tuple[Any, FloatArray] | None = None
        self._case: Case | None = None
        self._edit_layer: str | None = None
        self._last_tool: Any = None
        # the Segment menu, toolbar and shortcuts (app.segmentation.segment_menu)
        self.actions, self.menu, self.toolbar = build_segment_actions(self)
        self._build_docks()
        window.state.overlay_painters.append(lambda view, p: paint_brush_cursor(self, view, p))
        window.state.overlay_painters.append(lambda view, p: paint_lesion_box(self.lesion_tool, view, p))
        window.state.overlay_painters.append(lambda view, p: paint_level_labels(self, view, p))
        for view in window.views.values():
            view.installEventFilter(self)
        window.installEventFilter(self)  # a closing window stops a running job first
        window.case.case_replaced.connect(self._on_case_replaced)
        # "Undone: Brush on Lesion 1." replaces the undone stroke's sentence in the Lesions dock (QA s28 G1)
        window.menus.step_said.connect(self.jobs.say)
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
        """Choose the layer to edit.

        A lesion's layer also selects that lesion's row in the Lesions dock (without moving the
        crosshair), as selecting the row makes its layer the edit layer: the lesion selected is the one
        painted. With the brush or eraser in hand, the status bar says which layer it now paints.
        """
        if name != self._edit_layer:
            self._edit_layer = name
            self._select_lesion_row(name)
            if self.brush_active():
                self.say_painted_layer()
            self.model_changed.emit()

    def say_painted_layer(self) -> None:
        """Say in the status bar which layer the brush or the eraser changes."""
        tool = self.window.state.mouse_tool
        what = "Eraser erases from" if tool is self.eraser_tool else "Brush paints"
        name = self.edit_layer_name()
        if name is None:
            self.jobs.say(
                "No layer to paint: choose one in Mask editing, select a lesion, or make a new one."
            )
            return
        self.jobs.say(
            f"{what} {name} (the cursor has its colour): to change another, select its lesion or choose it "
            "in Mask editing."
        )

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
        click_segmentation.segment_lesion_at(self, seed_lps, box_lps)

    def add_drawn_lesion(self) -> str | None:
        """Add an empty lesion at the crosshair for the operator to paint; its name (None: no CT)."""
        return click_segmentation.add_drawn_lesion(self)

    def find_vertebra_at(self, click_lps: FloatArray) -> None:
        """Find the vertebra at an LPS point in the background; add its layers when found."""
        click_segmentation.find_vertebra_at(self, click_lps)

    def vertebra_at(self, point_lps: FloatArray) -> Any:
        """The case's vertebra whose body layer holds the voxel at an LPS point, or None."""
        volume = self.volume()
        if volume is None:
            return None
        for entry in vertebrae_of(self.window.case.case, volume.index_to_lps):
            body = entry.layers.get("body")
            if body is None:
                continue
            if mask_holds(self.window.case.case.layers[body].mask, volume, point_lps):
                return entry
        return None

    # -- editing operations ---------------------------------------------------------------------
    def run_operation(
        self, op: str, margin_mm: float = 0.0, plane: PlaneAxis | None = None, *, where: str = ""
    ) -> bool:
        """Fill holes, remove islands, grow or shrink the edit layer (one undo step); True if changed.

        ``op`` is ``fill_holes``, ``remove_islands``, ``grow`` or ``shrink``; ``margin_mm`` for the last
        two. Remove islands keeps the largest piece, or the piece under the crosshair when it holds at least a
        tenth of the largest (:func:`imaging.mask_edit.choose_island`: the operator pointed at it); the
        status message says which was kept, and when the crosshair's piece was too small to be kept.
        ``plane`` (fill holes only): None fills holes closed on every side in 3D; a
        :class:`imaging.mask_edit.PlaneAxis` fills, slice by slice in those index planes, what each
        slice encloses (a ring seen in a view); the undo step is named for the operation and the layer.
        The status bar says what changed, in voxels and mL; ``where`` names the slices filled ("in axial
        slices"; default "in 3D" without a plane, "slice by slice" with one).
        """
        from imaging import mask_edit
        from planning.commands import EditMask

        name = self.edit_layer_name()
        volume = self.volume()
        if name is None or volume is None:
            self.jobs.say("Choose a layer to edit first.")
            return False
        mask = self.window.case.case.layers[name].mask
        choice: IslandChoice | None = None
        if op == "fill_holes":
            edit = mask_edit.fill_holes(mask, plane=plane)
        elif op == "remove_islands":
            crosshair = self.window.state.crosshair_lps
            idx = np.rint(volume.lps_to_index_points(crosshair)).astype(int)
            pointed = tuple(int(v) for v in idx) if mask_holds(mask, volume, crosshair) else None
            choice = mask_edit.choose_island(mask, pointed)
            edit = mask_edit.remove_islands(mask, keep_index=choice.keep_index)
        elif op in ("grow", "shrink"):
            edit = mask_edit.grow_shrink(mask, volume, abs(margin_mm) * (1 if op == "grow" else -1))
        else:
            raise ValueError(f"unknown mask operation {op!r}")
        label = op.replace("_", " ").capitalize()
        if not edit.changed:
            hint = ""
            if op == "fill_holes" and plane is None:
                # a hole erased on one slice is open above and below: only a per-slice fill closes it
                hint = (
                    " (no hole closed on every side in 3D; to fill a ring seen in a view, fill in its slices)"
                )
            self.jobs.say(f"{label}: nothing to change in {name}{hint}.")
            return False
        command = EditMask(name, edit.mask)
        command.text = f"{label} on {name}"
        if op in ("grow", "shrink"):
            command.text = f"{label} {name} by {abs(margin_mm):.1f} mm"
        stack = self.window.case.undo_stack
        stack.beginMacro(command.text)  # the edit and the lesion it brings into a vertebra: one step
        try:
            self.window.case.push(command)
            ties = tie_painted_lesion(self.window.case.case, volume, name)
            for tie, _entry in ties:
                self.window.case.push(tie)
        finally:
            stack.endMacro()
        added = edit.mask.count() - mask.count()
        said = _operation_done(
            op, name, added, volume, margin_mm=margin_mm, where=where, tied=tie_words(ties)
        )
        if choice is not None:
            said += _island_kept(choice, volume)
        say_edit(self, name, said)  # amber when a lesion's mask now reads much as air or fat (Grow 30 mm)
        return True

    # -- construction ---------------------------------------------------------------------------
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
        # Lesions, Vertebrae and Mask editing in one tab group: stacked, the three with the Layers and Needles
        # docks left each too little height at 1280 x 800 to show its table, figures or buttons whole
        self.window.tabifyDockWidget(self.lesion_panel, self.vertebra_panel)
        self.window.tabifyDockWidget(self.vertebra_panel, self.edit_panel)
        self.lesion_panel.raise_()

    # -- events ---------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window:
            if event.type() == QEvent.Type.Close:
                if self.jobs.busy:
                    self.jobs.cancel()
                    self.jobs.wait()
                self.lesion_panel.shutdown()
            return False
        if event.type() == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            if self.brush_active() and self.window.state.display is not None:
                self.set_cursor(watched, watched.widget_to_lps(event.position()))  # type: ignore[attr-defined]
        elif event.type() == QEvent.Type.Leave and self.cursor is not None and self.cursor[0] is watched:
            self.set_cursor(watched, None)
        return False

    def _select_lesion_row(self, layer_name: str | None) -> None:
        """Select the row of the lesion whose layer is ``layer_name`` (the crosshair stays); another
        layer clears the selection, so selecting the lesion's row again makes it the edit layer again."""
        panel = getattr(self, "lesion_panel", None)
        if panel is None:
            return
        lesion = next(
            (
                t.name
                for t in self.window.case.case.targets.values()
                if layer_name and t.lesion_layer == layer_name
            ),
            None,
        )
        if panel.selected_name() == lesion:
            return
        panel.table.blockSignals(True)  # selecting the row would move the crosshair to the lesion
        if lesion is None:
            panel.table.clearSelection()
        else:
            panel.select(lesion)
        panel.table.blockSignals(False)

    def _on_state_tool_changed(self) -> None:
        tool = self.window.state.mouse_tool
        if self.brush_active() and tool is not self._last_tool:
            self.say_painted_layer()
        self._last_tool = tool
        for key, mine in (
            ("lesion", self.lesion_tool),
            ("vertebra", self.vertebra_tool),
            ("brush", self.brush_tool),
            ("eraser", self.eraser_tool),
        ):
            # not blocked: the exclusive action group follows "toggled" to know which tool is checked
            # (the tools are activated on "triggered", which setChecked does not emit)
            self.actions[key].setChecked(tool is mine)
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
        # another image (a new case or a saved one): the lesion settings that describe the previous
        # patient do not carry over (app.segmentation.lesion_settings.PER_IMAGE says which and why)
        note = self.lesion_panel.settings_box.reset_for_new_image()
        if note:
            # said once the opening has shown its own messages (import notes), so it is not replaced
            QTimer.singleShot(0, self, lambda: self.jobs.say(note))
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
            self.mask_edited.emit(new.name)  # a brush dab: only figures measured from the mask change
            return
        self.model_changed.emit()


def _island_kept(choice: IslandChoice, volume: Volume) -> str:
    """Which piece Remove islands kept, when the crosshair had a say in it (appended to its message)."""
    from imaging.mask_edit import KEEP_POINTED_MIN_SHARE

    def amount(n: int) -> str:
        return f"{n} voxel{'s' if n != 1 else ''}, {n * volume.voxel_volume_ml:.2f} mL"

    if choice.pointed_too_small:
        share = 100.0 * choice.pointed_voxels / max(choice.largest_voxels, 1)
        return (
            f" Kept the largest piece ({amount(choice.largest_voxels)}): the piece under the crosshair "
            f"({amount(choice.pointed_voxels)}, {share:.1f} % of it) is under "
            f"{100 * KEEP_POINTED_MIN_SHARE:.0f} % of it, so it was taken as a stray piece (Undo restores "
            "it)."
        )
    if choice.kept_pointed and choice.kept_voxels < choice.largest_voxels:
        return (
            f" Kept the piece under the crosshair ({amount(choice.kept_voxels)}); the largest piece "
            f"({amount(choice.largest_voxels)}) was among those taken away (Undo restores it)."
        )
    return ""


def _operation_done(
    op: str, name: str, added: int, volume: Volume, *, margin_mm: float, where: str, tied: str = ""
) -> str:
    """What a mask operation changed, for the status bar (it replaces what was said before); ``tied``: the
    words saying the lesion it brought into a vertebra's body was tied to it (:func:`tie_words`)."""
    n = abs(added)
    amount = f"{n} voxel{'s' if n != 1 else ''} ({n * volume.voxel_volume_ml:.2f} mL)"
    if op == "fill_holes":
        return f"Filled {amount} {where or 'in 3D'} of {name}{tied}."
    if op == "remove_islands":
        return f"Removed islands of {name}: {amount} taken away{tied}."
    verb = "Grew" if op == "grow" else "Shrank"
    change = "added" if added >= 0 else "taken away"
    return f"{verb} {name} by {abs(margin_mm):.1f} mm: {amount} {change}{tied}."
