"""The window's status bar: a message too long for the bar ends in "…" and is read whole in its tooltip;
a planning step's message goes when the operator moves on.

Qt's own status bar cuts a long message at its right edge mid-word (QA s30 D row 6: two proposal notes
joined, cut at 1280 px). :class:`StatusBar` draws such a message elided instead and shows the whole text,
wrapped, as the bar's tooltip. :meth:`StatusBar.currentMessage` stays the whole text, so the code that
compares messages and the tests see what was said, not what fits.

A message shown with :meth:`StatusBar.show_step_message` belongs to the step that said it (a needle
proposal's notes): :meth:`StatusBar.end_step` takes it away when the operator moves on (the planning UI
calls it on the next change of the case, undo and redo included, and when another planning dock is
brought to the front), unless another message has replaced it since. What must stay is kept in the docks
(a proposal's notes under "When proposed" in the Needles dock's Readouts).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QSizeGrip, QStatusBar, QStyle, QStyleOption, QToolTip, QWidget

__all__ = ["StatusBar"]

#: the message's margins in the bar, as Qt's QStatusBarPrivate::messageRect has them (px)
_LEFT_PX = 6
_RIGHT_PX = 12
#: the tooltip's text width (px): the whole message wraps at it
_TOOLTIP_WIDTH_PX = 640


class StatusBar(QStatusBar):
    """A QStatusBar whose long message is drawn elided and read whole in the tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._permanent: list[QWidget] = []
        self._step_text: str | None = None

    # -- public ---------------------------------------------------------------------------------
    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:
        """As Qt's, remembering the widget: the message ends before the first one shown."""
        self._permanent.append(widget)
        super().addPermanentWidget(widget, stretch)

    def insertPermanentWidget(self, index: int, widget: QWidget, stretch: int = 0) -> int:
        """As Qt's, remembering the widget: the message ends before the first one shown."""
        self._permanent.append(widget)
        return super().insertPermanentWidget(index, widget, stretch)

    def removeWidget(self, widget: QWidget) -> None:
        """As Qt's, forgetting the widget."""
        if widget in self._permanent:
            self._permanent.remove(widget)
        super().removeWidget(widget)

    def show_step_message(self, text: str, timeout_ms: int = 0) -> None:
        """Show ``text`` until :meth:`end_step` (or ``timeout_ms``, or another message)."""
        self.showMessage(text, timeout_ms)
        self._step_text = text

    def end_step(self) -> None:
        """The operator moved on: take away the last step's message if it still shows."""
        if self._step_text is not None and self.currentMessage() == self._step_text:
            self.clearMessage()
        self._step_text = None

    def message_rect(self) -> QRect:
        """Where the message is drawn (widget px): from the left margin to the first permanent widget
        shown (or the size grip), as Qt computes it."""
        left, right = _LEFT_PX, self.width() - _RIGHT_PX
        grip = self.findChild(QSizeGrip)
        if grip is not None and grip.isVisible():
            right = grip.x()
        shown = [w for w in self._permanent if w.isVisible()]
        if shown:
            right = min(right, min(w.x() for w in shown) - 2)
        return QRect(left, 0, max(0, right - left), self.height())

    def shown_message(self) -> str:
        """The message as drawn: whole when it fits, else cut at a word or character with "…"."""
        text = self.currentMessage()
        width = self.message_rect().width()
        if not text or self.fontMetrics().horizontalAdvance(text) <= width:
            return text
        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, width)

    def is_elided(self) -> bool:
        """True when the message does not fit and is drawn with "…"."""
        return self.shown_message() != self.currentMessage()

    def message_tooltip(self) -> str:
        """The tooltip shown over the bar: the whole message when it is elided (wrapped, as rich text),
        with the bar's own tooltip after it when there is one; else the bar's own tooltip."""
        own = self.toolTip()
        if not self.is_elided():
            return own
        parts = [self.currentMessage(), *([own] if own and own != self.currentMessage() else [])]
        body = "".join(f"<p>{html.escape(p)}</p>" for p in parts)
        return f"<div style='width: {_TOOLTIP_WIDTH_PX}px'>{body}</div>"

    # -- Qt overrides ---------------------------------------------------------------------------
    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip and self.is_elided():
            QToolTip.showText(e.globalPos(), self.message_tooltip(), self)  # type: ignore[attr-defined]
            return True
        return super().event(e)

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.is_elided():
            super().paintEvent(event)
            return
        # as QStatusBar::paintEvent draws a message, with the text elided to the message's room
        painter = QPainter(self)
        style = self.style()
        opt = QStyleOption()
        opt.initFrom(self)
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, opt, painter, self)
        for widget in self._permanent:
            if widget.isVisible():
                item = QStyleOption()
                item.rect = widget.geometry().adjusted(-2, -1, 2, 1)
                item.palette = self.palette()
                item.state = QStyle.StateFlag.State_None
                style.drawPrimitive(QStyle.PrimitiveElement.PE_FrameStatusBarItem, item, painter, widget)
        painter.setPen(self.palette().windowText().color())
        flags = Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine
        painter.drawText(self.message_rect(), int(flags), self.shown_message())
        painter.end()
