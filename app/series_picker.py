"""The dialog that lists the series found under a path and lets the operator pick one.

Each row shows a thumbnail of the series' middle slice (when the scan gives its files), the
description, modality, number of slices, spacing in mm and any warning; refused series are listed
greyed out with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.display_geometry import apply_window
from app.loading import SeriesEntry
from app.wording import printable

THUMBNAIL_PX = 96
#: thumbnails use a soft-tissue-wide window so any CT shows something
THUMB_WIDTH_HU, THUMB_LEVEL_HU = 1500.0, 200.0


class SeriesPickerDialog(QDialog):
    """Pick one series; ``selected_uid()`` after ``exec()`` returns Accepted."""

    def __init__(self, series: Sequence[SeriesEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose a series")
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{len(series)} series found. Thin bone-kernel series suit spine planning."))
        self.list = QListWidget()
        self.list.setIconSize(QSize(THUMBNAIL_PX, THUMBNAIL_PX))
        self.list.setSpacing(2)
        for entry in series:
            item = QListWidgetItem(_describe(entry))
            item.setData(Qt.ItemDataRole.UserRole, entry.series_uid)
            item.setToolTip("\n".join(map(printable, entry.warnings)) or printable(entry.description))
            icon = _thumbnail(entry)
            if icon is not None:
                item.setIcon(icon)
            if not entry.loadable:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled & ~Qt.ItemFlag.ItemIsSelectable)
            self.list.addItem(item)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        layout.addWidget(buttons)
        for row in range(self.list.count()):
            if self.list.item(row).flags() & Qt.ItemFlag.ItemIsEnabled:
                self.list.setCurrentRow(row)
                break

    def selected_uid(self) -> str | None:
        """Series Instance UID of the chosen series, None when none is selected."""
        item = self.list.currentItem()
        if item is None or not (item.flags() & Qt.ItemFlag.ItemIsEnabled):
            return None
        value: Any = item.data(Qt.ItemDataRole.UserRole)
        return str(value)


def _describe(entry: SeriesEntry) -> str:
    s, r, c = entry.shape
    ds, dr, dc = (_mm(v) for v in entry.spacing_mm)
    lines = [
        f"{printable(entry.description) or '(no description)'}  —  {printable(entry.modality)}",
        f"{s} slices of {r}x{c}, spacing {dr} x {dc} mm, slices every {ds} mm",
    ]
    # files without a Series Instance UID are told apart by their folder and numbers (two such series
    # may share a description)
    without_uid = str(getattr(entry.info, "without_uid", "") or "")
    if without_uid:
        lines.append(without_uid[0].upper() + without_uid[1:])
    if not entry.loadable:
        lines.append(printable(f"Cannot be opened: {entry.refusal}"))
    lines.extend(printable(f"⚠ {w}") for w in entry.warnings[:3])
    return "\n".join(lines)


def _mm(value: float) -> str:
    """A spacing for the list; a refused series' unknown one (NaN) reads "unknown", never "nan"."""
    return "unknown" if math.isnan(value) else f"{value:.2f}"


def _thumbnail(entry: SeriesEntry) -> QIcon | None:
    """Middle slice of the series, read from its files when the scan listed them."""
    files = getattr(entry.info, "files", ())
    if not files:
        return None
    try:
        import pydicom

        ds = pydicom.dcmread(Path(files[len(files) // 2]), force=True)
        pixels = ds.pixel_array.astype(np.float32)
        pixels = pixels * float(getattr(ds, "RescaleSlope", 1.0)) + float(
            getattr(ds, "RescaleIntercept", 0.0)
        )
    except (OSError, ValueError, AttributeError, TypeError, RuntimeError):
        return None  # a thumbnail is a courtesy; the loader reports real problems
    if pixels.ndim != 2:
        return None
    step = max(1, max(pixels.shape) // THUMBNAIL_PX)
    grey = np.ascontiguousarray(apply_window(pixels[::step, ::step], THUMB_WIDTH_HU, THUMB_LEVEL_HU))
    h, w = grey.shape
    image = QImage(grey.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return QIcon(QPixmap.fromImage(image))
