"""The dark theme of the workstation (reading rooms are dim): Fusion style with a dark palette."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

#: style sheets of readouts that need attention: RED a danger (a needle entering the canal, a pedicle narrower
#: than the needle), AMBER a caution (a figure marked unverified, a warning), OK a check that passed
RED = "color: #ff5c5c; font-weight: bold;"
AMBER = "color: #ffb347;"
OK = "color: #9be39b;"

_COLOURS = {
    QPalette.ColorRole.Window: "#1e2127",
    QPalette.ColorRole.WindowText: "#d7dae0",
    QPalette.ColorRole.Base: "#15171b",
    QPalette.ColorRole.AlternateBase: "#23262d",
    QPalette.ColorRole.ToolTipBase: "#2b2f37",
    QPalette.ColorRole.ToolTipText: "#e8eaed",
    QPalette.ColorRole.Text: "#d7dae0",
    QPalette.ColorRole.Button: "#2a2e36",
    QPalette.ColorRole.ButtonText: "#d7dae0",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Highlight: "#3d6fb4",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#6ea8fe",
    QPalette.ColorRole.PlaceholderText: "#7f8590",
}


def apply_dark_theme(app: QApplication) -> None:
    """Fusion style, dark palette, greyed disabled text."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in _COLOURS.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b7079"))
    app.setPalette(palette)
    app.setStyleSheet("QToolTip { border: 1px solid #3d6fb4; } QStatusBar QLabel { padding: 0 4px; }")
