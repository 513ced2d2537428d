"""Level names drawn on the sagittal and coronal slices beside each vertebral body that has one (QA s25 E7:
the operator read the level only from the layer names and the Vertebrae dock).

Each body layer with a level (``extra["level"]``, named or counted: :mod:`app.segmentation.vertebra_levels`)
gets its level written just outside its section on the slice shown, on the image's left (in front of the
body on the sagittal view, on the patient's right of it on the coronal one), at the middle of its height,
in the body layer's colour over a dark outline (legible on bone and soft tissue alike). The level the
operator named is bold, as its row in the dock is; counted ones are not. Only a body the slice passes
through and whose layer is shown is labelled; the axial view shows one body at a time and is left as it is.
A name keeps clear of what other overlays write on the view (``ViewerState.keep_clear``: the pedicles' width
labels and isthmus bars) and of the names already written: it moves to the section's other side, or up or
down beside it, and is left out when no place beside its section is clear (QA s29 F6: on the coronal slice
through the pedicles "T9" was written under "4.5 mm ±1.0").
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
    # what other overlays write or draw on this view (the pedicles' width labels and bars), and the names
    # already placed: a name whose box would overlap one of them moves (QA s29 F6)
    taken: list[QRectF] = [box for boxes in state.keep_clear for box in boxes(view)]
    for display, level, named in labels:
        box, off = state.layer_box(display)
        k = view.slice_index() - off[fixed]
        if not 0 <= k < box.shape[fixed]:
            continue
        plane = np.take(box, k, axis=fixed)  # (rows, cols) of the box, as the view draws it
        in_rows, in_cols = np.flatnonzero(plane.any(axis=1)), np.flatnonzero(plane.any(axis=0))
        if in_rows.size == 0:
            continue
        section = QRectF(
            rect.left() + (off[c_axis] + in_cols[0]) * px_w,
            rect.top() + (off[r_axis] + in_rows[0]) * px_h,
            (in_cols[-1] + 1 - in_cols[0]) * px_w,
            (in_rows[-1] + 1 - in_rows[0]) * px_h,
        )
        font = QFont("DejaVu Sans", LABEL_POINT_SIZE)
        font.setBold(named)
        metrics = QFontMetricsF(font)
        where = label_box(
            section, metrics.horizontalAdvance(level) + 2, metrics.height(), view.width(), taken
        )
        if where is None:
            continue  # no place beside its section clear of the others: left out rather than written over
        taken.append(where)
        draw_outlined(painter, where, level, font, display.colour)


def label_box(
    section: QRectF, width: float, height: float, view_width: float, taken: list[QRectF]
) -> QRectF | None:
    """Where a level name ``width`` x ``height`` px is written beside its body's ``section`` on the view
    (widget px): on the image's left of the section at the middle of its height, else on its right (no
    room in the view, or the box would overlap one ``taken``), else moved up or down by half its height at
    a time while its middle stays beside the section; None when every place overlaps."""
    middle = section.center().y()
    half_span = section.height() / 2.0
    shifts = [0.0]
    step = height / 2.0
    n = 1
    while n * step <= half_span:
        shifts += [n * step, -n * step]
        n += 1
    for dy in shifts:
        for x in (section.left() - GAP_PX - width, section.right() + GAP_PX):
            box = QRectF(x, middle + dy - height / 2.0, width, height)
            if x < 0 or x + width > view_width:
                continue
            if not any(box.intersects(other) for other in taken):
                return box
    return None


def draw_outlined(painter: QPainter, where: QRectF, text: str, font: QFont, colour: QColor) -> None:
    """``text`` in ``colour`` over a one-pixel dark outline, so it reads on bright bone and dark fat."""
    painter.setFont(font)
    flags = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    painter.setPen(OUTLINE)
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        painter.drawText(where.translated(QPointF(dx, dy)), flags, text)
    painter.setPen(colour)
    painter.drawText(where, flags, text)
