"""The Lesion tool: click a lesion in any 2D view -> segmented in a worker -> a lesion layer + Target.

Positions are LPS mm. A click segments the lesion at that point (:func:`imaging.lesion.segment_lesion`)
in a background job with progress and cancel. A Shift+drag first draws a box in the view's plane that
the next lesion is limited to; across the view it reaches as deep as its longer side, centred on the
slice it was drawn on (:func:`box_depth_mm`, said to the operator when it is drawn, and the box's
section drawn dotted in the other views); Esc-free: the box is used once, then cleared. When a
vertebra found earlier contains the click, the lesion is tied to it: its level, the SPINE target kind,
and its posterior wall (for posterior-wall involvement).

The result goes into the case as ONE undo step (a QUndoStack macro): a lesion MaskLayer (named
"Lesion n" or "L1 lesion n", a colour of its own) and a Target holding its type and measures.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from imaging.lesion_model import Lesion
from imaging.mask import Mask
from planning.commands import AddLayer, AddTarget
from planning.lesion_extra import with_segmentation
from planning.model import LayerKind, MaskLayer, Target, TargetKind

if TYPE_CHECKING:
    from app.segmentation.controller import SegmentationController

FloatArray = npt.NDArray[np.float64]

#: colours of successive lesions (RGB): reds and magentas that stay apart from the anatomy colours
LESION_COLOURS: tuple[tuple[int, int, int], ...] = (
    (230, 60, 60),
    (204, 121, 167),
    (213, 94, 0),
    (170, 40, 120),
    (255, 140, 140),
    (140, 30, 30),
)
#: colour of the operator's box (orange, apart from the lesion reds and the crosshair)
BOX_RGB = "#ff9f40"
#: keys of Target.measures written by the tool (units in the names)
MEASURE_KEYS = (
    "volume_ml",
    "max_diameter_mm",
    "mean_hu",
    "reference_bone_hu",
    "cortical_breach",
    "posterior_wall_involved",
)


class LesionTool:
    """Left-button tool: click = segment; Shift+drag = a limiting box for the next click."""

    name = "Lesion"

    def __init__(self, controller: SegmentationController) -> None:
        self.controller = controller
        #: (view, first corner, second corner) while / after a Shift+drag
        self.box: tuple[Any, FloatArray, FloatArray] | None = None
        self._dragging = False

    def press(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        p = np.asarray(point_lps, dtype=np.float64)
        if event is not None and event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.box = (view, p, p.copy())
            self._dragging = True
            self.controller.window.state.overlays_changed.emit()
            return True
        self.controller.segment_lesion_at(p, self.box_lps())
        return True

    def move(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        if self._dragging and self.box is not None:
            self.box = (self.box[0], self.box[1], np.asarray(point_lps, dtype=np.float64))
            self.controller.window.state.overlays_changed.emit()
        return True

    def release(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        if self._dragging and self.box is not None:
            self._dragging = False
            self.box = (self.box[0], self.box[1], np.asarray(point_lps, dtype=np.float64))
            drawn = self.box_lps()
            display = self.controller.window.state.display
            if drawn is None or display is None or not spans_a_pixel(display, view.view, *self.box[1:]):
                # a Shift+click, or a drag of less than a pixel: no box (QA s31 C: a 0.3 mm drag was kept
                # as a "0 mm" box, and the next click was refused as lying outside it)
                self.box = None
                self.controller.jobs.say(
                    "No box: the Shift+drag covered less than a pixel of the image. Shift+drag across the "
                    "lesion to draw a box, or click it without Shift to segment it without one."
                )
            else:
                _, a, b = self.box
                across, down = screen_sides_mm(display, view.view, a, b)
                self.controller.jobs.say(
                    f"Box drawn: {across:.0f} mm across by {down:.0f} mm down here and "
                    f"{box_depth_mm(a, b):.0f} mm deep across this view "
                    "(its longer side, centred on this slice; dotted in the other views). Click the lesion "
                    "inside it: the lesion is kept inside the box."
                )
            self.controller.window.state.overlays_changed.emit()
        return True

    def box_lps(self) -> tuple[FloatArray, FloatArray] | None:
        """The limiting box ``(min_xyz, max_xyz)`` LPS mm, or None (no box, or a degenerate one)."""
        display = self.controller.window.state.display
        if self.box is None or display is None or self._dragging:
            return None
        _, a, b = self.box
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        vol_lo, vol_hi = display.volume.bounds_lps()
        flat = np.isclose(lo, hi, atol=1e-6)
        if int(flat.sum()) != 1:
            return None
        # the box is drawn in one plane; across it the lesion is taken to be about as deep as the box is
        # wide: a depth equal to the longer side drawn, centred on the slice it was drawn on (a roughly
        # round lesion boxed tightly in one view fits it; before, the box spanned the whole volume there
        # and the lesion could run on along the slices: case7, 21 mm beyond a box 22 mm deep)
        half = 0.5 * box_depth_mm(lo, hi)
        lo[flat] = np.maximum(lo[flat] - half, vol_lo[flat])
        hi[flat] = np.minimum(hi[flat] + half, vol_hi[flat])
        return lo, hi

    def clear_box(self) -> None:
        """Forget the box (after it was used)."""
        if self.box is not None:
            self.box = None
            self._dragging = False
            self.controller.window.state.overlays_changed.emit()


def screen_sides_mm(
    display: Any, view_axis: Any, corner_a: FloatArray, corner_b: FloatArray
) -> tuple[float, float]:
    """A box's sides in the view it was drawn in, mm: across the screen (its columns), then down it (its
    rows), in the order the operator sees them (before, the sides were sorted longest first: a box 14.9
    mm across by 16.3 mm down read "16 x 15 mm", QA s19 F10)."""
    _, row_a, col_a = display.lps_to_pixel(view_axis, corner_a)
    _, row_b, col_b = display.lps_to_pixel(view_axis, corner_b)
    row_mm, col_mm = display.pixel_spacing_mm(view_axis)
    return abs(col_b - col_a) * col_mm, abs(row_b - row_a) * row_mm


def spans_a_pixel(display: Any, view_axis: Any, corner_a: FloatArray, corner_b: FloatArray) -> bool:
    """Whether a box drawn in a view is at least one pixel of the image wide and tall there."""
    _, row_a, col_a = display.lps_to_pixel(view_axis, corner_a)
    _, row_b, col_b = display.lps_to_pixel(view_axis, corner_b)
    return bool(abs(col_b - col_a) >= 1.0 and abs(row_b - row_a) >= 1.0)


def box_depth_mm(corner_a: FloatArray, corner_b: FloatArray) -> float:
    """How deep a box drawn in one view reaches across it, mm: its longer side in the view."""
    return float(np.max(np.abs(np.asarray(corner_b) - np.asarray(corner_a))))


def paint_lesion_box(tool: LesionTool, view: Any, painter: QPainter) -> None:
    """Draw the lesion tool's box: dashed in the view it was drawn in; dotted, its section across the
    slice shown, in the other views whose slice passes through its depth (so the depth can be seen)."""
    if tool.box is None or tool.controller.window.state.mouse_tool is not tool:
        return
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if tool.box[0] is view:
        a = view.lps_to_widget(tool.box[1])
        b = view.lps_to_widget(tool.box[2])
        painter.setPen(QPen(QColor(BOX_RGB), 1.5, Qt.PenStyle.DashLine))
        painter.drawRect(QRectF(QPointF(a), QPointF(b)).normalized())
        return
    box = tool.box_lps()
    if box is None:
        return
    lo, hi = box
    # the LPS axis across this view: moving along it does not move the projected point
    origin = view.lps_to_widget(lo)
    across = [
        k
        for k in range(3)
        if (view.lps_to_widget(lo + 10.0 * np.eye(3)[k]) - origin).manhattanLength() < 1e-3
    ]
    if len(across) != 1:
        return
    k = across[0]
    here = float(view.widget_to_lps(QPointF(origin))[k])
    if not lo[k] <= here <= hi[k]:
        return
    painter.setPen(QPen(QColor(BOX_RGB), 1.5, Qt.PenStyle.DotLine))
    painter.drawRect(QRectF(QPointF(origin), QPointF(view.lps_to_widget(hi))).normalized())


def lesion_layer_and_target(
    lesion: Lesion,
    *,
    name: str,
    colour_rgb: tuple[int, int, int],
    series_uid: str,
    level: str = "",
    vertebra_lps: tuple[float, float, float] | None = None,
) -> tuple[MaskLayer, Target]:
    """The case values for a segmented lesion: its mask layer and its Target (same name).

    ``Target.measures`` holds volume_ml, max_diameter_mm, mean_hu, reference_bone_hu, and
    cortical_breach / posterior_wall_involved as 1.0 / 0.0 (the latter only inside a vertebra);
    ``extra["measured_type"]`` keeps the type the program found when the operator overrides it; the
    segmentation's warnings (the lesion may be larger than its mask) are kept in ``extra`` too, so they are
    saved with the case, as are where its reference bone HU was measured and the shares behind its type
    (:mod:`planning.lesion_extra`, as for a plan's targets).
    """
    measures: dict[str, float] = {
        "volume_ml": float(lesion.volume_ml),
        "max_diameter_mm": float(lesion.max_diameter_mm),
        "mean_hu": float(lesion.mean_hu),
        "reference_bone_hu": float(lesion.reference_bone_hu),
        "cortical_breach": 1.0 if lesion.cortical_breach else 0.0,
    }
    if lesion.posterior_wall_involved is not None:
        measures["posterior_wall_involved"] = 1.0 if lesion.posterior_wall_involved else 0.0
    layer = MaskLayer(
        name,
        LayerKind.LESION,
        lesion.mask,
        colour_rgb,
        series_uid,
        extra={"level": level},
    )
    target = Target(
        name,
        kind=TargetKind.SPINE if level or vertebra_lps is not None else TargetKind.EXTRASPINAL,
        level=level,
        lesion_seed_lps=lesion.seed_lps,
        vertebra_lps=vertebra_lps,
        lesion_layer=name,
        lesion_type=lesion.type,
        measures=measures,
    )
    return layer, with_segmentation(target, lesion)


def push_new_lesion(controller: SegmentationController, layer: MaskLayer, target: Target) -> None:
    """Add a lesion's layer and target as one undo step."""
    stack = controller.window.case.undo_stack
    stack.beginMacro(f"Add lesion {target.name}")
    try:
        controller.window.case.push(AddLayer(layer))
        controller.window.case.push(AddTarget(target))
    finally:
        stack.endMacro()


def mask_centroid_lps(mask: Mask, index_to_lps: npt.NDArray[np.float64]) -> FloatArray | None:
    """Centroid (LPS mm) of a mask's voxels; None for an empty mask."""
    if not mask.any():
        return None
    idx = np.argwhere(mask.array).mean(axis=0) + np.asarray(mask.offset_index, dtype=np.float64)
    out: FloatArray = index_to_lps[:3, :3] @ idx + index_to_lps[:3, 3]
    return out


def replace_type(target: Target, lesion_type: Any) -> Target:
    """The target with the operator's lesion type."""
    return dataclasses.replace(target, lesion_type=lesion_type)
