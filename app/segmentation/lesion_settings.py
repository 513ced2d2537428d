"""The lesion tool's clinical settings, shown and editable in the Lesions dock.

Every default of :class:`imaging.lesion_grow.LesionParameters` that comes from a clinical figure is
shown here with its source (/work/shared/CLINICAL.md, "CT attenuation (HU)") and can be changed by the
operator; the other thresholds stay at their defaults. The reference bone HU is measured around the
lesion unless the operator gives it: a seed refused as normal bone (for example a small lucent focus
whose core lies within the abnormal difference of the bone around it) can then be segmented against
the operator's own reading of the normal bone. These are display-side tool settings (not part of the
Case); each lesion keeps the reference it was compared with in its measures. Values in HU.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QWidget,
)

from imaging.lesion_grow import LesionParameters

if TYPE_CHECKING:
    from app.segmentation.controller import SegmentationController

#: what the reference field shows before the operator types one: normal L1 trabecular bone under
#: 30 years (CLINICAL.md, 226 +- 44 HU)
REFERENCE_PLACEHOLDER_HU = 226


@dataclass(frozen=True)
class LesionSettings:
    """The operator's lesion settings: the reference (None: "measure it") and every threshold."""

    reference_bone_hu: float | None = None
    parameters: LesionParameters = field(default_factory=LesionParameters)


#: (LesionParameters field, label, range, tooltip) of the HU fields shown
_FIELDS = (
    (
        "abnormal_delta_hu",
        "Abnormal beyond ± (HU)",
        (10, 1000),
        "A seed or voxel is lesion when it differs from the reference bone by more than this. Default "
        "88 HU: two standard deviations of normal L1 trabecular bone (226 ± 44 HU under 30 y, "
        "CLINICAL.md).",
    ),
    (
        "lytic_typical_hu",
        "Lytic typical (HU)",
        (-100, 400),
        "Typical CT value of a lytic lesion, used to place the lytic edge. Default 50 HU, the middle of "
        "soft-tissue density 0-100 HU (CLINICAL.md: unverified as a fixed range).",
    ),
    (
        "blastic_typical_hu",
        "Blastic typical (HU)",
        (200, 3000),
        "Typical CT value of an osteoblastic lesion, used to place the sclerotic edge. Default 654 HU: "
        "untreated osteoblastic metastasis 654 ± 176 HU (CLINICAL.md).",
    ),
    (
        "bone_threshold_hu",
        "Bone threshold (HU)",
        (-200, 1000),
        "Bone mask threshold. Default 130 HU, the generic bone threshold 130-3000 HU (CLINICAL.md, 3D "
        "Slicer's segment editor example).",
    ),
)


class LesionSettingsBox(QGroupBox):
    """Editable lesion settings; every change is written to ``controller.lesion_settings``.

    Signals
    -------
    settings_changed(LesionSettings)
        The operator changed a setting (or restored the defaults).
    """

    settings_changed = Signal(object)

    def __init__(self, controller: SegmentationController, parent: QWidget | None = None) -> None:
        super().__init__("Lesion settings", parent)
        self.controller = controller
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        self.measure_reference = QCheckBox("measure around the lesion")
        self.measure_reference.setToolTip(
            "Measure the local normal trabecular bone around the lesion (default). Untick to give it: "
            "normal L1 trabecular bone is 226 ± 44 HU under 30 y, down to 89 ± 38 HU at 90+ "
            "(CLINICAL.md). A seed refused as normal bone can be segmented against your reference."
        )
        self.reference = QSpinBox()
        self.reference.setRange(-200, 2000)
        self.reference.setSuffix(" HU")
        self.reference.setValue(REFERENCE_PLACEHOLDER_HU)
        self.reference.setToolTip("The normal bone the lesion is compared with, when not measured")
        ref_row = QHBoxLayout()
        ref_row.addWidget(self.measure_reference)
        ref_row.addWidget(self.reference)
        form.addRow("Reference bone", ref_row)
        self.spins: dict[str, QSpinBox] = {}
        for name, label, (lo, hi), tip in _FIELDS:
            spin = QSpinBox()
            spin.setRange(lo, hi)
            spin.setSuffix(" HU")
            spin.setToolTip(tip)
            self.spins[name] = spin
            form.addRow(label, spin)
        self.deep_bone_check = QCheckBox("refuse seeds like this patient's deep bone")
        self.deep_bone_check.setToolTip(
            "A dark seed as dark as the centres of the other bones in view is low-density (osteoporotic) "
            "normal bone, not a focal lytic lesion: refuse it. Untick to segment such a seed anyway."
        )
        form.addRow("Osteoporosis guard", self.deep_bone_check)
        self.defaults_button = QPushButton("Defaults")
        self.defaults_button.setToolTip("Restore the defaults (measured reference, CLINICAL.md figures)")
        form.addRow("", self.defaults_button)
        self.show_settings(controller.lesion_settings)
        self.measure_reference.toggled.connect(self._on_field_changed)
        self.reference.valueChanged.connect(self._on_field_changed)
        for spin in self.spins.values():
            spin.valueChanged.connect(self._on_field_changed)
        self.deep_bone_check.toggled.connect(self._on_field_changed)
        self.defaults_button.clicked.connect(self.restore_defaults)

    # -- public ---------------------------------------------------------------------------------
    def settings(self) -> LesionSettings:
        """The settings the fields show."""
        measured = self.measure_reference.isChecked()
        parameters = dataclasses.replace(
            self.controller.lesion_settings.parameters,
            deep_bone_check=self.deep_bone_check.isChecked(),
            **{name: float(spin.value()) for name, spin in self.spins.items()},
        )
        return LesionSettings(
            reference_bone_hu=None if measured else float(self.reference.value()),
            parameters=parameters,
        )

    def show_settings(self, settings: LesionSettings) -> None:
        """Put ``settings`` in the fields (signals blocked)."""
        widgets: list[QWidget] = [self.measure_reference, self.reference, self.deep_bone_check]
        widgets += list(self.spins.values())
        for w in widgets:
            w.blockSignals(True)
        try:
            measured = settings.reference_bone_hu is None
            self.measure_reference.setChecked(measured)
            if settings.reference_bone_hu is not None:
                self.reference.setValue(round(settings.reference_bone_hu))
            self.reference.setEnabled(not measured)
            for name, spin in self.spins.items():
                spin.setValue(round(float(getattr(settings.parameters, name))))
            self.deep_bone_check.setChecked(settings.parameters.deep_bone_check)
        finally:
            for w in widgets:
                w.blockSignals(False)

    def restore_defaults(self) -> None:
        """Back to the measured reference and the CLINICAL.md defaults."""
        self._apply(LesionSettings())

    # -- private --------------------------------------------------------------------------------
    def _apply(self, settings: LesionSettings) -> None:
        self.controller.lesion_settings = settings
        self.show_settings(settings)
        self.settings_changed.emit(settings)

    def _on_field_changed(self, *_args: object) -> None:
        self._apply(self.settings())
