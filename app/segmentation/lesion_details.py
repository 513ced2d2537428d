"""The two lines under the Lesions table, for the selected lesion (or the only one).

The details line gives the figures the table leaves out to fit a dock about 450 px wide (mean and
reference bone HU, the nearest distances to the posterior wall and the canal in mm, pedicle involvement,
where it breaks the cortex: :func:`app.segmentation.lesion_cells.details_text`; where the reference bone
HU was measured in full in its tooltip, :mod:`app.segmentation.lesion_basis`); the warning line, amber,
writes out what to check about its mask (several pieces, voxels shared with another lesion, and
segmentation's warnings until dismissed: :func:`app.segmentation.lesion_warnings.warning_line`), in a box
that scrolls when they are long (:func:`warning_area`), hidden when there is nothing to say.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy

from app.segmentation.lesion_basis import reference_tip
from app.segmentation.lesion_cells import DETAILS_TIP, details_text
from app.segmentation.lesion_figures import Figures
from app.segmentation.lesion_warnings import WARNING_RGB, TargetWarnings, warning_line
from planning.model import Target

#: what the details line says when no lesion is selected among several
NONE_SELECTED = "Select a lesion for its HU, its distances to the wall and canal, and its pedicles"
#: lines of warnings shown at least at once (the box scrolls beyond): a warning's first sentence and what
#: to do about it
WARNING_MIN_LINES = 4


def details_label() -> QLabel:
    """The details line (selectable, so its figures can be copied)."""
    label = QLabel(NONE_SELECTED)
    label.setObjectName("lesionDetails")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setToolTip(DETAILS_TIP)
    return label


def warning_label() -> QLabel:
    """The warning line: amber, hidden until there is something to say."""
    label = QLabel("")
    label.setObjectName("lesionWarning")
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {WARNING_RGB};")
    label.setToolTip("What to check about the selected lesion's mask")
    label.setVisible(False)
    return label


def warning_area(label: QLabel) -> QScrollArea:
    """The warning line in a box of its own that scrolls (vertically) when the warnings are longer than the
    room the dock leaves them: the lines under it (buttons, the summary of the last action) stay in view.
    Before (QA s24 D16) the warnings took all the height they needed and, under case7's two warnings of
    about 700 characters, the summary line was cut at the dock's bottom edge at 1280x1000."""
    area = QScrollArea()
    area.setObjectName("lesionWarningArea")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(label)
    # a few lines at least, and the room the other lines leave (its wish for the whole text ignored: the
    # dock's scroll area would otherwise make the dock that tall and scroll the lines under it away)
    area.setMinimumHeight(WARNING_MIN_LINES * label.fontMetrics().lineSpacing())
    area.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
    area.setVisible(False)
    return area


def show_lesion(
    details: QLabel,
    warning: QLabel,
    target: Target | None,
    *,
    figures: Figures | None,
    warnings: TargetWarnings,
    notes: tuple[str, ...],
) -> None:
    """Fill both lines for ``target`` (None: no lesion selected among several)."""
    if target is None:
        details.setText(NONE_SELECTED)
        details.setToolTip(DETAILS_TIP)
        warning.setVisible(False)
        _show_area(warning, False)
        return
    details.setText(details_text(target, figures))
    where = reference_tip(target, figures)
    details.setToolTip(DETAILS_TIP + (f"\n\n{where}" if where else ""))
    text = warning_line(warnings, notes)
    warning.setText(text)
    warning.setVisible(bool(text))
    _show_area(warning, bool(text))


def _show_area(warning: QLabel, shown: bool) -> None:
    """Show or hide the warning's box (:func:`warning_area`) with it."""
    viewport = warning.parentWidget()
    area = None if viewport is None else viewport.parentWidget()
    if isinstance(area, QScrollArea):
        area.setVisible(shown)
