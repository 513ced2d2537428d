"""The caption of a view along the needle (mode, needle, probe's depth), laid out clear of its orientation
letters.

The letters sit at the middle of each edge of :class:`app.planning_ui.needle_views.NeedleResliceView`; the
caption goes in the top-left corner, left of the top letter and above the left one, wrapped between words,
a word too wide elided and the last line that fits elided when the rest does not fit (QA s32 B: at the
dock's width "probe's eye — Lesion 1 needle 1  depth 77 mm" ran under the top "S", reading "dep S th").
Sizes in widget pixels.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF

#: orientation letters (patient directions at the view's edges) and the caption
LETTER_COLOUR = QColor("#ffd24d")
CAPTION_COLOUR = QColor("#9ecbff")
#: the caption's top-left corner (px) and the room it leaves to the top and left letters (px)
CAPTION_LEFT_PX = 6.0
CAPTION_TOP_PX = 2.0
CAPTION_GAP_PX = 6.0


def letter_font() -> QFont:
    """The orientation letters' font."""
    return QFont("DejaVu Sans", 10, QFont.Weight.Bold)


def caption_font() -> QFont:
    """The caption's font."""
    return QFont("DejaVu Sans", 9)


def caption_box(width_px: float, height_px: float, top_letter: str) -> QRectF:
    """Where the caption may be written in a view of that size: the top-left corner, left of the top
    letter ``top_letter`` (centred at the top) and above the left letter (centred at the left edge),
    :data:`CAPTION_GAP_PX` from each."""
    letters = QFontMetricsF(letter_font())
    right = width_px / 2.0 - letters.horizontalAdvance(top_letter) / 2.0 - CAPTION_GAP_PX
    bottom = height_px / 2.0 - letters.height() / 2.0 - CAPTION_GAP_PX
    return QRectF(CAPTION_LEFT_PX, CAPTION_TOP_PX, right - CAPTION_LEFT_PX, bottom - CAPTION_TOP_PX)


def caption_lines(text: str, box: QRectF) -> list[str]:
    """``text`` laid out in ``box``: wrapped between words; a word too wide for the box elided; the last
    line that fits holds the rest, elided."""
    fm = QFontMetricsF(caption_font())
    width = max(box.width(), 0.0)
    rows = max(1, int((box.height() - fm.ascent() - fm.descent()) // fm.lineSpacing()) + 1)
    lines: list[str] = []
    for word in text.split():
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and fm.horizontalAdvance(joined) <= width:
            lines[-1] = joined
        else:
            lines.append(word)
    if len(lines) > rows:
        lines = [*lines[: rows - 1], " ".join(lines[rows - 1 :])]
    return [fm.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in lines]
