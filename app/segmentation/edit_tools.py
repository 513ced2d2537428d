"""Brush and eraser on a mask layer of the case, drawn in any 2D view; the brush cursor overlay.

Sizes are millimetres (radius of the disc or sphere); positions LPS mm. The brush paints a 2D disc in
the index plane of the source grid that the view shows (or a 3D sphere), through
:mod:`imaging.mask_brush`, optionally limited to an HU range. Each dab is pushed as an
``EditMask.patch`` carrying the stroke's id, so a press-move-release stroke is ONE undo step
(``EditMask.merge``), named for what it did and where ("Brush on Lesion 1", "Erase on Mask 1"). The
cursor is drawn in the colour of the layer it paints, with the layer's name beside it (on a box that
keeps it legible over any tint). From one mouse position to the next the brush is swept (``end_lps`` of
:func:`imaging.mask_brush.paint_disc`): the stroke covers exactly the voxels within the radius of its
path, however fast the mouse moves (dabs interpolated half a radius apart left scallops along the edges,
QA s24 D1).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen

from app.display_geometry import VIEW_AXES, DisplayVolume, ViewAxis
from app.segmentation.lesion_warnings import air_fat_said
from app.segmentation.vertebra_tool import VertebraEntry, tie_painted_lesion
from imaging import mask_brush
from imaging.mask_edit import PlaneAxis
from planning.commands import EditMask, StrokeEnd

if TYPE_CHECKING:
    from app.segmentation.controller import SegmentationController

FloatArray = npt.NDArray[np.float64]

#: brush radius limits and step of the [ / ] keys (mm); operator choices, not clinical figures
MIN_RADIUS_MM = 0.5
MAX_RADIUS_MM = 50.0
DEFAULT_RADIUS_MM = 3.0
RADIUS_STEP_MM = 0.5
#: the eraser's mark across the cursor, and the cursor's colour when no layer is chosen
ERASER_RGB = "#ff5050"
#: margin (px) of the box behind the brush cursor's label, and how opaque the box is (0-255): the tint
#: under it shows through 1 part in 16, so every lesion colour (LESION_COLOURS) keeps a WCAG 2 contrast of
#: 4.5:1 or more (AA for text) on its box even over white (the least, 230,60,60 on black over white: 4.6:1)
LABEL_PAD_PX = 2.0
LABEL_BACKING_ALPHA = 240
NO_LAYER_RGB = "#a0a0a0"
_PLANES = (PlaneAxis.SLICE, PlaneAxis.ROW, PlaneAxis.COL)
_stroke_ids = itertools.count(1)


class BrushShape(StrEnum):
    """A flat disc in the view's plane, or a ball."""

    DISC = "disc"
    SPHERE = "sphere"


@dataclass
class BrushSettings:
    """What the brush does; changed by the edit panel."""

    radius_mm: float = DEFAULT_RADIUS_MM
    shape: BrushShape = BrushShape.DISC
    #: inclusive HU range the brush is limited to, or None
    hu_range: tuple[float, float] | None = None


def view_plane(display: DisplayVolume, view: ViewAxis) -> PlaneAxis:
    """The source-grid index plane a view shows (the source axis nearest the view's slice axis)."""
    fixed = VIEW_AXES[view][0]
    column = np.abs(display.display_to_source_index[:3, fixed])
    return _PLANES[int(np.argmax(column))]


