"""Values stored in a Case: frozen dataclasses and the StrEnums they use, and the public face of the
value modules (import every value name from here).

This file holds the case's identity, images, targets, plan settings, forbidden structures, cement
choices, scores and review. The rest lives in (and is re-exported from here):

- :mod:`planning.model_base`: ``FrozenDict``, ``Point``, ``JsonScalar``, ``as_point`` and the argument
  checks every value's constructor runs;
- :mod:`planning.model_layers`: ``LayerKind``, ``MaskLayer``, ``DEFAULT_LAYER_COLORS``, ``read_box``,
  ``masks_equal``;
- :mod:`planning.model_trajectory`: ``Approach``, ``AblationSpec``, ``Trajectory``,
  ``NEEDLE_OUTER_DIAMETER_MM``.

Frames and units: every position is DICOM patient LPS in millimetres (``*_lps``); lengths ``*_mm``,
volumes ``*_ml``, CT values ``*_hu``, power ``*_w``, time ``*_s``. Masks lie on the grid of the
volume named by their ``source_series_uid`` ([slice, row, col], see ``imaging.mask.Mask``).

API summary (for the other planning / GUI modules)
---------------------------------------------------
Enums: ``ImageRole`` (planning | post), ``LayerKind`` (lesion | bone | body | canal | posterior_wall |
pedicle | foramen | cement | zone | custom), ``TargetKind`` (spine | extraspinal), ``Approach``
(``transpedicular-left`` ... ``direct``), ``Viscosity``, ``ScoreSystem`` (sins | mirels | harrington),
``CaseStatus`` (planned | done | reviewed). ``LesionType`` is re-exported from imaging.lesion_model.

Values (all frozen; change one with ``dataclasses.replace``; constructors check and normalise their
arguments, e.g. points become ``tuple[float, float, float]`` and dicts become ``FrozenDict``):

- ``CaseInfo``      patient / study identity and status (one per case).
- ``ImageRef``      a volume the case refers to: ``series_uid``, ``path``, ``role``,
                    ``frame_of_reference_uid`` (volumes are not stored in the case file).
- ``MaskLayer``     ``name``, ``kind``, ``mask`` (imaging Mask), ``color_rgb``, ``source_series_uid``.
- ``Target``        ``name``, ``kind``, ``level``, ``lesion_seed_lps``, ``vertebra_lps``,
                    ``lesion_layer``, ``lesion_type``, ``measures`` (name -> float).
- ``AblationSpec``  device ``profile`` name or custom ``width_mm``/``length_mm``/``center_behind_tip_mm``.
- ``Trajectory``    ``name``, ``target``, ``approach``, ``entry_lps``, ``target_lps`` (access-needle tip),
                    needle and antenna choices, ``ablation_positions_mm`` (pull-back offsets), ``ablation``.
- ``PlanSettings``  ``margin_mm`` (2), ``neural_clearance_mm`` (10), ``posterior_wall_band_mm`` (5),
                    ``heat_warn_distance_mm`` (5), ``min_needle_depth_mm`` (10),
                    ``pedicle_safety_margin_mm`` (1).
- ``ForbiddenStructure`` a mask layer needles and heat must stay ``clearance_mm`` away from.
- ``CementChoice``  per target: ``fill_fraction``, ``viscosity``, ``notes``, ``planned_ml``.
- ``ScoreItems``    per target: ``system`` and ``items`` (item name -> chosen value).
- ``ReviewResult``  optional post-procedure review values.

Helpers: ``as_point(seq)``, ``masks_equal(a, b)`` (voxel equality comparing boxes only),
``read_box(mask, offset_index, shape)``, ``FrozenDict`` (immutable mapping; dict arguments are converted),
``NEEDLE_OUTER_DIAMETER_MM``, ``DEFAULT_LAYER_COLORS``, ``HELD_NEEDLE_DEPTH_MM``, ``MAX_NEEDLE_DEPTH_MM``.

Every value class has an ``extra`` FrozenDict of JSON scalars where other modules may keep values
until they add a proper field; a new field must have a default so that old case files still load
(``planning.case_io`` fills missing fields with their defaults; a breaking change needs a schema
migration registered there).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from imaging.lesion_model import LesionType
from planning.errors import PlanValidationError
from planning.model_base import (
    DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
    DEFAULT_WARN_DISTANCE_MM,
    MAX_PEDICLE_SAFETY_MARGIN_MM,
    FrozenDict,
    JsonScalar,
    Point,
    _check_name,
    _enum,
    _finite,
    _frozen,
    _opt_point,
    _set,
    as_point,
)
from planning.model_layers import (
    DEFAULT_LAYER_COLORS,
    WHOLE_HEIGHT_CANAL_COLOR,
    LayerKind,
    MaskLayer,
    masks_equal,
    read_box,
)
from planning.model_trajectory import NEEDLE_OUTER_DIAMETER_MM, AblationSpec, Approach, Trajectory

__all__ = [
    "DEFAULT_LAYER_COLORS",
    "DEFAULT_PEDICLE_SAFETY_MARGIN_MM",
    "HELD_NEEDLE_DEPTH_MM",
    "MAX_NEEDLE_DEPTH_MM",
    "MAX_PEDICLE_SAFETY_MARGIN_MM",
    "NEEDLE_OUTER_DIAMETER_MM",
    "WHOLE_HEIGHT_CANAL_COLOR",
    "AblationSpec",
    "Approach",
    "CaseInfo",
    "CaseStatus",
    "CementChoice",
    "ForbiddenStructure",
    "FrozenDict",
    "ImageRef",
    "ImageRole",
    "JsonScalar",
    "LayerKind",
    "LesionType",
    "MaskLayer",
    "PlanSettings",
    "Point",
    "ReviewResult",
    "ScoreItems",
    "ScoreSystem",
    "Target",
    "TargetKind",
    "Trajectory",
    "Viscosity",
    "as_point",
    "masks_equal",
    "read_box",
]


#: a route the program chooses (:func:`planning.direct_route.choose_direct_skin_point`) should leave the
#: needle tip at least this far from the skin along the needle (mm), so that the tissue holds the needle:
#: the 10-15 cm access needle (CLINICAL.md) stands free between the CT checks and carries the antenna
#: coaxially, and with less than about a centimetre of tissue round it it tips over. A planning choice,
#: stated here (CLINICAL.md gives no figure); the operator changes it per case
#: (``PlanSettings.min_needle_depth_mm``, the plan spec's ``min_needle_depth_mm``).
HELD_NEEDLE_DEPTH_MM = 10.0
#: the largest ``min_needle_depth_mm`` taken (mm): the longest access needle, 15 cm (CLINICAL.md); a tip
#: held deeper than the needle is long cannot be reached
MAX_NEEDLE_DEPTH_MM = 150.0


class ImageRole(StrEnum):
    """What a referenced volume is for."""

    PLANNING = "planning"
    POST = "post"


class TargetKind(StrEnum):
    """A vertebra (spine) or any other bone (extraspinal)."""

    SPINE = "spine"
    EXTRASPINAL = "extraspinal"


class Viscosity(StrEnum):
    """Cement viscosity chosen by the operator (low viscosity: leakage OR 3.32, CLINICAL.md)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ScoreSystem(StrEnum):
    """Scoring systems of CLINICAL.md."""

    SINS = "sins"
    MIRELS = "mirels"
    HARRINGTON = "harrington"


