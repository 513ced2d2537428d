"""The 3D view's status line: one line over the top of the view, cut to the view's width with "…".

It says what the 3D view shows ("3D: bone ≥ 200 HU, 127,698 triangles · software OpenGL: surfaces ·
close-up …"). QA s22 D: in a 3D view narrower than the text the line ran past the view's right edge and
was cut there mid-word ("surfac"), with no way to read the rest. Now the text is elided to the width the
view leaves it (Qt's ``QFontMetrics.elidedText``, "…" at the end) and the whole text is the line's
tooltip whenever it is cut; the line is laid out again when the view is resized. Its background is opaque
(the gradient's top colour): the label lies over the VTK render window, and with a transparent one each
new text was painted over the old one's glyphs (QA s22 D, item D1).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

#: the line's distance from the view's left and top edges, and the room kept free on its right (px)
MARGIN_PX = 4
#: the stylesheet's padding on each side (px)
PADDING_PX = 4


class StatusLine(QLabel):
    """A one-line label over its parent's top edge, elided to the parent's width (full text in the tooltip).

    Parameters
    ----------
    parent
        The view it lies over; its resizes lay the line out again.
    background
        The stylesheet colour of its (opaque) background.
    """

    def __init__(self, parent: QWidget, background: str) -> None:
        super().__init__(parent)
        self.full_text = ""
        self.setStyleSheet(f"color: #9ecbff; background: {background}; padding: {PADDING_PX}px;")
        self.setAutoFillBackground(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.move(MARGIN_PX, MARGIN_PX // 2)
        parent.installEventFilter(self)

    def show_text(self, text: str) -> None:
        """Show ``text``, cut with "…" when it is wider than the view leaves room for."""
        self.full_text = text
        self._lay_out()

    def is_elided(self) -> bool:
        """True when the line shows less than its whole text."""
        return self.text() != self.full_text

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self._lay_out()
        return False

    # -- private ----------------------------------------------------------------------------------
    def _lay_out(self) -> None:
        parent = self.parentWidget()
        allowed = (parent.width() if parent is not None else 0) - 2 * MARGIN_PX
        room = allowed - 2 * PADDING_PX
        shown = self.full_text
        # twice at most: the label's own margins beyond its padding are known once it is laid out
        for _ in range(2):
            metrics = self.fontMetrics()
            if room > 0 and metrics.horizontalAdvance(self.full_text) > room:
                shown = metrics.elidedText(self.full_text, Qt.TextElideMode.ElideRight, room)
            self.setText(shown)
            self.adjustSize()
            over = self.width() - allowed
            if room <= 0 or over <= 0:
                break
            room -= over
        self.setToolTip(self.full_text if shown != self.full_text else "")
