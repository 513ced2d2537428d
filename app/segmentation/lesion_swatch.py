"""The Lesions table's colour cell: the lesion's colour as a swatch drawn over the selection.

The cell holds the layer's colour as its background (``Qt.BackgroundRole``); Qt's item delegate paints the
selection's highlight instead of the background, so the selected row, the lesion the operator is working
on, hid its colour (QA s24 D13). :class:`SwatchDelegate` paints the cell as usual, then the colour inset by
:data:`SWATCH_MARGIN_PX`: the selection still shows around it. Selection and reading the selected lesion
are the table's, unchanged.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

#: the selection (or the cell's own colour when not selected) shows this wide around the swatch
SWATCH_MARGIN_PX = 3


class SwatchDelegate(QStyledItemDelegate):
    """Paints the cell, then its background colour as a swatch on top (selected or not)."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().paint(painter, option, index)
        brush = index.data(Qt.ItemDataRole.BackgroundRole)
        colour = brush.color() if isinstance(brush, QBrush) else brush
        if not isinstance(colour, QColor) or not colour.isValid():
            return
        m = SWATCH_MARGIN_PX
        rect = option.rect.adjusted(m, m, -m, -m)
        if rect.isValid():
            painter.fillRect(rect, colour)