class CaseStatus(StrEnum):
    """Where a case is in the operator's day."""

    PLANNED = "planned"
    DONE = "done"
    REVIEWED = "reviewed"


@dataclass(frozen=True)
class CaseInfo:
    """Identity and status of a case. Patient fields never go to logs (see ``library.patient_hash``)."""

    title: str = ""
    patient_name: str = ""
    patient_id: str = ""
    study_uid: str = ""
    study_date: str = ""  # DICOM DA "YYYYMMDD" or empty
    status: CaseStatus = CaseStatus.PLANNED
    notes: str = ""
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _enum(self, "status", CaseStatus)
        _frozen(self, "extra")


@dataclass(frozen=True)
class ImageRef:
    """A volume the case refers to by (0020,000E) Series Instance UID and path (never stored in the case)."""

    series_uid: str
    path: str
    role: ImageRole = ImageRole.PLANNING
    frame_of_reference_uid: str = ""
    description: str = ""
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _check_name(self.series_uid, "series_uid")
        _set(self, "path", str(self.path))
        _enum(self, "role", ImageRole)
        _frozen(self, "extra")


@dataclass(frozen=True)
class Target:
    """A lesion to treat. ``level`` like "L1" for the spine; ``measures`` e.g. {"volume_ml": 4.2}."""

    name: str
    kind: TargetKind = TargetKind.SPINE
    level: str = ""
    lesion_seed_lps: Point | None = None
    vertebra_lps: Point | None = None
    lesion_layer: str = ""
    lesion_type: LesionType | None = None
    measures: Mapping[str, float] = field(default_factory=FrozenDict)
    notes: str = ""
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _check_name(self.name, "name")
        _enum(self, "kind", TargetKind)
        _opt_point(self, "lesion_seed_lps")
        _opt_point(self, "vertebra_lps")
        _enum(self, "lesion_type", LesionType, optional=True)
        measures = FrozenDict(self.measures)
        for key, value in measures.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                raise ValueError(f'Target measure "{key}" must be a finite number, got {value!r}')
        _set(self, "measures", FrozenDict((k, float(v)) for k, v in measures.items()))
        _frozen(self, "extra")


