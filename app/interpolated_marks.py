"""The marks a 2D view puts on slices the loader interpolated rather than measured.

A DICOM series with missing slices is filled by interpolation (``Volume.interpolated_slices``, see
:mod:`imaging.resampled_slices`); a made-up slice must never pass as measured. Each
:class:`~app.slice_view.SliceView` owns one :class:`InterpolatedMarks`:

* a view showing such a slice whole (the axial view of an axial stack) says so in an amber corner
  note, :data:`SLICE_TEXT`;
* a view crossing them (sagittal and coronal of an axial stack; any view of an oblique one) draws
  amber ticks on the visible image's edges where they lie, with the shorter note :data:`TICKS_TEXT`
  (ticks, not a band over the image: the anatomy under them stays readable).

Where the marks go comes from :meth:`app.display_geometry.DisplayVolume.interpolated_in_slice` (the
display grid's axial index runs the other way from a head-first volume's slice index; it handles
that). Widget coordinates are pixels; slice pixel coordinates are ``(row, col)`` with centres at integers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF, QRegion
from PySide6.QtWidgets import QLabel

from app.display_geometry import InterpolatedInSlice
from app.theme import AMBER

if TYPE_CHECKING:
    from app.slice_view import SliceView

#: the caution colour of the theme (app.theme.AMBER): interpolated slices are a caution, not a danger
COLOUR = QColor("#ffb347")
#: width (px) of the edge ticks: visible at a glance, yet off the anatomy
TICK_PX = 8.0
SLICE_TEXT = "Interpolated slice (not measured)"
TICKS_TEXT = "Amber ticks: interpolated slices"
#: where the note sits: top left, under the view's name line and clear of the top orientation letter
#: (which SliceView draws in the 4-24 px band at the top centre)
LABEL_POS_PX = (4, 26)
#: the height of one line of the view's corner label (app.slice_view draws them 14 px apart)
LABEL_LINE_PX = 14


class InterpolatedMarks(QObject):
    """The interpolated-slice note and ticks of one view; follows the view's state by itself."""

    def __init__(self, view: SliceView) -> None:
        super().__init__(view)
        self.view = view
        #: the amber corner note, hidden when the view shows no interpolated slice
        self.label = QLabel(view)
        self.label.setStyleSheet(
            f"QLabel {{ {AMBER} font-weight: bold; background: rgba(0, 0, 0, 170); padding: 2px 4px; }}"
        )
        self.label.setWordWrap(True)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.label.move(*LABEL_POS_PX)
        self.label.hide()
        view.state.volume_changed.connect(self.refresh)
        view.state.crosshair_changed.connect(self.refresh)
        view.installEventFilter(self)

    def marks(self) -> InterpolatedInSlice:
        """Where the slice shown lies in interpolated source slices (whole, bands, or none)."""
        d = self.view.state.display
        if d is None:
            return InterpolatedInSlice()
        return d.interpolated_in_slice(self.view.view, self.view.slice_index())

    def refresh(self) -> None:
        """Show, change or hide the note for the slice now shown."""
        marks = self.marks()
        text = SLICE_TEXT if marks.whole else TICKS_TEXT if marks.bands else ""
        self.label.setText(text)
        self._fit_label()
        self.label.setVisible(bool(text))

    def cursor_note(self, point_lps: npt.NDArray[np.float64]) -> str:
        """Words for the status bar when the point lies in an interpolated slice, else ``""``."""
        d = self.view.state.display
        if d is None or not d.source_slice_interpolated(point_lps):
            return ""
        return "interpolated slice, not measured"

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        """Amber ticks along the visible image's edges where interpolated slices cross the slice shown
        (the slice image is drawn at ``rect``)."""
        d = self.view.state.display
        if d is None:
            return
        marks = self.marks()
        shown = rect.intersected(QRectF(self.view.rect()))
        if not marks.bands or shown.isEmpty():
            return
        rows, cols = d.slice_array(self.view.view, 0).shape
        px_w, px_h = rect.width() / cols, rect.height() / rows
        edges = QRegion()
        for strip in (
            QRectF(shown.left(), shown.top(), TICK_PX, shown.height()),
            QRectF(shown.right() - TICK_PX, shown.top(), TICK_PX, shown.height()),
            QRectF(shown.left(), shown.top(), shown.width(), TICK_PX),
            QRectF(shown.left(), shown.bottom() - TICK_PX, shown.width(), TICK_PX),
        ):
            edges += QRegion(strip.toAlignedRect())
        painter.save()
        painter.setClipRegion(edges)
        painter.setPen(QPen(COLOUR, 1))  # the outline keeps a band thinner than a pixel visible
        painter.setBrush(COLOUR)
        for band in marks.bands:
            corners = [
                QPointF(rect.left() + (c + 0.5) * px_w, rect.top() + (r + 0.5) * px_h) for r, c in band
            ]
            painter.drawPolygon(QPolygonF(corners))
        painter.restore()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view and event.type() == QEvent.Type.Resize:
            self._fit_label()
        return False

    def _fit_label(self) -> None:
        """One line when the view is wide enough, else wrapped within its width (never cut short)."""
        margins = self.label.contentsMargins()
        # the style sheet's padding and a little slack for the bold face
        one_line = self.label.fontMetrics().horizontalAdvance(self.label.text()) + 16
        width = min(one_line + margins.left() + margins.right(), self.view.width() - 2 * LABEL_POS_PX[0])
        width = max(width, 60)
        self.label.resize(width, self.label.heightForWidth(width))
        # below the view's corner label, which takes a second line in a narrow view
        lines = len(self.view.label_lines())
        self.label.move(LABEL_POS_PX[0], LABEL_POS_PX[1] + LABEL_LINE_PX * (lines - 1))
