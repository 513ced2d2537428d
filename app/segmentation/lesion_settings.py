"""The lesion tool's clinical settings, shown and editable in the Lesions dock.

Every default of :class:`imaging.lesion_grow.LesionParameters` that comes from a clinical figure is
shown here with its source (/work/shared/CLINICAL.md, "CT attenuation (HU)") and can be changed by the
operator; the other thresholds stay at their defaults. The reference bone HU is measured around the
lesion unless the operator gives it: a seed refused as normal bone (for example a small lucent focus
whose core lies within the abnormal difference of the bone around it) can then be segmented against
the operator's own reading of the normal bone. The growth limit (how far from the seed a lesion may
grow: ``extent_factor`` times its estimated radius, at least ``extent_min_mm``, at most
``max_radius_mm``) is shown and editable too: a lesion that reaches it is marked, and raising it is
what the operator is told to do (:mod:`app.segmentation.lesion_warnings`). So are the two switches of
the growth: the osteoporosis guard (``deep_bone_check``) and the cortex rule (``cortex_check``,
:mod:`imaging.lesion_cortex`: a sclerotic lesion leaves out the normal cortex), both on by default.

These are display-side tool settings (not part of the Case); each lesion keeps the reference it was
compared with in its measures. Some describe the patient, others the operator's way of working:
:func:`for_new_image` resets the first kind when another image is opened (``PER_IMAGE``), and
:func:`operator_values` names every value that differs from its default, for the status bar. Values
in HU and mm.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
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


#: (LesionParameters field, label, range, tooltip) of the growth-limit fields shown, in mm (our choices,
#: imaging.lesion's docstring, step 5)
_LIMIT_FIELDS = (
    (
        "extent_min_mm",
        "Growth limit, at least (mm)",
        (2, 80),
        "A lesion grows at most twice its estimated radius from the seed, but never less than this. "
        "Default 10 mm: our choice, not a clinical figure. Raise it when a lesion is marked as reaching "
        "the growth limit, then click it again.",
    ),
    (
        "max_radius_mm",
        "Growth limit, at most (mm)",
        (5, 80),
        "A lesion never grows farther than this from the seed. Default 40 mm: a lesion up to 8 cm across "
        "(CLINICAL.md: lesions over 3.5 cm already need several ablations); our choice.",
    ),
)
#: the parameters reset when another image is opened (with the reference bone HU), and why: the
#: growth limits are raised for one patient's lesion (kept for the next patient they would let small
#: lesions flood the marrow around them unnoticed); the osteoporosis guard is switched off for one
#: patient's bone (kept, it would let the next patient's osteoporotic bone pass as lytic lesions).
#: The HU thresholds (abnormal difference, typical lytic and blastic HU, bone threshold) are not about
#: the patient: they are the operator's way of reading CT and may stay for the session; they are said
#: in the status bar when another image opens with a value other than the default.
#: The cortex rule is switched off for one patient's lesion (a blastic lesion denser than its seed that
#: reaches the cortex); kept, it would let the next patient's blastic lesions run along the cortex.
PER_IMAGE = (
    "extent_min_mm",
    "extent_factor",
    "max_radius_mm",
    "roi_size_mm",
    "deep_bone_check",
    "cortex_check",
)
#: what the status bar says when every setting is at its default
DEFAULTS_NOTE = "Lesion settings: the defaults (reference bone measured around each lesion)."
#: what the cortex rule does and where its figures come from (imaging.lesion_cortex)
CORTEX_RULE_TIP = (
    "On (default): a sclerotic (blastic) lesion leaves out bone that is denser than the lesion by more "
    "than the abnormal difference (88 HU by default) and runs out to the bone's surface. That is the "
    "normal cortex, not lesion: cortical bone is roughly 1000-2000 HU, an untreated blastic metastasis "
    "654 ± 176 HU (CLINICAL.md). Untick it when a blastic lesion denser than where you clicked reaches "
    "the cortex and loses its part next to it, then click the lesion again (or click it in its densest "
    "part with the rule on)."
)
#: the region searched holds the ball of the largest growth limit (LesionParameters: 80 mm for 40 mm)
_ROI_PER_RADIUS = 2.0


def for_new_image(settings: LesionSettings) -> LesionSettings:
    """The settings for another image: the reference is measured again, ``PER_IMAGE`` parameters are
    back at their defaults, the operator's HU thresholds stay."""
    defaults = LesionParameters()
    parameters = dataclasses.replace(
        settings.parameters, **{name: getattr(defaults, name) for name in PER_IMAGE}
    )
    return LesionSettings(reference_bone_hu=None, parameters=parameters)


