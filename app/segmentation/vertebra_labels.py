"""Level names drawn on the sagittal and coronal slices beside each vertebral body that has one (QA s25 E7:
the operator read the level only from the layer names and the Vertebrae dock).

Each body layer with a level (``extra["level"]``, named or counted: :mod:`app.segmentation.vertebra_levels`)
gets its level written just outside its section on the slice shown, on the image's left (in front of the
body on the sagittal view, on the patient's right of it on the coronal one), at the middle of its height,
in the body layer's colour over a dark outline (legible on bone and soft tissue alike). The level the
operator named is bold, as its row in the dock is; counted ones are not. Only a body the slice passes
through and whose layer is shown is labelled; the axial view shows one body at a time and is left as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

from app.display_geometry import VIEW_AXES, ViewAxis
from app.segmentation.vertebra_tool import level_named
from planning.model import MaskLayer

if TYPE_CHECKING:
    from app.segmentation.controller import SegmentationController
    from app.viewer_state import LayerDisplay

#: the labels' font: small, as the views' corner label (9 pt), so that a label stays beside its own body
LABEL_POINT_SIZE = 9
#: pixels between the body's edge and its label
GAP_PX = 4.0
#: the outline drawn under the label's letters
OUTLINE = QColor(0, 0, 0)


def level_labels(
    layers: Mapping[str, MaskLayer], shown: Mapping[str, LayerDisplay]
) -> list[tuple[LayerDisplay, str, bool]]:
    """The shown body layers that carry a level: (its display, the level, whether the operator named it).
    A level saved before the named flag existed counts as named (:func:`level_named`, as in the dock)."""
    out = []
    for name, display in shown.items():
        layer = layers.get(name)
        if layer is None or layer.extra.get("part") != "body":
            continue
        level = layer.extra.get("level")
        if isinstance(level, str) and level and display.visible and display.opacity > 0:
            out.append((display, level, level_named(layer)))
    return out


def paint_level_labels(controller: SegmentationController, view: Any, painter: QPainter) -> None:
    """Write each labelled body's level beside its section on a sagittal or coronal ``view``."""
    state = controller.window.state
    d = state.display
    if d is None or view.view == ViewAxis.AXIAL:
        return
    labels = level_labels(controller.window.case.case.layers, state.layers)
    if not labels:
        return
    rect: QRectF = view.image_rect()
    fixed, r_axis, c_axis = VIEW_AXES[view.view]
    rows, cols = d.slice_array(view.view, 0).shape
    px_w, px_h = rect.width() / cols, rect.height() / rows
    for display, level, named in labels:
        box, off = state.layer_box(display)
        k = view.slice_index() - off[fixed]
        if not 0 <= k < box.shape[fixed]:
            continue
        plane = np.take(box, k, axis=fixed)  # (rows, cols) of the box, as the view draws it
        in_rows, in_cols = np.flatnonzero(plane.any(axis=1)), np.flatnonzero(plane.any(axis=0))
        if in_rows.size == 0:
            continue
        left = rect.left() + (off[c_axis] + in_cols[0]) * px_w
        right = rect.left() + (off[c_axis] + in_cols[-1] + 1) * px_w
        middle = rect.top() + (off[r_axis] + (in_rows[0] + in_rows[-1] + 1) / 2) * px_h
        font = QFont("DejaVu Sans", LABEL_POINT_SIZE)
        font.setBold(named)
        metrics = QFontMetricsF(font)
        width, height = metrics.horizontalAdvance(level) + 2, metrics.height()
        x = left - GAP_PX - width
        if x < 0:  # no room on the image's left: on its right
            x = right + GAP_PX
        draw_outlined(painter, QRectF(x, middle - height / 2, width, height), level, font, display.colour)


def draw_outlined(painter: QPainter, where: QRectF, text: str, font: QFont, colour: QColor) -> None:
    """``text`` in ``colour`` over a one-pixel dark outline, so it reads on bright bone and dark fat."""
    painter.setFont(font)
    flags = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    painter.setPen(OUTLINE)
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        painter.drawText(where.translated(QPointF(dx, dy)), flags, text)
    painter.setPen(colour)
    painter.drawText(where, flags, text)