class BrushTool:
    """Left-button tool painting (or erasing) the controller's current layer.

    Parameters
    ----------
    controller
        Gives the case, the volume, the current layer and the brush settings.
    erase
        True for the eraser.
    """

    def __init__(self, controller: SegmentationController, *, erase: bool = False) -> None:
        self.controller = controller
        self.erase = erase
        self._stroke: int | None = None
        self._last_lps: FloatArray | None = None
        #: voxels the current stroke changed (said in the status bar when the stroke ends)
        self._stroke_voxels = 0

    @property
    def name(self) -> str:
        """Display name."""
        return "Eraser" if self.erase else "Brush"

    # -- MouseTool protocol ---------------------------------------------------------------------
    def press(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        layer = self.controller.edit_layer_name()
        if layer is None:
            self.controller.jobs.say(
                "Choose a layer to edit (Mask editing, or select a lesion), or make a new one."
            )
            return True
        self._stroke = next(_stroke_ids)
        self._last_lps = None
        self._stroke_voxels = 0
        self._dab_to(view, np.asarray(point_lps, dtype=np.float64))
        return True

    def move(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        self.controller.set_cursor(view, point_lps)
        if self._stroke is None:
            return True
        self._dab_to(view, np.asarray(point_lps, dtype=np.float64))
        return True

    def release(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        if self._stroke is not None:
            tied = self._tie_stroke() if self._stroke_voxels else ""
            self._say_stroke(tied)
        self._stroke = None
        self._last_lps = None
        return True

    # -- private --------------------------------------------------------------------------------
    def _dab_to(self, view: Any, point_lps: FloatArray) -> None:
        self.dab(view.view, point_lps, from_lps=self._last_lps)
        self._last_lps = point_lps

    def dab(self, view_axis: ViewAxis, point_lps: FloatArray, from_lps: FloatArray | None = None) -> bool:
        """Paint one dab at an LPS point as part of the current stroke, swept from ``from_lps`` (the
        previous mouse position) when given; True when voxels changed."""
        ctrl = self.controller
        name = ctrl.edit_layer_name()
        volume = ctrl.volume()
        display = ctrl.window.state.display
        if name is None or volume is None or display is None:
            return False
        mask = ctrl.window.case.case.layers[name].mask
        settings = ctrl.brush
        start, end = (point_lps, None) if from_lps is None else (from_lps, point_lps)
        if settings.shape == BrushShape.SPHERE:
            edit = mask_brush.paint_sphere(
                mask,
                volume,
                start,
                settings.radius_mm,
                erase=self.erase,
                hu_range=settings.hu_range,
                end_lps=end,
            )
        else:
            edit = mask_brush.paint_disc(
                mask,
                volume,
                start,
                settings.radius_mm,
                view_plane(display, view_axis),
                erase=self.erase,
                hu_range=settings.hu_range,
                end_lps=end,
            )
        if not edit.changed or edit.box is None:
            return False
        offset = tuple(int(s.start) for s in edit.box)
        self._stroke_voxels += int(np.count_nonzero(edit.before != edit.after))
        command = EditMask.patch(name, offset, edit.after, stroke_id=self._stroke)
        command.text = stroke_text(name, erase=self.erase)
        ctrl.window.case.push(command)
        return True

    def _tie_stroke(self) -> str:
        """Tie the painted lesion to the vertebra found before it that now holds it, in the stroke's undo
        step (:func:`app.segmentation.vertebra_tool.tie_painted_lesion`); the words saying so, or ""."""
        ctrl = self.controller
        name = ctrl.edit_layer_name()
        volume = ctrl.volume()
        if name is None or volume is None or self._stroke is None:
            return ""
        ties = tie_painted_lesion(ctrl.window.case.case, volume, name)
        if ties:
            commands = [command for command, _entry in ties]
            ctrl.window.case.push(
                StrokeEnd(name, self._stroke, commands, stroke_text(name, erase=self.erase))
            )
        return tie_words(ties)

    def _say_stroke(self, tied: str = "") -> None:
        """Say what the stroke just ended did, so the status bar never shows an earlier operation's text;
        ``tied``: the words saying the lesion painted was tied to a vertebra."""
        ctrl = self.controller
        name = ctrl.edit_layer_name()
        volume = ctrl.volume()
        if name is None or volume is None:
            return
        verb = "Erased" if self.erase else "Painted"
        voxels = self._stroke_voxels
        if voxels:
            total_ml = ctrl.window.case.case.layers[name].mask.count() * volume.voxel_volume_ml
            to = "from" if self.erase else "into"
            said = (
                f"{verb} {voxels * volume.voxel_volume_ml:.2f} mL ({voxels} voxels) {to} {name}, now "
                f"{total_ml:.2f} mL{tied} (Ctrl+Z undoes the stroke)."
            )
            say_edit(ctrl, name, said)
            return
        hu_range = ctrl.brush.hu_range
        if hu_range is not None:
            side = "in" if self.erase else "outside"
            ctrl.jobs.say(
                f"Nothing {verb.lower()}: no voxel under the brush {side} {name} lies in the HU range "
                f'{hu_range[0]:.0f} - {hu_range[1]:.0f} HU (untick "only" in Mask editing to paint every '
                "voxel).",
                warning=True,
            )
        else:
            where = "outside" if self.erase else "already in"
            ctrl.jobs.say(f"Nothing {verb.lower()}: every voxel under the brush was {where} {name}.")


def say_edit(controller: SegmentationController, layer_name: str, said: str) -> None:
    """Say what an edit of a layer did; in amber, with a short note, when the layer is a lesion's mask a
    meaningful part of which now reads as air or fat (QA s31 C13: a 50 mm sphere dab put 523 mL of lung
    and mediastinum into a lesion with no word; the Lesions dock writes the warning out)."""
    volume = controller.volume()
    dark = "" if volume is None else air_fat_said(controller.window.case.case, volume, layer_name)
    if dark:
        controller.jobs.say(f"{said} {dark}", warning=True)
    else:
        controller.jobs.say(said)


def tie_words(ties: Sequence[tuple[Any, VertebraEntry]]) -> str:
    """ "; it lies in vertebra V1's body, now tied to it" for lesions a stroke or operation tied, or ""."""
    if not ties:
        return ""
    said = "; ".join(
        f"{command.target.name} lies in vertebra {entry.prefix}'s body, now tied to it"
        for command, entry in ties
    )
    return f"; {said}"


def stroke_text(layer_name: str, *, erase: bool) -> str:
    """The undo step's name of a brush or eraser stroke on a layer."""
    return f"{'Erase' if erase else 'Brush'} on {layer_name}"


def edit_layer_colour(controller: SegmentationController) -> QColor | None:
    """The colour the edit layer is drawn in (its display colour, else the case's), None without one."""
    name = controller.edit_layer_name()
    if name is None:
        return None
    shown = controller.window.state.layers.get(name)
    if shown is not None:
        return QColor(shown.colour)
    return QColor(*controller.window.case.case.layers[name].color_rgb)


def paint_brush_cursor(controller: SegmentationController, view: Any, painter: QPainter) -> None:
    """Draw the brush outline at its true size (mm) where the mouse is over ``view``.

    The disc's outline, or the ball's section in the slice shown (a dashed circle of the same radius
    through its centre), in the colour of the layer it paints, with that layer's name beside it (the
    eraser's with a red bar across its centre and "Erase" before the name) on a box of its own
    (:func:`draw_cursor_label`), so the operator sees which mask a stroke will change before making it.
    """
    where = controller.cursor
    if where is None or where[0] is not view or not controller.brush_active():
        return
    display = controller.window.state.display
    if display is None:
        return
    centre = view.lps_to_widget(where[1])
    rows, cols = display.slice_array(view.view, 0).shape
    dr, dc = display.pixel_spacing_mm(view.view)
    rect = view.image_rect()
    r_mm = controller.brush.radius_mm
    rx = r_mm * rect.width() / (cols * dc)
    ry = r_mm * rect.height() / (rows * dr)
    tool = controller.window.state.mouse_tool
    erase = isinstance(tool, BrushTool) and tool.erase
    colour = edit_layer_colour(controller)
    name = controller.edit_layer_name()
    pen = QPen(QColor(NO_LAYER_RGB) if colour is None else colour, 1.5)
    if controller.brush.shape == BrushShape.SPHERE:
        pen.setStyle(Qt.PenStyle.DashLine)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    c = QPointF(centre)
    painter.drawEllipse(c, rx, ry)
    if erase:
        painter.setPen(QPen(QColor(ERASER_RGB), 2.0))
        half = max(3.0, 0.5 * min(rx, ry))
        painter.drawLine(QPointF(c.x() - half, c.y()), QPointF(c.x() + half, c.y()))
    label = "No layer to paint" if name is None else f"{'Erase ' if erase else ''}{name}"
    draw_cursor_label(painter, QPointF(c.x() + rx + 4.0, c.y() - ry), label, pen.color())


def draw_cursor_label(painter: QPainter, baseline: QPointF, text: str, colour: QColor) -> None:
    """``text`` in ``colour`` from ``baseline`` (its left end), on a box of its own (:func:`backing_colour`).

    The brush's label lies over the mask it paints, tinted in its own colour: drawn straight on the tint
    it read poorly (QA s28 G4, "Lesion 2" on its lesion's red); on the box it reads on any tint.
    """
    box = QFontMetricsF(painter.font()).boundingRect(text).translated(baseline)
    pad = LABEL_PAD_PX
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(backing_colour(colour))
    painter.drawRoundedRect(box.adjusted(-pad, -pad, pad, pad), pad, pad)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(colour, 1.0))
    painter.drawText(baseline, text)


def relative_luminance(colour: QColor) -> float:
    """A colour's relative luminance, 0 (black) to 1 (white), as WCAG 2 defines it for contrast."""

    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in (colour.redF(), colour.greenF(), colour.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def backing_colour(colour: QColor) -> QColor:
    """The box behind a label in ``colour``: near-black or near-white, whichever stands out more from it
    (WCAG 2 contrast ratio: the lesion reds, 230,60,60, are 5.1:1 on black and 4.2:1 on white; the
    darkest, 140,30,30, 9.1:1 on white), nearly opaque so the tint under it does not show through."""
    lum = relative_luminance(colour)
    on_black = (lum + 0.05) / 0.05
    on_white = 1.05 / (lum + 0.05)
    backing = QColor(0, 0, 0) if on_black >= on_white else QColor(255, 255, 255)
    backing.setAlpha(LABEL_BACKING_ALPHA)
    return backing
