"""The layer list: every mask layer of the case with visibility, colour and opacity.

Visibility and opacity are display state. A layer's colour belongs to the case (it is saved with it and
shown in the Lesions dock too): a colour chosen here goes through ``recolour`` (the window's undoable
recolour of the case's layer) and reaches the views when the case changes; without ``recolour``, or for
a layer the case does not hold, it is display state.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QDockWidget,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.viewer_state import ViewerState


class LayerDock(QDockWidget):
    """Dock listing the layers; check box = visible, colour button, opacity slider (0-100 %)."""

    def __init__(
        self,
        state: ViewerState,
        parent: QWidget | None = None,
        *,
        recolour: Callable[[str, tuple[int, int, int]], bool] | None = None,
    ) -> None:
        super().__init__("Layers", parent)
        self.setObjectName("layerDock")
        self.state = state
        #: recolours the case's layer (one undo step); False when the case holds no such layer
        self.recolour = recolour
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        self.list = QListWidget()
        self.list.setToolTip("Mask layers of the case: tick to show, double-click to change the colour")
        layout.addWidget(self.list)
        row = QHBoxLayout()
        self.colour_button = QToolButton()
        self.colour_button.setText("Colour…")
        self.colour_button.setToolTip("Colour of the selected layer")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("Opacity of the selected layer")
        row.addWidget(self.colour_button)
        row.addWidget(self.opacity, 1)
        layout.addLayout(row)
        self.setWidget(body)
        self.list.itemChanged.connect(self._on_list_item_changed)
        self.list.currentItemChanged.connect(self._on_list_current_changed)
        self.list.itemDoubleClicked.connect(lambda _item: self._on_colour_clicked())
        self.colour_button.clicked.connect(self._on_colour_clicked)
        self.opacity.valueChanged.connect(self._on_opacity_changed)
        state.layers_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the list from the state (signals blocked: the widget does not echo back)."""
        current = self.current_name()
        self.list.blockSignals(True)
        self.list.clear()
        for name, layer in self.state.layers.items():
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
            pix = QPixmap(14, 14)
            pix.fill(layer.colour)
            item.setIcon(QIcon(pix))
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
            if name == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._sync_controls()

    def current_name(self) -> str | None:
        """Name of the selected layer."""
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def _sync_controls(self) -> None:
        name = self.current_name()
        layer = self.state.layers.get(name) if name else None
        self.opacity.blockSignals(True)
        self.opacity.setValue(round(100 * layer.opacity) if layer else 0)
        self.opacity.blockSignals(False)
        self.opacity.setEnabled(layer is not None)
        self.colour_button.setEnabled(layer is not None)

    def _on_list_item_changed(self, item: QListWidgetItem) -> None:
        name = str(item.data(Qt.ItemDataRole.UserRole))
        if name in self.state.layers:
            self.state.update_layer(name, visible=item.checkState() == Qt.CheckState.Checked)

    def _on_list_current_changed(self, *_args: object) -> None:
        self._sync_controls()

    def _on_opacity_changed(self, value: int) -> None:
        name = self.current_name()
        if name in self.state.layers:
            self.state.update_layer(name, opacity=value / 100.0)

    def _on_colour_clicked(self) -> None:
        name = self.current_name()
        if name not in self.state.layers:
            return
        colour = QColorDialog.getColor(self.state.layers[name].colour, self, f"Colour of {name}")
        if colour.isValid():
            self.set_colour(name, (colour.red(), colour.green(), colour.blue()))

    def set_colour(self, name: str, rgb: tuple[int, int, int]) -> None:
        """Give a layer a colour: in the case (undoable, saved) when it holds the layer, else on screen."""
        if self.recolour is not None and self.recolour(name, rgb):
            return
        if name in self.state.layers:
            self.state.update_layer(name, colour=QColor(*rgb))
