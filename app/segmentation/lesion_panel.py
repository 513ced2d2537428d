"""The Lesions dock: every lesion target of the case with its type and measures.

Columns, kept to what fits a dock about 450 px wide and a radiologist reads first: name (editable),
colour (a swatch, seen in the selected row too: :mod:`app.segmentation.lesion_swatch`), type (lytic /
blastic / mixed; the operator may override the measured type), volume mL, largest diameter mm, cortical
breach (its tooltip says where, LPS mm and in words; a double-click moves the crosshair there),
posterior-wall involvement (the lesion reaches the wall band), level; a row's cells are
:func:`app.segmentation.lesion_row.fill_row`. Every figure cell has its own tooltip saying what it
measures. Under the table, a details line for the selected lesion (or the only one:
:func:`app.segmentation.lesion_cells.details_text`): mean and reference bone HU, the nearest distances to
the posterior wall and the canal (mm) and pedicle involvement (left / right / both / none: SINS's
posterolateral item, which the Scores dock pre-fills from the same overlap for the operator to confirm),
and where it breaks the cortex; under it, in amber, in a box that scrolls when they are long (so the
buttons and the summary line under it stay in view), its warnings written out (a mask in several pieces -
whose volume, diameter and breach cells are then marked "*" - a mask a fifth or more of which reads as
air or fat, voxels shared with another lesion, the type of a mask drawn over normal bone unsure, and
segmentation's warnings). The figures are those of the
lesion's mask as it is now, measured again (:mod:`app.segmentation.lesion_figures`, in a worker:
:mod:`app.segmentation.lesion_measuring`) a moment after the operator last edited it. Under its Settings
button, the lesion tool's clinical settings (:mod:`app.segmentation.lesion_settings`: reference bone HU
measured or given, abnormal difference, typical lytic and blastic HU, bone threshold, growth limits,
osteoporosis guard, cortex rule). A lesion
whose segmentation warned that it may be larger than its mask (:mod:`app.segmentation.lesion_warnings`:
growth limit, edge of the volume or scan) has a warning icon and amber figures until the operator
dismisses the warnings (Dismiss; undoable) or segments it again: an edit does not hide them, it marks them
"from the segmentation, before your edits". Selecting a row moves the crosshair to the lesion's centroid
(LPS mm). Delete removes the lesion's target and layer (one undo step). Every change is a command
(:mod:`app.segmentation.lesion_edits`); the table is rebuilt from the case with its signals blocked; its
Type cell is :func:`app.segmentation.lesion_type_cell.type_combo`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QColorDialog,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.segmentation.lesion_details import details_label, show_lesion, warning_area, warning_label
from app.segmentation.lesion_edits import (
    choose_type,
    delete_lesion,
    dismiss_warnings,
    rename_lesion,
    set_lesion_level,
)
from app.segmentation.lesion_figures import Figures
from app.segmentation.lesion_measuring import FigureMeasuring
from app.segmentation.lesion_row import (
    COL_BREACH,
    COL_COLOUR,
    COL_FIRST_FIGURE,
    COL_LEVEL,
    COL_NAME,
    COL_TYPE,
    COLUMN_TIPS,
    COLUMNS,
    fill_row,
)
from app.segmentation.lesion_settings import LesionSettingsBox
from app.segmentation.lesion_swatch import SwatchDelegate
from app.segmentation.lesion_tool import mask_centroid_lps
from app.segmentation.lesion_type_cell import type_combo
from app.segmentation.lesion_warnings import (
    MaskNotes,
    TargetWarnings,
    type_notes,
    warnings_of,
)
from app.theme import AMBER
from planning.model import Target

if TYPE_CHECKING:
    from app.segmentation.controller import SegmentationController

#: the width of the colour column, in text lines (a swatch)
SWATCH_LINES = 1.5
#: table rows the dock shows without scrolling (a patient rarely has more lesions planned at once)
VISIBLE_ROWS = 3


class LesionPanel(QDockWidget):
    """Dock listing the lesion targets of the case."""

    def __init__(self, controller: SegmentationController, parent: QWidget | None = None) -> None:
        super().__init__("Lesions", parent)
        self.setObjectName("lesionDock")
        self.controller = controller
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for c, tip in enumerate(COLUMN_TIPS):
            header = self.table.horizontalHeaderItem(c)
            if header is not None:
                header.setToolTip(tip)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip(
            "Lesions of the case: select to go there · double-click the name to rename, "
            "the colour to change it · the type can be overridden"
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_COLOUR, QHeaderView.ResizeMode.Fixed)
        line = self.fontMetrics().lineSpacing()
        self.table.setColumnWidth(COL_COLOUR, round(SWATCH_LINES * line))
        header.setMinimumSectionSize(round(SWATCH_LINES * line))
        self.table.setItemDelegateForColumn(COL_COLOUR, SwatchDelegate(self.table))  # seen when selected
        rows_px = VISIBLE_ROWS * self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(header.sizeHint().height() + rows_px + 2 * self.table.frameWidth())
        # its preferred height is its rows' (not Qt's 192 px default), so the dock's scroll area keeps the
        # lines below it in view; it grows with the dock
        self.table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        layout.addWidget(self.table, 1)
        self.details = details_label()
        layout.addWidget(self.details)
        self.warning = warning_label()
        self.warning_area = warning_area(self.warning)
        layout.addWidget(self.warning_area, 2)  # the room beyond the table's few rows goes mostly here
        row = QHBoxLayout()
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected lesion (its target and mask; undoable)")
        self.goto_button = QPushButton("Go to")
        self.goto_button.setToolTip("Move the crosshair to the selected lesion's centre")
        self.info = QLabel("L: lesion tool — click a lesion in any view")
        self.info.setWordWrap(True)
        self.settings_button = QPushButton("Settings")
        self.settings_button.setCheckable(True)
        self.settings_button.setToolTip(
            "Show the lesion tool's settings: reference bone HU, abnormal difference, typical HU, bone "
            "threshold, osteoporosis guard, cortex rule (defaults from CLINICAL.md)"
        )
        self.draw_button = QPushButton("Draw new")
        self.draw_button.setToolTip(
            "Add an empty lesion at the crosshair and paint it with the brush (Shift+L): for a lesion a "
            "click does not find; its type and figures are measured from what you paint"
        )
        self.draw_button.clicked.connect(controller.add_drawn_lesion)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setToolTip(
            "Dismiss the segmentation's warnings of the selected lesion once you have dealt with them "
            "(they stay in its name's tooltip; undoable)"
        )
        self.dismiss_button.clicked.connect(self.dismiss_selected_warnings)
        row.addWidget(self.goto_button)
        row.addWidget(self.delete_button)
        row.addWidget(self.draw_button)
        row.addWidget(self.dismiss_button)
        row.addStretch(1)
        row.addWidget(self.settings_button)
        layout.addLayout(row)
        layout.addWidget(self.info)
        self.settings_box = LesionSettingsBox(controller)
        self.settings_box.setVisible(False)  # the table keeps the dock's height until asked
        self.settings_button.toggled.connect(self.settings_box.setVisible)
        layout.addWidget(self.settings_box)
        self.setWidget(body)
        # the table, the details (2 lines), a warning (4 lines), the buttons and a line of news stay in view
        # when the docks share an 800 px high screen (the content scrolls beyond; title bar about 2 lines)
        gaps = 6 * max(0, layout.spacing())
        buttons = self.goto_button.sizeHint().height()
        self.setMinimumHeight(self.table.minimumHeight() + 9 * line + 2 * buttons + gaps)
        self.table.itemChanged.connect(self._on_table_item_changed)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.table.cellDoubleClicked.connect(self._on_table_cell_double_clicked)
        self.delete_button.clicked.connect(self.delete_selected)
        self.goto_button.clicked.connect(self.go_to_selected)
        shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(self.delete_selected)
        # rebuilt on the next turn of the event loop: a type combo may be the one that changed the case
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        controller.model_changed.connect(self._refresh_timer.start)
        self.figures = controller.lesion_figures
        self.mask_notes = MaskNotes()  # masks in pieces, lesions sharing voxels: marked on their rows
        self.measuring = FigureMeasuring(controller, self.lesion_targets, self.refresh, self)
        controller.mask_edited.connect(self._on_controller_mask_edited)
        controller.jobs.message.connect(self._on_jobs_message)
        self.refresh()

    # -- public ---------------------------------------------------------------------------------
    def lesion_targets(self) -> list[Target]:
        """The targets listed (those with a lesion layer or a lesion type)."""
        case = self.controller.window.case.case
        return [t for t in case.targets.values() if t.lesion_layer or t.lesion_type is not None]

    def selected_name(self) -> str | None:
        """Name of the selected lesion target."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), COL_NAME)
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def select(self, name: str) -> None:
        """Select a lesion by target name (moves the crosshair there)."""
        for r in range(self.table.rowCount()):
            item = self.table.item(r, COL_NAME)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == name:
                self.table.selectRow(r)
                return

    def refresh(self) -> None:
        """Rebuild the table from the case (signals blocked)."""
        current = self.selected_name()
        case = self.controller.window.case.case
        volume = self.controller.volume()
        notes = {} if volume is None else self.mask_notes.of(case, volume)
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for target in self.lesion_targets():
            r = self.table.rowCount()
            self.table.insertRow(r)
            layer = case.layers.get(target.lesion_layer)
            figures = self._figures(target)
            warnings = warnings_of(target, None if layer is None else layer.mask)
            fill_row(
                self.table,
                r,
                target,
                layer=layer,
                figures=figures,
                warnings=warnings,
                pieces=self.mask_notes.pieces(target.name),
                notes=notes.get(target.name, ()) + type_notes(target, figures and figures.lesion),
            )
            combo = type_combo(target, figures, warnings)
            combo.currentIndexChanged.connect(lambda _i, n=target.name, c=combo: self._on_type_chosen(n, c))
            self.table.setCellWidget(r, COL_TYPE, combo)
            if target.name == current:
                self.table.selectRow(r)
        self.table.blockSignals(False)
        has = self.selected_name() is not None
        self.delete_button.setEnabled(has)
        self.goto_button.setEnabled(has)
        self._show_details(notes)

    def details_target(self) -> Target | None:
        """The lesion the details line is about: the selected one, else the only one."""
        targets = self.lesion_targets()
        name = self.selected_name()
        if name is None and len(targets) == 1:
            return targets[0]
        return next((t for t in targets if t.name == name), None)

    def _show_details(self, notes: dict[str, tuple[str, ...]] | None = None) -> None:
        """The details and warning lines of the selected (or only) lesion."""
        target = self.details_target()
        volume = self.controller.volume()
        case = self.controller.window.case.case
        figures = None if volume is None or target is None else self.figures.cached(volume, case, target)
        if notes is None and target is not None:
            notes = {} if volume is None else self.mask_notes.of(case, volume)
        layer = None if target is None else case.layers.get(target.lesion_layer)
        warnings = warnings_of(target, None if layer is None else layer.mask) if target else None
        self.dismiss_button.setVisible(warnings is not None and warnings.shown)
        show_lesion(
            self.details,
            self.warning,
            target,
            figures=figures,
            warnings=warnings or TargetWarnings((), False),
            notes=()
            if target is None or notes is None
            else notes.get(target.name, ()) + type_notes(target, figures and figures.lesion),
        )

    def _figures(self, target: Target) -> Figures | None:
        """The target's figures if up to date; otherwise None, and they are measured shortly."""
        volume = self.controller.volume()
        if volume is None:
            return None
        figures = self.figures.cached(volume, self.controller.window.case.case, target)
        if figures is None:
            self.measuring.later()  # once the operator pauses: not on every dab of a stroke
        return figures

    def measure_now(self) -> None:
        """Measure the lesions whose figures are not up to date, in a worker (:mod:`.lesion_measuring`)."""
        self.measuring.measure_now()

    def wait_measured(self, timeout_ms: int = 30_000) -> bool:
        """Run the event loop until no measurement runs or waits for a pause (tests); True if so."""
        return self.measuring.wait(timeout_ms)

    def shutdown(self) -> None:
        """Stop a running measurement and wait for it (the window is closing)."""
        self.measuring.shutdown()

    def delete_selected(self) -> None:
        """Remove the selected lesion's target and its layer (one undo step)."""
        name = self.selected_name()
        if name is not None:
            delete_lesion(self.controller.window.case, name, self.controller.jobs.say)

    def dismiss_selected_warnings(self) -> None:
        """The operator has dealt with the selected (or only) lesion's segmentation warnings."""
        target = self.details_target()
        if target is not None:
            dismiss_warnings(self.controller.window.case, target.name, self.controller.jobs.say)

    def go_to_selected(self) -> None:
        """Move the crosshair to the selected lesion's centroid (its seed if the mask is gone)."""
        name = self.selected_name()
        volume = self.controller.volume()
        if name is None or volume is None:
            return
        case = self.controller.window.case.case
        target = case.targets.get(name)
        if target is None:
            return
        layer = case.layers.get(target.lesion_layer)
        centre = None if layer is None else mask_centroid_lps(layer.mask, volume.index_to_lps)
        if centre is not None:
            self.controller.window.state.set_crosshair(centre)
        elif target.lesion_seed_lps is not None:
            self.controller.window.state.set_crosshair(target.lesion_seed_lps)

    def rename(self, old: str, new: str) -> bool:
        """Rename a lesion's target and layer together (one undo step); False when refused."""
        return rename_lesion(self.controller.window.case, self.controller.jobs.say, old, new)

    def set_level(self, name: str, text: str) -> bool:
        """Name the vertebral level of a lesion not tied to a found vertebra (one undo step); False,
        with a message, when refused (:func:`app.segmentation.lesion_edits.set_lesion_level`)."""
        done = set_lesion_level(self.controller.window.case, self.controller.jobs.say, name, text)
        if done:
            self._refresh_timer.start()  # the cell shows the level as held ("t1" typed reads "T1")
        return done

    # -- handlers -------------------------------------------------------------------------------
    def _on_table_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() not in (COL_NAME, COL_LEVEL):
            return
        name_item = self.table.item(item.row(), COL_NAME)
        if name_item is None:
            return
        old = str(name_item.data(Qt.ItemDataRole.UserRole))
        done = (
            self.rename(old, item.text()) if item.column() == COL_NAME else self.set_level(old, item.text())
        )
        if not done:
            self.refresh()

    def _on_table_selection_changed(self) -> None:
        has = self.selected_name() is not None
        self.delete_button.setEnabled(has)
        self.goto_button.setEnabled(has)
        self._show_details()
        if has:
            self.go_to_selected()
            target = self.controller.window.case.case.targets.get(self.selected_name() or "")
            if target is not None and target.lesion_layer:
                self.controller.set_edit_layer(target.lesion_layer)

    def _on_jobs_message(self, text: str) -> None:
        self.info.setText(text)
        self.info.setStyleSheet(AMBER if self.controller.jobs.last_warning else "")

    def _on_controller_mask_edited(self, layer_name: str) -> None:
        # a dab of a stroke: the row's figures are marked as being measured, and measured once it pauses
        for r in range(self.table.rowCount()):
            item = self.table.item(r, COL_NAME)
            target = (
                None
                if item is None
                else self.controller.window.case.case.targets.get(str(item.data(Qt.ItemDataRole.UserRole)))
            )
            if target is not None and target.lesion_layer == layer_name:
                for c in range(COL_FIRST_FIGURE, COL_LEVEL):
                    cell = self.table.item(r, c)
                    if cell is not None:
                        cell.setText("…")
                self.measuring.later()

    def go_to_breach(self, name: str, index: int = 0) -> bool:
        """Move the crosshair to a lesion's cortical breach point ``index`` (LPS mm); False when it has
        none (or its figures are not measured yet)."""
        volume = self.controller.volume()
        target = self.controller.window.case.case.targets.get(name)
        if volume is None or target is None:
            return False
        figures = self.figures.cached(volume, self.controller.window.case.case, target)
        if figures is None or figures.lesion is None:
            return False
        points = figures.lesion.cortical_breach_lps
        if not 0 <= index < len(points):
            return False
        self.controller.window.state.set_crosshair(np.asarray(points[index], dtype=np.float64))
        return True

    def _on_table_cell_double_clicked(self, row: int, column: int) -> None:
        if column == COL_BREACH:
            item = self.table.item(row, COL_NAME)
            if item is not None:
                self.go_to_breach(str(item.data(Qt.ItemDataRole.UserRole)))
            return
        if column != COL_COLOUR:
            return
        item = self.table.item(row, COL_NAME)
        if item is None:
            return
        case = self.controller.window.case.case
        target = case.targets.get(str(item.data(Qt.ItemDataRole.UserRole)))
        layer = None if target is None else case.layers.get(target.lesion_layer)
        if layer is None:
            return
        colour = QColorDialog.getColor(QColor(*layer.color_rgb), self, f"Colour of {layer.name}")
        if colour.isValid():
            self.recolour(layer.name, (colour.red(), colour.green(), colour.blue()))

    def recolour(self, layer_name: str, rgb: tuple[int, int, int]) -> None:
        """Change a lesion layer's colour in the case and on screen."""
        self.controller.window.recolour_layer(layer_name, rgb)
        self.controller.jobs.say(f"Recoloured {layer_name}.")  # replaces a refusal said before

    def _on_type_chosen(self, name: str, combo: QComboBox) -> None:
        value = combo.currentData()
        if value is not None:
            choose_type(self.controller.window.case, name, str(value))
