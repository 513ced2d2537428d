"""Widgets the planning panels lay out alike: a word-wrapped label, and a list under its caption."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QListWidget, QVBoxLayout


def wrapped_label(layout: QVBoxLayout, text: str = "") -> QLabel:
    """A word-wrapped label showing ``text``, added to the layout."""
    label = QLabel(text)
    label.setWordWrap(True)
    layout.addWidget(label)
    return label


def captioned_list(layout: QVBoxLayout, caption: str, *, max_height_px: int) -> QListWidget:
    """A word-wrapped list at most ``max_height_px`` tall under its caption, both added to the layout."""
    layout.addWidget(QLabel(caption))
    items = QListWidget()
    items.setWordWrap(True)
    items.setMaximumHeight(max_height_px)
    layout.addWidget(items)
    return items