def operator_values(settings: LesionSettings) -> list[str]:
    """Plain phrases for every setting that differs from its default ("reference bone 300 HU given")."""
    out = []
    if settings.reference_bone_hu is not None:
        out.append(f"reference bone {settings.reference_bone_hu:.0f} HU given (not measured)")
    defaults = LesionParameters()
    for name, label, _range, _tip in (*_FIELDS, *_LIMIT_FIELDS):
        value, default = getattr(settings.parameters, name), getattr(defaults, name)
        if value != default:
            unit = "HU" if name.endswith("_hu") else "mm"
            out.append(f"{_plain(label)} {value:g} {unit} (default {default:g})")
    if settings.parameters.extent_factor != defaults.extent_factor:
        out.append(
            f"growth limit {settings.parameters.extent_factor:g} x the estimated radius "
            f"(default {defaults.extent_factor:g})"
        )
    if settings.parameters.deep_bone_check != defaults.deep_bone_check:
        out.append("osteoporosis guard off")
    if settings.parameters.cortex_check != defaults.cortex_check:
        out.append("cortex rule off (dense bone running out to the bone's surface may join a blastic lesion)")
    return out


def new_image_note(before: LesionSettings, after: LesionSettings) -> str:
    """What opening another image did to the settings, for the status bar ("" when all are defaults)."""
    kept = operator_values(after)
    reset = [v for v in operator_values(before) if v not in kept]
    parts = []
    if reset:
        parts.append(f"Lesion settings of the previous image reset to the defaults: {'; '.join(reset)}")
    if kept:
        parts.append(f"lesion settings still in force (kept for the session): {'; '.join(kept)}")
    if not parts:
        return ""
    text = ". ".join(parts) + "."
    return text[:1].upper() + text[1:]


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
        self.spins = _spin_rows(form, _FIELDS, " HU")
        self.limit_spins = _spin_rows(form, _LIMIT_FIELDS, " mm")
        self.extent_factor = QDoubleSpinBox()
        self.extent_factor.setRange(0.0, 5.0)
        self.extent_factor.setSingleStep(0.5)
        self.extent_factor.setDecimals(1)
        self.extent_factor.setSuffix(" x radius")
        self.extent_factor.setToolTip(
            "The growth limit is this many times the lesion's radius estimated at the seed (within the "
            "limits above). Default 2: our choice, not a clinical figure; 0 leaves only the largest limit."
        )
        form.addRow("Growth limit, scale", self.extent_factor)
        self.deep_bone_check = QCheckBox("refuse seeds like this patient's deep bone")
        self.deep_bone_check.setToolTip(
            "A dark seed as dark as the centres of the other bones in view is low-density (osteoporotic) "
            "normal bone, not a focal lytic lesion: refuse it. Untick to segment such a seed anyway."
        )
        form.addRow("Osteoporosis guard", self.deep_bone_check)
        self.cortex_check = QCheckBox("leave the normal cortex out of blastic lesions")
        self.cortex_check.setToolTip(CORTEX_RULE_TIP)
        form.addRow("Cortex rule", self.cortex_check)
        scope = QLabel(
            "Reference bone, growth limits, the osteoporosis guard and the cortex rule apply to this image "
            "only; the HU thresholds stay for the session."
        )
        scope.setWordWrap(True)
        form.addRow(scope)
        self.defaults_button = QPushButton("Defaults")
        self.defaults_button.setToolTip("Restore the defaults (measured reference, CLINICAL.md figures)")
        form.addRow("", self.defaults_button)
        self.show_settings(controller.lesion_settings)
        self.measure_reference.toggled.connect(self._on_field_changed)
        self.reference.valueChanged.connect(self._on_field_changed)
        for spin in (*self.spins.values(), *self.limit_spins.values()):
            spin.valueChanged.connect(self._on_field_changed)
        self.extent_factor.valueChanged.connect(self._on_field_changed)
        self.deep_bone_check.toggled.connect(self._on_field_changed)
        self.cortex_check.toggled.connect(self._on_field_changed)
        self.defaults_button.clicked.connect(self.restore_defaults)

    # -- public ---------------------------------------------------------------------------------
    def settings(self) -> LesionSettings:
        """The settings the fields show."""
        measured = self.measure_reference.isChecked()
        max_radius_mm = float(self.limit_spins["max_radius_mm"].value())
        parameters = dataclasses.replace(
            self.controller.lesion_settings.parameters,
            deep_bone_check=self.deep_bone_check.isChecked(),
            cortex_check=self.cortex_check.isChecked(),
            extent_factor=float(self.extent_factor.value()),
            extent_min_mm=float(self.limit_spins["extent_min_mm"].value()),
            max_radius_mm=max_radius_mm,
            roi_size_mm=max(LesionParameters().roi_size_mm, _ROI_PER_RADIUS * max_radius_mm),
            **{name: float(spin.value()) for name, spin in self.spins.items()},
        )
        return LesionSettings(
            reference_bone_hu=None if measured else float(self.reference.value()),
            parameters=parameters,
        )

    def show_settings(self, settings: LesionSettings) -> None:
        """Put ``settings`` in the fields (signals blocked)."""
        widgets: list[QWidget] = [self.measure_reference, self.reference, self.deep_bone_check]
        widgets.append(self.cortex_check)
        widgets += [*self.spins.values(), *self.limit_spins.values(), self.extent_factor]
        for w in widgets:
            w.blockSignals(True)
        try:
            measured = settings.reference_bone_hu is None
            self.measure_reference.setChecked(measured)
            if settings.reference_bone_hu is not None:
                self.reference.setValue(round(settings.reference_bone_hu))
            self.reference.setEnabled(not measured)
            for name, spin in (*self.spins.items(), *self.limit_spins.items()):
                spin.setValue(round(float(getattr(settings.parameters, name))))
            self.extent_factor.setValue(float(settings.parameters.extent_factor))
            self.deep_bone_check.setChecked(settings.parameters.deep_bone_check)
            self.cortex_check.setChecked(settings.parameters.cortex_check)
        finally:
            for w in widgets:
                w.blockSignals(False)

    def restore_defaults(self) -> None:
        """Back to the measured reference and the CLINICAL.md defaults."""
        self._apply(LesionSettings())
        self.controller.jobs.say(DEFAULTS_NOTE)

    def reset_for_new_image(self) -> str:
        """Another image was opened: reset what describes the patient (:func:`for_new_image`); returns
        what to tell the operator ("" when nothing differs from the defaults)."""
        before = self.controller.lesion_settings
        after = for_new_image(before)
        self.controller.lesion_settings = after
        self.show_settings(after)
        if after != before:
            self.settings_changed.emit(after)
        return new_image_note(before, after)

    # -- private --------------------------------------------------------------------------------
    def _apply(self, settings: LesionSettings) -> None:
        self.controller.lesion_settings = settings
        self.show_settings(settings)
        self.settings_changed.emit(settings)

    def _on_field_changed(self, *_args: object) -> None:
        self._apply(self.settings())
        values = operator_values(self.controller.lesion_settings)
        if values:
            # an operator value in force is said where the operator looks after a click
            self.controller.jobs.say(f"Lesion settings in force: {'; '.join(values)}.")
        else:
            self.controller.jobs.say(DEFAULTS_NOTE)


def _plain(label: str) -> str:
    """A field's label without its unit, in lower case ("Abnormal beyond ± (HU)" -> "abnormal beyond ±")."""
    return label.split(" (", maxsplit=1)[0].lower()


def _spin_rows(
    form: QFormLayout, fields: Sequence[tuple[str, str, tuple[int, int], str]], suffix: str
) -> dict[str, QSpinBox]:
    """One spin box row per ``(name, label, (low, high), tooltip)``, by name."""
    spins: dict[str, QSpinBox] = {}
    for name, label, (lo, hi), tip in fields:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setSuffix(suffix)
        spin.setToolTip(tip)
        spins[name] = spin
        form.addRow(label, spin)
    return spins
