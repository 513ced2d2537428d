"""The Lesions dock: every lesion target of the case with its type and measures.

Columns, kept to what fits a dock about 450 px wide and a radiologist reads first: name (editable),
colour, type (lytic / blastic / mixed; the operator may override the measured type), volume mL, largest
diameter mm, cortical breach (its tooltip says where, LPS mm and in words; a double-click moves the
crosshair there), posterior-wall involvement (the lesion reaches the wall band), level. Every figure cell
has its own tooltip saying what it measures. Under the table, a details line for the selected lesion
(or the only one: :func:`app.segmentation.lesion_cells.details_text`): mean and reference bone HU, the
nearest distances to the posterior wall and the canal (mm) and pedicle involvement (left / right / both /
none: SINS's posterolateral item, which the Scores dock pre-fills from the same overlap for the operator
to confirm), and where it breaks the cortex; under it, in amber, its warnings written out (a mask in
several pieces - whose volume, diameter and breach cells are then marked "*" - voxels shared with
another lesion, and segmentation's warnings while the mask is unedited). The figures are those of the
lesion's mask as it is now, measured again (:mod:`app.segmentation.lesion_figures`, in a worker) a
moment after the operator last edited it. Under its Settings button, the lesion tool's clinical settings
(:mod:`app.segmentation.lesion_settings`: reference bone HU measured or given, abnormal difference,
typical lytic and blastic HU, bone threshold, growth limits, osteoporosis guard, cortex rule). A lesion whose
segmentation warned that it may be larger than its mask (:mod:`app.segmentation.lesion_warnings`: growth
limit, edge of the volume or scan) has a warning icon and amber figures while its mask is unedited.
Selecting a row moves the crosshair to the lesion's centroid (LPS mm). Delete removes the lesion's target
and layer (one undo step). Every change is a command (:mod:`app.segmentation.lesion_edits`); the table
is rebuilt from the case with its signals blocked; its Type cell is
:func:`app.segmentation.lesion_type_cell.type_combo`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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

from app.segmentation.lesion_cells import (
    COUNTS_PIECES,
    FIGURE_NAMES,
    PIECES_MARK,
    figure_texts,
    figure_tips,
    level_tip,
    tied_to_vertebra,
)
from app.segmentation.lesion_details import details_label, show_lesion, warning_label
from app.segmentation.lesion_edits import choose_type, delete_lesion, rename_lesion, set_lesion_level
from app.segmentation.lesion_figures import Figures
from app.segmentation.lesion_settings import LesionSettingsBox
from app.segmentation.lesion_tool import mask_centroid_lps
from app.segmentation.lesion_type_cell import type_combo
from app.segmentation.lesion_warnings import (
    WARNING_RGB,
    MaskNotes,
    TargetWarnings,
    mark_notes,
    mark_row,
    warnings_of,
)
from app.theme import AMBER
from imaging.lesion_errors import SegmentationCancelledError
from planning.model import Target

if TYPE_CHECKING:
    from app.loading import Worker
    from app.segmentation.controller import SegmentationController

log = logging.getLogger(__name__)

COLUMNS = ("Name", "", "Type", *FIGURE_NAMES, "Level")
#: header tooltips (the headers are short to keep the dock narrow)
COLUMN_TIPS = (
    "Lesion name (double-click to rename)",
    "Colour of the lesion's mask (double-click to change)",
    "Lytic / blastic / mixed, relative to the patient's own bone (the operator may override)",
    "Lesion volume, mL",
    "Largest diameter, mm",
    "Cortical breach: the lesion crosses the cortex (the cell's tooltip says where; double-click: go there)",
    "Posterior-wall involvement: the lesion reaches the posterior wall (shares a voxel with it or lies next "
    "to it), in a vertebra found with the Vertebra tool; the distances are in the line under the table",
    "Vertebral level (double-click to name it when the lesion is in a vertebra the Vertebra tool did not "
    "find; empty = extraspinal)",
)
COL_NAME, COL_COLOUR, COL_TYPE, COL_FIRST_FIGURE = 0, 1, 2, 3
COL_BREACH = COLUMNS.index("Breach")
COL_WALL = COLUMNS.index("Wall")
COL_LEVEL = len(COLUMNS) - 1
#: the width of the colour column, in text lines (a swatch)
SWATCH_LINES = 1.5
#: table rows the dock shows without scrolling (a patient rarely has more lesions planned at once)
VISIBLE_ROWS = 3
#: the figures are measured again this long after the last change of a mask (a stroke is many dabs)
MEASURE_DELAY_MS = 300


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
        rows_px = VISIBLE_ROWS * self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(header.sizeHint().height() + rows_px + 2 * self.table.frameWidth())
        # its preferred height is its rows' (not Qt's 192 px default), so the dock's scroll area keeps the
        # lines below it in view; it grows with the dock
        self.table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        layout.addWidget(self.table, 1)
        self.details = details_label()
        layout.addWidget(self.details)
        self.warning = warning_label()
        layout.addWidget(self.warning)
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
        row.addWidget(self.goto_button)
        row.addWidget(self.delete_button)
        row.addWidget(self.draw_button)
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
        self._worker: Worker | None = None  # measuring the figures, off the GUI thread
        self._measure_timer = QTimer(self)
        self._measure_timer.setSingleShot(True)
        self._measure_timer.setInterval(MEASURE_DELAY_MS)
        self._measure_timer.timeout.connect(self.measure_now)
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
            name_item = QTableWidgetItem(target.name)
            name_item.setData(Qt.ItemDataRole.UserRole, target.name)
            self.table.setItem(r, COL_NAME, name_item)
            layer = case.layers.get(target.lesion_layer)
            colour = QTableWidgetItem("")
            colour.setFlags(colour.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if layer is not None:
                colour.setBackground(QColor(*layer.color_rgb))
                colour.setToolTip(f"Colour of {layer.name}: double-click to change")
            self.table.setItem(r, COL_COLOUR, colour)
            figures = self._figures(target)
            warnings = warnings_of(target, None if layer is None else layer.mask)
            combo = type_combo(target, figures, warnings)
            combo.currentIndexChanged.connect(lambda _i, n=target.name, c=combo: self._on_type_chosen(n, c))
            self.table.setCellWidget(r, COL_TYPE, combo)
            values, why = figure_texts(target, figures)
            pieces = self.mask_notes.pieces(target.name)
            tips = figure_tips(figures, pieces=pieces)
            for c, text in enumerate(values, start=COL_FIRST_FIGURE):
                i = c - COL_FIRST_FIGURE
                marked = (
                    pieces > 1 and i in COUNTS_PIECES and figures is not None and figures.lesion is not None
                )
                item = QTableWidgetItem(text + PIECES_MARK if marked else text)
                if c != COL_LEVEL or tied_to_vertebra(target):
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                item.setToolTip(level_tip(target) if c == COL_LEVEL else (why or tips[i]))
                if marked:
                    item.setForeground(QColor(WARNING_RGB))
                if c in (COL_FIRST_FIGURE, COL_FIRST_FIGURE + 1):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
            mark_row(
                self.table,
                r,
                warnings,
                name_column=COL_NAME,
                figure_columns=range(COL_FIRST_FIGURE, COL_LEVEL),
            )
            mark_notes(self.table, r, notes.get(target.name, ()), name_column=COL_NAME)
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
        show_lesion(
            self.details,
            self.warning,
            target,
            figures=figures,
            warnings=warnings or TargetWarnings((), False),
            notes=() if target is None or notes is None else notes.get(target.name, ()),
        )

    def _figures(self, target: Target) -> Figures | None:
        """The target's figures if up to date; otherwise None, and they are measured shortly."""
        volume = self.controller.volume()
        if volume is None:
            return None
        figures = self.figures.cached(volume, self.controller.window.case.case, target)
        if figures is None:
            self._measure_timer.start()  # once the operator pauses: not on every dab of a stroke
        return figures

    def measure_now(self) -> None:
        """Measure, in a worker, every lesion whose figures are not up to date; show them when done.

        While a measurement runs nothing new starts: when it ends, the table is rebuilt, and rows whose
        mask changed meanwhile are measured again after the usual pause.
        """
        volume = self.controller.volume()
        if volume is None or self._worker is not None:
            return
        case = self.controller.window.case.case
        targets = self.lesion_targets()
        self.figures.forget_others({t.name for t in targets})
        todo = self.figures.pending(volume, case, targets)
        if not todo:
            return

        def job(progress: Callable[[float], None], cancel: threading.Event) -> Any:
            out = []
            for i, (name, key, measure) in enumerate(todo):
                if cancel.is_set():
                    raise SegmentationCancelledError()
                out.append((name, key, measure()))
                progress((i + 1) / len(todo))
            return out

        from app.loading import Worker

        self._worker = Worker(job, self)
        self._worker.finished.connect(self._on_worker_finished)
        self._worker.failed.connect(lambda exc: self._on_worker_failed(exc, todo))
        self._worker.start()

    def wait_measured(self, timeout_ms: int = 30_000) -> bool:
        """Run the event loop until no measurement runs or waits for a pause (tests); True if so."""
        from app.loading import wait_until

        return wait_until(lambda: self._worker is None and not self._measure_timer.isActive(), timeout_ms)

    def shutdown(self) -> None:
        """Stop a running measurement and wait for it (the window is closing)."""
        self._measure_timer.stop()
        if self._worker is not None:
            self._worker.cancel()
            self._worker.wait()

    def _on_worker_finished(self, results: list[tuple[str, tuple[object, ...], Figures]]) -> None:
        self._worker = None
        for name, key, figures in results:
            self.figures.store(name, key, figures)
        self.refresh()
        self.controller.figures_measured.emit()

    def _on_worker_failed(
        self, exc: object, todo: list[tuple[str, tuple[object, ...], Callable[[], Figures]]]
    ) -> None:
        self._worker = None
        if isinstance(exc, SegmentationCancelledError):
            return
        # a bug, not bad input (measure() turns those into a reason): kept as the rows' reason so the
        # rows are not measured again and again
        log.error("measuring the lesions failed", exc_info=exc)  # type: ignore[arg-type]
        reason = f"could not be measured ({type(exc).__name__}); details are in the log"
        for name, key, _measure in todo:
            self.figures.store(name, key, Figures(None, reason))
        self.refresh()

    def delete_selected(self) -> None:
        """Remove the selected lesion's target and its layer (one undo step)."""
        name = self.selected_name()
        if name is not None:
            delete_lesion(self.controller.window.case, name, self.controller.jobs.say)

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
                self._measure_timer.start()

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
