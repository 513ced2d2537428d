"""What a 2D slice view draws over its image: crosshair, ruler, orientation letters, corner label.

Each function takes the :class:`~app.slice_view.SliceView` (for its state, view axis and the LPS to
widget mapping) and the painter of its paint event. Positions are widget pixels; the ruler's length is
in mm, measured between its LPS ends. The view itself draws the slice image, the mask layers and the
overlays of the tools (:mod:`app.slice_view`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen

from app.display_geometry import VIEW_AXES, ViewAxis

if TYPE_CHECKING:
    from app.slice_view import SliceView

#: crosshair colours per view (the colour of the *other* view's line, as in Slicer)
VIEW_COLOURS: dict[ViewAxis, QColor] = {
    ViewAxis.AXIAL: QColor("#d9534f"),
    ViewAxis.SAGITTAL: QColor("#e6c229"),
    ViewAxis.CORONAL: QColor("#5cb85c"),
}
#: the corner label's font (view, slice, window)
LABEL_FONT = QFont("DejaVu Sans", 9)


def draw_crosshair(view: SliceView, painter: QPainter) -> None:
    """The crosshair through the shared crosshair point, each line in the colour of the view it shows
    (left open for 8 px around the point, so the anatomy under it stays visible)."""
    p = view.lps_to_widget(view.state.crosshair_lps)
    others = [v for v in ViewAxis if v != view.view]
    # vertical line: the view whose fixed axis is this view's column axis, and vice versa
    _, r_axis, c_axis = VIEW_AXES[view.view]
    vert = next(v for v in others if VIEW_AXES[v][0] == c_axis)
    horiz = next(v for v in others if VIEW_AXES[v][0] == r_axis)
    gap = 8.0
    painter.setPen(QPen(VIEW_COLOURS[vert], 1))
    painter.drawLine(QPointF(p.x(), 0), QPointF(p.x(), p.y() - gap))
    painter.drawLine(QPointF(p.x(), p.y() + gap), QPointF(p.x(), view.height()))
    painter.setPen(QPen(VIEW_COLOURS[horiz], 1))
    painter.drawLine(QPointF(0, p.y()), QPointF(p.x() - gap, p.y()))
    painter.drawLine(QPointF(p.x() + gap, p.y()), QPointF(view.width(), p.y()))


def draw_ruler(view: SliceView, painter: QPainter) -> None:
    """The ruler being drawn, if any: its line, its ends and its length in mm beside its second end."""
    if view.ruler_lps is None:
        return
    a = view.lps_to_widget(view.ruler_lps[0])
    b = view.lps_to_widget(view.ruler_lps[1])
    painter.setPen(QPen(QColor("#00e5ff"), 2))
    painter.drawLine(a, b)
    for end in (a, b):
        painter.drawEllipse(end, 3.0, 3.0)
    length_mm = float(np.linalg.norm(view.ruler_lps[1] - view.ruler_lps[0]))
    painter.setFont(QFont("DejaVu Sans", 10))
    painter.drawText(b + QPointF(6, -6), f"{length_mm:.1f} mm")


def draw_letters(view: SliceView, painter: QPainter) -> None:
    """The patient-direction letters at the middle of each edge (from the display geometry)."""
    d = view.state.display
    if d is None:
        return
    letters = d.edge_letters(view.view)
    painter.setPen(QColor("#ffd24d"))
    font = QFont("DejaVu Sans", 12)
    font.setBold(True)
    painter.setFont(font)
    w, h, m = view.width(), view.height(), 4
    flags = Qt.AlignmentFlag
    painter.drawText(QRectF(m, 0, 30, h), flags.AlignLeft | flags.AlignVCenter, letters["left"])
    painter.drawText(QRectF(w - 30 - m, 0, 30, h), flags.AlignRight | flags.AlignVCenter, letters["right"])
    painter.drawText(QRectF(0, m, w, 20), flags.AlignHCenter | flags.AlignTop, letters["top"])
    painter.drawText(QRectF(0, h - 20 - m, w, 20), flags.AlignHCenter | flags.AlignBottom, letters["bottom"])


def draw_label(view: SliceView, painter: QPainter) -> None:
    """The corner label (:func:`label_lines`), lines 14 px apart, in the view's colour."""
    painter.setPen(VIEW_COLOURS[view.view])
    painter.setFont(LABEL_FONT)
    for row, text in enumerate(label_lines(view)):
        painter.drawText(QPointF(6, 14 + 14 * row), text)


def label_lines(view: SliceView) -> list[str]:
    """The corner label: view, slice and window on one line, or the window on a second line when
    one line would run under the orientation letter at the top's centre (a narrow view)."""
    text = view.view.value.capitalize()
    if view.state.display is None:
        return [text]
    text += f"  {view.slice_label()}"
    window = f"W {view.state.window_hu:.0f} L {view.state.level_hu:.0f}"
    one_line = f"{text}   {window}"
    # the top letter is centred in a box about 20 px wide: keep 6 px clear of its left edge
    if 6 + QFontMetrics(LABEL_FONT).horizontalAdvance(one_line) <= view.width() / 2 - 16:
        return [one_line]
    return [text, window]
