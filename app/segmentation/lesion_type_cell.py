"""The Type cell of a Lesions dock row: a combo of the three lesion types.

It shows the operator's type, else the type measured on the lesion's mask as it is now; its tooltip
says what was measured (and that the operator overrode it) and why: the shares of voxels below and above
the reference bone HU (:mod:`app.segmentation.lesion_basis`), with the measure's notes and the lesion's
warnings. A mask the operator painted whose voxels mostly look like normal bone has no type asserted: the
combo has none chosen and reads "unsure", in amber (QA s28 G3: it read "lytic" at a lytic share of 6 %),
until the operator chooses one; the warning area under the table says why
(:func:`app.segmentation.lesion_warnings.type_notes`). It is amber too while segmentation's warnings are
shown (until the operator dismisses them). The combo's signals are the caller's to connect.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from app.segmentation.lesion_basis import type_basis_tip
from app.segmentation.lesion_figures import Figures
from app.segmentation.lesion_warnings import TargetWarnings
from app.theme import AMBER
from planning.model import LesionType, Target

#: what the Type cell reads when the type measured on a drawn mask is not to be asserted
UNSURE = "unsure"


def type_combo(target: Target, figures: Figures | None, warnings: TargetWarnings) -> QComboBox:
    """The Type cell of ``target``'s row (figures as measured now, None while being measured)."""
    combo = QComboBox()
    for kind in LesionType:
        combo.addItem(kind.value, kind.value)
    measured_lesion = None if figures is None else figures.lesion
    unsure = target.lesion_type is None and measured_lesion is not None and measured_lesion.type_unsure
    shown = target.lesion_type or (None if measured_lesion is None or unsure else measured_lesion.type)
    if unsure:
        combo.setPlaceholderText(UNSURE)  # shown while no type is chosen
    combo.setCurrentIndex(-1 if shown is None else combo.findData(shown.value))
    measured = str(target.extra.get("measured_type", "") or "")
    if target.lesion_type is None:
        measured = "judged on the mask drawn" if measured_lesion is not None else "not yet measured"
        if unsure:
            measured = f"{UNSURE}, judged on the mask drawn: choose the type"
    tip = f"measured: {measured}" if measured else "type"
    if target.lesion_type is None and measured_lesion is not None:
        tip += "\n" + "\n".join(measured_lesion.notes)
        if unsure:
            combo.setStyleSheet(AMBER)  # the painted voxels look like normal bone
    if measured and target.lesion_type is not None and measured != target.lesion_type.value:
        tip += " — overridden by the operator"
    why = type_basis_tip(target, figures)
    if why and target.lesion_type is not None:  # a drawn mask's shares are in its notes above
        tip += "\n" + why
    if warnings:
        tip += "\n" + warnings.tooltip()
        if warnings.shown:
            combo.setStyleSheet(AMBER)
    combo.setToolTip(tip)
    return combo
