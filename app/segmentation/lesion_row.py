"""One row of the Lesions table (:mod:`app.segmentation.lesion_panel`): its columns and their header
tooltips, and the cells of a lesion target: its name (editable; the target's name in ``UserRole``), its
colour (the layer's, drawn as a swatch: :mod:`app.segmentation.lesion_swatch`), its figures (each with a
tooltip saying what it measures; volume, diameter and breach marked "*" when the mask is in several
pieces), its level, and the row marked for the segmentation's warnings and for what is wrong with its mask
now (:mod:`app.segmentation.lesion_warnings`). The Type cell, a combo, is the dock's to connect. Moved out
of lesion_panel.py to keep it under the house's file length.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from app.segmentation.lesion_cells import (
    COUNTS_PIECES,
    FIGURE_NAMES,
    PIECES_MARK,
    WALL_NOT_BREACH,
    figure_texts,
    figure_tips,
    level_tip,
    tied_to_vertebra,
)
from app.segmentation.lesion_figures import Figures
from app.segmentation.lesion_warnings import WARNING_RGB, TargetWarnings, mark_notes, mark_row
from planning.model import MaskLayer, Target

COLUMNS = ("Name", "", "Type", *FIGURE_NAMES, "Level")
#: header tooltips (the headers are short to keep the dock narrow)
COLUMN_TIPS = (
    "Lesion name (double-click to rename)",
    "Colour of the lesion's mask (double-click to change)",
    "Lytic / blastic / mixed, relative to the patient's own bone (the operator may override)",
    "Lesion volume, mL",
    "Largest diameter, mm",
    "Cortical breach: the lesion crosses the cortex (the cell's tooltip says where; double-click: go there)",
    'Posterior-wall involvement: "reaches" when the lesion reaches the posterior wall band (shares a voxel '
    'with it or lies next to it), "apart" when not, in a vertebra found with the Vertebra tool; the '
    f"distances are in the line under the table. {WALL_NOT_BREACH}",
    "Vertebral level (double-click to name it when the lesion is in a vertebra the Vertebra tool did not "
    "find; empty = extraspinal)",
)
COL_NAME, COL_COLOUR, COL_TYPE, COL_FIRST_FIGURE = 0, 1, 2, 3
COL_BREACH = COLUMNS.index("Breach")
COL_WALL = COLUMNS.index("Wall band")
COL_LEVEL = len(COLUMNS) - 1


def fill_row(
    table: QTableWidget,
    r: int,
    target: Target,
    *,
    layer: MaskLayer | None,
    figures: Figures | None,
    warnings: TargetWarnings,
    pieces: int,
    notes: tuple[str, ...],
) -> None:
    """Fill row ``r`` (inserted) with ``target``'s cells but the Type cell; ``figures`` None while they
    are being measured, ``pieces`` the mask's separate pieces, ``notes`` what is wrong with it now."""
    name_item = QTableWidgetItem(target.name)
    name_item.setData(Qt.ItemDataRole.UserRole, target.name)
    table.setItem(r, COL_NAME, name_item)
    colour = QTableWidgetItem("")
    colour.setFlags(colour.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if layer is not None:
        colour.setBackground(QColor(*layer.color_rgb))
        colour.setToolTip(f"Colour of {layer.name}: double-click to change")
    table.setItem(r, COL_COLOUR, colour)
    values, why = figure_texts(target, figures)
    tips = figure_tips(figures, pieces=pieces)
    for c, text in enumerate(values, start=COL_FIRST_FIGURE):
        i = c - COL_FIRST_FIGURE
        marked = pieces > 1 and i in COUNTS_PIECES and figures is not None and figures.lesion is not None
        item = QTableWidgetItem(text + PIECES_MARK if marked else text)
        if c != COL_LEVEL or tied_to_vertebra(target):
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        item.setToolTip(level_tip(target) if c == COL_LEVEL else (why or tips[i]))
        if marked:
            item.setForeground(QColor(WARNING_RGB))
        if c in (COL_FIRST_FIGURE, COL_FIRST_FIGURE + 1):
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(r, c, item)
    mark_row(table, r, warnings, name_column=COL_NAME, figure_columns=range(COL_FIRST_FIGURE, COL_LEVEL))
    mark_notes(table, r, notes, name_column=COL_NAME)
