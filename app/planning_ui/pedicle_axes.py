"""Each found pedicle's axis and its narrowest point drawn on the slice views and in the 3D view (QA s25
E7: only the pedicle masks were drawn; a radiologist checks an axis on the images before trusting it).

What is drawn comes from the vertebra's figures kept with its body layer
(:func:`planning.pedicle_axis_figures.pedicle_axes`: the axis from its entry to its target, its isthmus and
the narrowest width), so a reopened case shows them again without searching. A pedicle's axis is drawn
while its pedicle layer is shown (the Layers dock's check box; opacity above 0) and hidden with it; a
pedicle layer deleted takes its axis away.

* Slice views (:func:`paint_pedicle_axes`), on the slices that pass through the pedicle's mask: the axis by
  the needles' own drawing (:func:`app.planning_ui.segment_drawing.paint_segment`): the part within half
  a slice of the plane solid, the rest its dashed projection. The narrowest width is a bar of that length
  across the axis at the isthmus (mediolateral: perpendicular to the axis and to the patient's superior
  axis, as the width is measured), drawn the same way, with the width written beside it when the isthmus
  lies on the slice.
* 3D view (:class:`PedicleAxes3D`): a thin tube from entry to target and a tube across it at the isthmus
  as long as the narrowest width.

Colour: magenta, the complement of the pedicle masks' green (so the axis reads over its own mask) and none
of the needles' cyan / white / orange, the zones' pink or the other layers' colours. Positions LPS mm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

from app.display_geometry import VIEW_AXES
from app.planning_ui.segment_drawing import add_actor, paint_segment, tube_source, view_plane
from app.segmentation.vertebra_labels import draw_outlined
from planning.model import MaskLayer
from planning.pedicle_axis_figures import PedicleAxisFigures, across_axis, pedicle_axes
from planning.vertebra_figures import width_uncertainty_said

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from app.viewer_state import LayerDisplay

FloatArray = npt.NDArray[np.float64]

AXIS_COLOUR = QColor(255, 64, 255)
AXIS_RGB = (AXIS_COLOUR.redF(), AXIS_COLOUR.greenF(), AXIS_COLOUR.blueF())
#: the axis's and the bar's solid part on the slice views (px): a line, not a needle's band
AXIS_PEN_PX = 2.0
#: the tubes' diameter in the 3D view (mm): thinner than any needle (2.41 mm outer at 11 G)
AXIS_TUBE_MM = 1.0
#: the width's label: the views' small font (as the level labels)
LABEL_POINT_SIZE = 9
#: pixels between the bar's end and its label
LABEL_GAP_PX = 4.0
LABEL_COLOUR = QColor(255, 255, 255)
#: the pedicle layers' parts and their sides (app.segmentation.vertebra_tool.PARTS)
PEDICLE_PARTS = {"pedicle_left": "left", "pedicle_right": "right"}


@dataclass(frozen=True)
class ShownAxis:
    """A pedicle axis to draw: its pedicle layer's name and display, and the axis as kept."""

    layer: str
    display: LayerDisplay
    axis: PedicleAxisFigures


def shown_axes(layers: Mapping[str, MaskLayer], shown: Mapping[str, LayerDisplay]) -> list[ShownAxis]:
    """The axes of the pedicles whose layers are shown (visible, opacity above 0) and whose vertebra's
    body layer keeps the axis in its figures."""
    figures: dict[object, str] = {}
    for layer in layers.values():
        raw = layer.extra.get("figures")
        if layer.extra.get("part") == "body" and isinstance(raw, str):
            figures[layer.extra.get("vertebra")] = raw
    out = []
    for name, layer in layers.items():
        side = PEDICLE_PARTS.get(str(layer.extra.get("part")))
        display = shown.get(name)
        if side is None or display is None or not display.visible or display.opacity <= 0:
            continue
        raw = figures.get(layer.extra.get("vertebra"))
        for axis in () if raw is None else _axes_of(raw):
            if axis.side == side:
                out.append(ShownAxis(name, display, axis))
    return out


@lru_cache(maxsize=64)
def _axes_of(figures_text: str) -> tuple[PedicleAxisFigures, ...]:
    # parsed once per figures text (a few kB of JSON per vertebra), not on every repaint
    return tuple(pedicle_axes(figures_text))


def width_label(axis: PedicleAxisFigures) -> str:
    """The narrowest width as written beside its bar: "8.1 mm", "8.1 mm ±0.7" (the dock's figures)."""
    if axis.min_width_uncertainty_mm is None:
        return f"{axis.min_width_mm:.1f} mm"
    return f"{axis.min_width_mm:.1f} mm ±{width_uncertainty_said(axis.min_width_uncertainty_mm):.1f}"


def isthmus_bar(axis: PedicleAxisFigures) -> tuple[FloatArray, FloatArray]:
    """The bar of the narrowest width across the axis at the isthmus: its two ends (LPS mm)."""
    isthmus = np.asarray(axis.isthmus_lps, dtype=np.float64)
    half = across_axis(axis.entry_lps, axis.target_lps) * (axis.min_width_mm / 2.0)
    return isthmus - half, isthmus + half


