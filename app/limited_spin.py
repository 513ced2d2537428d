"""A number field that takes any number typed and says when it used its limit instead.

Qt's QDoubleSpinBox rejects a keystroke that takes the text past its range: "500" typed in a field of
0.1-30 mm kept "5" and Grow used 5 mm, "45" gave 4 mm, and a "0" typed over 4 left 4 (QA s31), all without
a word. :class:`LimitedSpinBox` lets every number be typed, puts the nearest limit in the field when the
number is out of range (the field shows what is used), and emits :attr:`LimitedSpinBox.limited` with the
number typed and the one used, for the caller to say; its tooltip ends with the range.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QWidget


class LimitedSpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox that takes out-of-range numbers as typed and corrects them to the nearest limit.

    Signals
    -------
    limited(float, float)
        A number typed out of range (first) was replaced by the limit used (second).
    """

    limited = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
        self._tip = ""

    def set_tip(self, tip: str) -> None:
        """Set the tooltip; the field's range and unit are added to it."""
        self._tip = tip
        self._update_tip()

    def setRange(self, minimum: float, maximum: float) -> None:
        super().setRange(minimum, maximum)
        self._update_tip()

    def range_text(self) -> str:
        """The range as said to the operator ("0.1-30.0 mm")."""
        lo, hi = self.textFromValue(self.minimum()), self.textFromValue(self.maximum())
        return f"{lo} to {hi}{self.suffix()}"

    def validate(self, text: str, pos: int) -> object:
        state, out, at = super().validate(text, pos)  # type: ignore[misc]
        if state == QValidator.State.Invalid and self._number(text) is not None:
            # a number out of range is kept as typed and corrected when entered (fixup)
            return QValidator.State.Intermediate, text, pos
        return state, out, at

    def fixup(self, text: str) -> str:
        typed = self._number(text)
        if typed is None or self.minimum() <= typed <= self.maximum():
            return super().fixup(text)
        used = min(max(typed, self.minimum()), self.maximum())
        self.limited.emit(typed, used)
        return f"{self.prefix()}{self.textFromValue(used)}{self.suffix()}"

    # -- private --------------------------------------------------------------------------------
    def _number(self, text: str) -> float | None:
        """The number in the field's text (prefix, suffix and spaces aside), or None."""
        body = text
        if self.prefix() and body.startswith(self.prefix()):
            body = body[len(self.prefix()) :]
        if self.suffix() and body.endswith(self.suffix()):
            body = body[: -len(self.suffix())]
        body = body.strip()
        if not body:
            return None
        value, ok = self.locale().toDouble(body)
        if not ok:
            try:
                value = float(body)
            except ValueError:
                return None
        return float(value) if math.isfinite(value) else None

    def _update_tip(self) -> None:
        if self._tip:
            self.setToolTip(f"{self._tip} ({self.range_text()})")