@dataclass(frozen=True)
class PlanSettings:
    """Settings of the whole plan (CLINICAL.md).

    ``margin_mm`` 2: zone planned 2 mm beyond the lesion (Qiu). ``neural_clearance_mm`` 10: lesion
    margins < 1 cm from nerve roots were an exclusion criterion (kept with the plan as the operator's
    record; no computation uses it). ``posterior_wall_band_mm`` 5: the leakage-risk band inside the body
    (cement within 0.5 cm of the posterior wall). ``heat_warn_distance_mm`` (``DEFAULT_WARN_DISTANCE_MM``,
    5): a zone closer than this to the canal or a foramen is warned, with the thermal-protection advice.
    ``min_needle_depth_mm`` (``HELD_NEEDLE_DEPTH_MM``, 10; up to ``MAX_NEEDLE_DEPTH_MM``): a direct route
    the program chooses leaves the needle tip at least this far under the skin, so the tissue holds it.
    ``pedicle_safety_margin_mm`` (``DEFAULT_PEDICLE_SAFETY_MARGIN_MM``, 1; up to
    ``MAX_PEDICLE_SAFETY_MARGIN_MM``, 5): added to the needle's outer diameter where a pedicle's narrowest
    width is judged (the transpedicular proposals, the needle's pedicle-fit warning, and its clearance
    caution at half of it); a planning choice (CLINICAL.md: a needle wider than the pedicle calls for
    another route), the plan spec's key of the same name.
    """

    margin_mm: float = 2.0
    neural_clearance_mm: float = 10.0
    posterior_wall_band_mm: float = 5.0
    heat_warn_distance_mm: float = DEFAULT_WARN_DISTANCE_MM
    min_needle_depth_mm: float = HELD_NEEDLE_DEPTH_MM
    pedicle_safety_margin_mm: float = DEFAULT_PEDICLE_SAFETY_MARGIN_MM
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _finite(self, "margin_mm", low=0.0, high=20.0)
        _finite(self, "neural_clearance_mm", low=0.0, high=50.0)
        _finite(self, "posterior_wall_band_mm", low=0.0, high=20.0)
        _finite(self, "heat_warn_distance_mm", low=0.0, high=50.0)
        _finite(self, "min_needle_depth_mm", low=0.0, high=MAX_NEEDLE_DEPTH_MM)
        _finite(self, "pedicle_safety_margin_mm", low=0.0, high=MAX_PEDICLE_SAFETY_MARGIN_MM)
        _frozen(self, "extra")


@dataclass(frozen=True)
class ForbiddenStructure:
    """A structure (mask layer ``layer``) that needles and heat must stay ``clearance_mm`` away from."""

    name: str
    layer: str = ""
    clearance_mm: float = 0.0
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _check_name(self.name, "name")
        _finite(self, "clearance_mm", low=0.0)
        _frozen(self, "extra")


@dataclass(frozen=True)
class CementChoice:
    """The operator's cement choices for a target. ``fill_fraction`` of the lesion, 0-1 (None: unset);
    ``planned_ml``, the volume the operator plans to inject, in place of the estimate (None: unset)."""

    target: str
    fill_fraction: float | None = None
    viscosity: Viscosity | None = None
    notes: str = ""
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)
    planned_ml: float | None = None

    def __post_init__(self) -> None:
        _check_name(self.target, "target")
        _finite(self, "fill_fraction", low=0.0, high=1.0)
        _finite(self, "planned_ml", low=0.0)
        if self.planned_ml == 0.0:
            raise PlanValidationError("planned_ml", self.planned_ml, "> 0 mL (None: the estimate)")
        _enum(self, "viscosity", Viscosity, optional=True)
        _frozen(self, "extra")


@dataclass(frozen=True)
class ScoreItems:
    """Score items chosen by the operator for a target: item name -> value (points or a choice)."""

    target: str
    system: ScoreSystem
    items: Mapping[str, int | float | str] = field(default_factory=FrozenDict)
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _check_name(self.target, "target")
        _enum(self, "system", ScoreSystem)
        _frozen(self, "items")
        for key, value in self.items.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError(f'Score item "{key}" must be a number or a string, got {value!r}')
        _frozen(self, "extra")


@dataclass(frozen=True)
class ReviewResult:
    """Post-procedure review values (optional): the post series, its registration and measured values.

    ``post_to_plan_lps`` is the 4x4 row-major rigid transform mapping post-CT LPS to planning-CT LPS.
    ``values`` holds named results (e.g. "cement_ml"); ``leaks`` one mapping per leak.
    """

    post_series_uid: str
    post_to_plan_lps: tuple[float, ...] = (1.0, 0, 0, 0, 0, 1.0, 0, 0, 0, 0, 1.0, 0, 0, 0, 0, 1.0)
    values: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)
    leaks: tuple[Mapping[str, JsonScalar], ...] = ()
    notes: str = ""
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _check_name(self.post_series_uid, "post_series_uid")
        matrix = tuple(float(v) for v in self.post_to_plan_lps)
        if len(matrix) != 16 or not all(math.isfinite(v) for v in matrix):
            raise ValueError(f'Argument "post_to_plan_lps" must be 16 finite numbers, got {matrix!r}')
        _set(self, "post_to_plan_lps", matrix)
        _frozen(self, "values")
        _set(self, "leaks", tuple(FrozenDict(leak) for leak in self.leaks))
        _frozen(self, "extra")