def paint_pedicle_axes(window: MainWindow, view: Any, painter: QPainter) -> None:
    """Overlay painter: the shown pedicles' axes and narrowest widths on a SliceView."""
    for drawn in _drawn_on(window, view):
        paint_segment(view, painter, drawn.plane, drawn.entry, drawn.target, AXIS_COLOUR, AXIS_PEN_PX)
        paint_segment(view, painter, drawn.plane, drawn.bar[0], drawn.bar[1], AXIS_COLOUR, AXIS_PEN_PX)
        if drawn.label is not None:
            draw_outlined(painter, drawn.label, width_label(drawn.axis), _font(), LABEL_COLOUR)


def taken_boxes(window: MainWindow, view: Any) -> list[QRectF]:
    """The widget boxes the width labels and the isthmus bars take on ``view``, as
    :func:`paint_pedicle_axes` draws them: the level names keep clear of them
    (:mod:`app.segmentation.vertebra_labels`; QA s29 F6: "T9" written under "4.5 mm ±1.0")."""
    out = []
    for drawn in _drawn_on(window, view):
        a, b = (view.lps_to_widget(p) for p in drawn.bar)
        pad = AXIS_PEN_PX
        out.append(QRectF(a, b).normalized().adjusted(-pad, -pad, pad, pad))
        if drawn.label is not None:
            out.append(drawn.label)
    return out


@dataclass(frozen=True)
class _Drawn:
    """A shown pedicle's axis as drawn on one view: the view's plane (point, normal, half a slice), the
    axis's ends and its isthmus bar's (LPS mm), and its width label's box (None off the isthmus's slice)."""

    axis: PedicleAxisFigures
    plane: tuple[FloatArray, FloatArray, float]
    entry: FloatArray
    target: FloatArray
    bar: tuple[FloatArray, FloatArray]
    label: QRectF | None


def _drawn_on(window: MainWindow, view: Any) -> list[_Drawn]:
    """The shown pedicles' axes on the slices that pass through their masks, as drawn on ``view``."""
    state = window.state
    if state.display is None:
        return []
    axes = shown_axes(window.case.case.layers, state.layers)
    if not axes:
        return []
    point, normal, spacing = view_plane(view)
    plane = (point, normal, spacing / 2.0)
    fixed = VIEW_AXES[view.view][0]
    out = []
    for shown in axes:
        box, off = state.layer_box(shown.display)
        if not 0 <= view.slice_index() - off[fixed] < box.shape[fixed]:
            continue  # the slice misses this pedicle: its axis would only clutter the view
        axis = shown.axis
        a, b = isthmus_bar(axis)
        label = None
        if abs(float((np.asarray(axis.isthmus_lps) - point) @ normal)) <= spacing / 2.0 + 1e-6:
            label = _label_box(view, view.lps_to_widget(a), view.lps_to_widget(b), width_label(axis))
        entry = np.asarray(axis.entry_lps, dtype=np.float64)
        target = np.asarray(axis.target_lps, dtype=np.float64)
        out.append(_Drawn(axis, plane, entry, target, (a, b), label))
    return out


def _font() -> QFont:
    return QFont("DejaVu Sans", LABEL_POINT_SIZE)


def _label_box(view: Any, a: QPointF, b: QPointF, text: str) -> QRectF:
    """Where ``text`` is written: beside the bar's outer end, the end further from the image's middle (the
    lateral one on an axial or coronal slice, off the canal), on the other side when the view's edge would
    cut it."""
    metrics = QFontMetricsF(_font())
    width, height = metrics.horizontalAdvance(text) + 2, metrics.height()
    middle = view.image_rect().center().x()
    end = a if abs(a.x() - middle) > abs(b.x() - middle) else b
    rightwards = end.x() >= middle
    x = end.x() + LABEL_GAP_PX if rightwards else end.x() - LABEL_GAP_PX - width
    if x < 0 or x + width > view.width():
        x = end.x() - LABEL_GAP_PX - width if rightwards else end.x() + LABEL_GAP_PX
    return QRectF(x, end.y() - height / 2.0, width, height)


class PedicleAxes3D:
    """The shown pedicles' axes and isthmus bars as tubes in the View3D renderer.

    ``segments`` lists what is drawn: ``(pedicle layer, "axis" | "isthmus", start, end)`` (LPS mm).
    """

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.actors: list[Any] = []
        self.segments: list[tuple[str, str, FloatArray, FloatArray]] = []
        self._keep: list[Any] = []
        self._drawn: tuple[tuple[str, PedicleAxisFigures], ...] | None = None

    def update(self) -> None:
        """Rebuild the tubes when the shown axes changed (a layer hidden, a vertebra added or removed);
        a brush dab, which changes a layer without changing what is shown here, costs nothing."""
        view3d = self.window.view3d
        renderer = getattr(view3d, "renderer", None)
        if renderer is None:
            return
        axes = shown_axes(self.window.case.case.layers, self.window.state.layers)
        drawn = tuple((s.layer, s.axis) for s in axes)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        for actor in self.actors:
            renderer.RemoveActor(actor)
        self.actors.clear()
        self.segments.clear()
        self._keep.clear()
        for shown in axes:
            axis = shown.axis
            entry = np.asarray(axis.entry_lps, dtype=np.float64)
            target = np.asarray(axis.target_lps, dtype=np.float64)
            for what, (a, b) in (("axis", (entry, target)), ("isthmus", isthmus_bar(axis))):
                line, tube = tube_source(a, b, AXIS_TUBE_MM)
                add_actor(renderer, tube, AXIS_RGB, 1.0, self.actors, self._keep)
                self._keep.append(line)
                self.segments.append((shown.layer, what, a, b))
        render = getattr(view3d, "schedule_render", None)
        if callable(render):
            render()
