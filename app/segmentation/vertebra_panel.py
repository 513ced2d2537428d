"""The Vertebrae dock: the vertebrae found in the case and the level naming field.

The operator selects one vertebra, types its level (e.g. "L3") and presses Name: every vertebra of
the case is labelled by counting along the spine from it (body centroids, LPS mm), in one undo step.
The labels of the others are shown as suggestions (counting can be off by one with transitional
anatomy; the counting's warnings about gaps are shown under the list). Selecting a row moves the
crosshair to the body's centroid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.segmentation.vertebra_tool import level_plan, vertebrae_of
from imaging.levels import normalize_level

if TYPE_CHECKING:
    from app.segmentation.controller import SegmentationController


class VertebraPanel(QDockWidget):
    """Dock listing vertebrae with their levels; names one level and counts the others."""

    def __init__(self, controller: SegmentationController, parent: QWidget | None = None) -> None:
        super().__init__("Vertebrae", parent)
        self.setObjectName("vertebraDock")
        self.controller = controller
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setToolTip("Vertebrae found (V: vertebra tool, click in a body) — select to go there")
        layout.addWidget(self.list)
        row = QHBoxLayout()
        self.level_edit = QLineEdit()
        self.level_edit.setPlaceholderText("level, e.g. L3")
        self.level_edit.setToolTip(
            "Name the selected vertebra (C1-S1); the others are labelled by counting from it"
        )
        self.name_button = QPushButton("Name")
        self.name_button.setToolTip("Label every vertebra by counting from the selected one")
        row.addWidget(QLabel("Level"))
        row.addWidget(self.level_edit, 1)
        row.addWidget(self.name_button)
        layout.addLayout(row)
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        layout.addWidget(self.notes)
        self.setWidget(body)
        self.name_button.clicked.connect(lambda: self.name_selected(self.level_edit.text()))
        self.level_edit.returnPressed.connect(lambda: self.name_selected(self.level_edit.text()))
        self.list.currentItemChanged.connect(self._on_list_current_changed)
        controller.model_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the list from the case (signals blocked)."""
        volume = self.controller.volume()
        current = self.selected_id()
        entries = vertebrae_of(
            self.controller.window.case.case, None if volume is None else volume.index_to_lps
        )
        self.list.blockSignals(True)
        self.list.clear()
        for e in entries:
            parts = ", ".join(p.replace("_", " ") for p in e.layers)
            item = QListWidgetItem(
                f"{e.prefix}   ({parts})" if e.level else f"{e.prefix}   unnamed ({parts})"
            )
            item.setData(Qt.ItemDataRole.UserRole, e.vertebra_id)
            self.list.addItem(item)
            if e.vertebra_id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def selected_id(self) -> str | None:
        """Id of the selected vertebra."""
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def select(self, vertebra_id: str) -> None:
        """Select a vertebra by id."""
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == vertebra_id:
                self.list.setCurrentRow(i)
                return

    def name_selected(self, level: str) -> bool:
        """Name the selected vertebra ``level`` and count the others (one undo step)."""
        vid = self.selected_id()
        volume = self.controller.volume()
        if vid is None and self.list.count() == 1:
            vid = str(self.list.item(0).data(Qt.ItemDataRole.UserRole))
        if vid is None or volume is None:
            self.notes.setText("Select the vertebra to name first.")
            return False
        try:
            canonical = normalize_level(level)
            first, second, labels, warnings = level_plan(
                self.controller.window.case.case, volume.index_to_lps, vid, canonical
            )
        except ValueError as exc:
            self.notes.setText(str(exc))
            return False
        case_ctl = self.controller.window.case
        stack = case_ctl.undo_stack
        stack.beginMacro(f"Name vertebra {canonical}")
        try:
            for command in (*first, *second):
                case_ctl.push(command)
        finally:
            stack.endMacro()
        others = ", ".join(lab or "beyond C1/S1" for v, lab in labels.items() if v != vid)
        text = f"Named {canonical}." + (
            f" By counting (suggestions, check them): {others}." if others else ""
        )
        if warnings:
            text += " " + " ".join(warnings)
        self.notes.setText(text)
        return True

    def _on_list_current_changed(self, *_args: object) -> None:
        vid = self.selected_id()
        volume = self.controller.volume()
        if vid is None or volume is None:
            return
        for e in vertebrae_of(self.controller.window.case.case, volume.index_to_lps):
            if e.vertebra_id == vid:
                if e.level:
                    self.level_edit.setText(e.level)
                if e.centroid_lps is not None:
                    self.controller.window.state.set_crosshair(e.centroid_lps)
                if "body" in e.layers:
                    self.controller.set_edit_layer(e.layers["body"])
