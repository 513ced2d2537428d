"""Values stored in a Case: frozen dataclasses and the StrEnums they use.

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
- ``PlanSettings``  ``margin_mm`` (2), ``neural_clearance_mm`` (10), ``posterior_wall_band_mm`` (5).
- ``ForbiddenStructure`` a mask layer needles and heat must stay ``clearance_mm`` away from.
- ``CementChoice``  per target: ``fill_fraction``, ``viscosity``, ``notes``.
- ``ScoreItems``    per target: ``system`` and ``items`` (item name -> chosen value).
- ``ReviewResult``  optional post-procedure review values.

Helpers: ``as_point(seq)``, ``masks_equal(a, b)`` (voxel equality comparing boxes only),
``read_box(mask, offset_index, shape)``, ``FrozenDict`` (immutable mapping; dict arguments are converted),
``NEEDLE_OUTER_DIAMETER_MM``, ``DEFAULT_LAYER_COLORS``.

Every value class has an ``extra`` FrozenDict of JSON scalars where other modules may keep values
until they add a proper field; a new field must have a default so that old case files still load
(``planning.case_io`` fills missing fields with their defaults; a breaking change needs a schema
migration registered there).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from imaging.lesion_model import LesionType
from imaging.mask import Mask
from planning.errors import PlanValidationError
from planning.needles import ACCESS_NEEDLE_OUTER_DIAMETER_MM

__all__ = [
    "DEFAULT_LAYER_COLORS",
    "NEEDLE_OUTER_DIAMETER_MM",
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

Point = tuple[float, float, float]
JsonScalar = str | int | float | bool | None

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class FrozenDict(Mapping[K, V], Generic[K, V]):
    """An immutable, hashable (when its values are) mapping; equal to any mapping with the same items."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | Iterable[tuple[K, V]] = (), /) -> None:
        self._data: dict[K, V] = dict(data)

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenDict):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (self._data,))

    def set(self, key: K, value: V) -> FrozenDict[K, V]:
        """A copy with ``key`` set to ``value``."""
        data = dict(self._data)
        data[key] = value
        return FrozenDict(data)

    def without(self, key: K) -> FrozenDict[K, V]:
        """A copy without ``key`` (no error when absent)."""
        return FrozenDict((k, v) for k, v in self._data.items() if k != key)


class ImageRole(StrEnum):
    """What a referenced volume is for."""

    PLANNING = "planning"
    POST = "post"


class LayerKind(StrEnum):
    """What a mask layer represents."""

    LESION = "lesion"
    BONE = "bone"
    BODY = "body"
    CANAL = "canal"
    POSTERIOR_WALL = "posterior_wall"
    PEDICLE = "pedicle"
    #: the neural foramina (exit of the spinal nerves). Case files saved before this kind existed hold
    #: them as CUSTOM layers named "... neural foramina"; those load unchanged (still CUSTOM).
    FORAMEN = "foramen"
    CEMENT = "cement"
    ZONE = "zone"
    CUSTOM = "custom"


class TargetKind(StrEnum):
    """A vertebra (spine) or any other bone (extraspinal)."""

    SPINE = "spine"
    EXTRASPINAL = "extraspinal"


class Approach(StrEnum):
    """Needle approach (DESIGN.md command-line contract spelling)."""

    TRANSPEDICULAR_LEFT = "transpedicular-left"
    TRANSPEDICULAR_RIGHT = "transpedicular-right"
    TRANSCOSTOVERTEBRAL_LEFT = "transcostovertebral-left"
    TRANSCOSTOVERTEBRAL_RIGHT = "transcostovertebral-right"
    PARAPEDICULAR_LEFT = "parapedicular-left"
    PARAPEDICULAR_RIGHT = "parapedicular-right"
    DIRECT = "direct"


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


# the gauge table lives in planning.needles (CLINICAL.md); re-exported here for the values' checks
NEEDLE_OUTER_DIAMETER_MM: Mapping[int, float] = ACCESS_NEEDLE_OUTER_DIAMETER_MM

# Default colours of new layers by kind (RGB 0-255); the operator may change them.
DEFAULT_LAYER_COLORS: Mapping[LayerKind, tuple[int, int, int]] = FrozenDict(
    {
        LayerKind.LESION: (230, 60, 60),
        LayerKind.BONE: (230, 220, 190),
        LayerKind.BODY: (90, 160, 230),
        LayerKind.CANAL: (240, 200, 40),
        LayerKind.POSTERIOR_WALL: (250, 130, 20),
        LayerKind.PEDICLE: (120, 200, 120),
        LayerKind.FORAMEN: (40, 200, 210),  # cyan: apart from the canal's yellow and the pedicles' green
        LayerKind.CEMENT: (235, 235, 255),
        LayerKind.ZONE: (255, 120, 200),
        LayerKind.CUSTOM: (160, 120, 220),
    }
)


def as_point(value: Iterable[float], name: str = "point") -> Point:
    """Three finite floats from any sequence or array (an LPS position in mm).

    Raises
    ------
    ValueError
        When ``value`` does not hold exactly three finite numbers; the message names ``name``.
    """
    try:
        vals = tuple(float(v) for v in np.asarray(value, dtype=float).ravel())
    except (TypeError, ValueError) as exc:
        raise ValueError(f'Argument "{name}" must be 3 numbers, got {value!r}') from exc
    if len(vals) != 3 or not all(math.isfinite(v) for v in vals):
        raise ValueError(f'Argument "{name}" must be 3 finite numbers, got {value!r}')
    return (vals[0], vals[1], vals[2])


def read_box(mask: Mask, offset_index: Iterable[int], shape: Iterable[int]) -> npt.NDArray[np.bool_]:
    """The mask's voxels inside the grid box at ``offset_index`` (``[slice, row, col]``) of ``shape``.

    A new array; voxels of the box outside the mask's own box are False.
    """
    off = [int(v) for v in offset_index]
    shp = [int(v) for v in shape]
    out = np.zeros(tuple(shp), dtype=bool)
    src, dst = [], []
    for a, na, b, nb in zip(mask.offset_index, mask.array.shape, off, shp, strict=True):
        lo, hi = max(a, b), min(a + na, b + nb)
        if hi <= lo:
            return out
        src.append(slice(lo - a, hi - a))
        dst.append(slice(lo - b, hi - b))
    out[tuple(dst)] = mask.array[tuple(src)]
    return out


def masks_equal(a: Mask, b: Mask) -> bool:
    """Voxel-for-voxel equality of two masks on the same grid, comparing only their boxes.

    Same answer as ``Mask.__eq__`` without allocating the whole grid when the boxes differ.
    """
    if a is b or (a.array is b.array and a.offset_index == b.offset_index):
        return a.grid_shape == b.grid_shape
    if a.grid_shape != b.grid_shape:
        return False
    if a.count() != b.count():  # cheap and allocation-free: settles most real edits
        return False
    if a.offset_index == b.offset_index and a.array.shape == b.array.shape:
        return bool(np.array_equal(a.array, b.array))
    lo = [min(x, y) for x, y in zip(a.offset_index, b.offset_index, strict=True)]
    hi = [
        max(x + n, y + m)
        for x, n, y, m in zip(a.offset_index, a.array.shape, b.offset_index, b.array.shape, strict=True)
    ]
    shape = [h - low for low, h in zip(lo, hi, strict=True)]
    return bool(np.array_equal(read_box(a, lo, shape), read_box(b, lo, shape)))


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _check_name(value: object, name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'Argument "{name}" must be a non-empty string, got {value!r}')


def _opt_point(obj: object, name: str) -> None:
    value = getattr(obj, name)
    if value is not None:
        _set(obj, name, as_point(value, name))


def _finite(obj: object, name: str, *, low: float | None = None, high: float | None = None) -> None:
    value = getattr(obj, name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f'Argument "{name}" must be a finite number, got {value!r}')
    fval = float(value)
    if (low is not None and fval < low) or (high is not None and fval > high):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise PlanValidationError(name, value, f"{lo}..{hi}")
    _set(obj, name, fval)


def _enum(obj: object, name: str, enum: type[StrEnum], *, optional: bool = False) -> None:
    value = getattr(obj, name)
    if value is None and optional:
        return
    try:
        _set(obj, name, enum(value))
    except ValueError as exc:
        choices = ", ".join(e.value for e in enum)
        raise ValueError(f'Argument "{name}" must be one of {choices}; got {value!r}') from exc


def _frozen(obj: object, name: str) -> None:
    value = getattr(obj, name)
    if not isinstance(value, FrozenDict):
        _set(obj, name, FrozenDict(value))


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


@dataclass(frozen=True, eq=False)
class MaskLayer:
    """A named binary mask on the grid of volume ``source_series_uid``.

    The mask's array is made read-only (copied first if it was writable) so that a stored layer can
    never change behind the undo history's back.
    """

    name: str
    kind: LayerKind
    mask: Mask
    color_rgb: tuple[int, int, int] = (160, 120, 220)
    source_series_uid: str = ""
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _check_name(self.name, "name")
        _enum(self, "kind", LayerKind)
        if not isinstance(self.mask, Mask):
            raise ValueError(f'Argument "mask" must be an imaging.mask.Mask, got {type(self.mask).__name__}')
        if self.mask.array.flags.writeable:
            frozen = self.mask.array.copy()
            frozen.flags.writeable = False
            _set(self, "mask", Mask(frozen, self.mask.offset_index, self.mask.grid_shape))
        rgb = tuple(int(c) for c in self.color_rgb)
        if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
            raise ValueError(f'Argument "color_rgb" must be 3 integers 0-255, got {self.color_rgb!r}')
        _set(self, "color_rgb", rgb)
        _frozen(self, "extra")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MaskLayer):
            return NotImplemented
        mine = (self.name, self.kind, self.color_rgb, self.source_series_uid, self.extra)
        theirs = (other.name, other.kind, other.color_rgb, other.source_series_uid, other.extra)
        return mine == theirs and masks_equal(self.mask, other.mask)

    __hash__ = None  # type: ignore[assignment]  # a Mask is not hashable

    @classmethod
    def new(cls, name: str, kind: LayerKind | str, mask: Mask, source_series_uid: str = "") -> MaskLayer:
        """A layer with the default colour of its kind."""
        k = LayerKind(kind)
        return cls(name, k, mask, DEFAULT_LAYER_COLORS[k], source_series_uid)


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
class AblationSpec:
    """The ablation zone: a device ``profile`` name, or custom dimensions (all three), or nothing yet.

    ``center_behind_tip_mm``: the zone's centre lies this far behind the antenna tip (DESIGN.md).
    """

    profile: str = ""
    width_mm: float | None = None
    length_mm: float | None = None
    center_behind_tip_mm: float | None = None
    power_w: float | None = None
    duration_s: float | None = None
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        for name in ("width_mm", "length_mm", "power_w", "duration_s"):
            _finite(self, name, low=0.0)
        _finite(self, "center_behind_tip_mm")
        dims = (self.width_mm, self.length_mm, self.center_behind_tip_mm)
        if any(d is not None for d in dims) and any(d is None for d in dims):
            raise ValueError(
                f'Custom ablation needs all of "width_mm", "length_mm", "center_behind_tip_mm", got {dims!r}'
            )
        _frozen(self, "extra")

    @property
    def is_custom(self) -> bool:
        """True when custom dimensions are given."""
        return self.width_mm is not None


@dataclass(frozen=True)
class Trajectory:
    """One access needle (and the antenna inserted through it).

    ``target_lps`` is the access needle's tip; the antenna tip lies ``antenna_extension_mm`` further
    along the needle. ``ablation_positions_mm`` are pull-back offsets of the antenna tip along the
    needle, 0 = fully extended. Defaults (CLINICAL.md "Needles"): 13 G needle of 150 mm (10-15 cm),
    16 G antenna, tip 15 mm beyond the needle (1.5-2.0 cm).
    """

    name: str
    target: str
    approach: Approach
    entry_lps: Point
    target_lps: Point
    needle_gauge: int = 13
    needle_length_mm: float = 150.0
    antenna_gauge: int = 16
    antenna_extension_mm: float = 15.0
    ablation_positions_mm: tuple[float, ...] = (0.0,)
    ablation: AblationSpec = field(default_factory=AblationSpec)
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _check_name(self.name, "name")
        _check_name(self.target, "target")
        _enum(self, "approach", Approach)
        _set(self, "entry_lps", as_point(self.entry_lps, "entry_lps"))
        _set(self, "target_lps", as_point(self.target_lps, "target_lps"))
        if self.entry_lps == self.target_lps:
            raise PlanValidationError("entry_lps", self.entry_lps, "a point distinct from target_lps")
        if self.needle_gauge not in NEEDLE_OUTER_DIAMETER_MM:
            raise PlanValidationError(
                "needle_gauge", self.needle_gauge, f"gauges {sorted(NEEDLE_OUTER_DIAMETER_MM)}"
            )
        if isinstance(self.antenna_gauge, bool) or not isinstance(self.antenna_gauge, int):
            raise ValueError(f'Argument "antenna_gauge" must be an int, got {self.antenna_gauge!r}')
        _finite(self, "needle_length_mm", low=1.0)
        _finite(self, "antenna_extension_mm", low=0.0)
        positions = tuple(float(p) for p in self.ablation_positions_mm)
        if any(not math.isfinite(p) or p < 0.0 for p in positions):
            raise PlanValidationError("ablation_positions_mm", positions, "finite values >= 0 mm")
        _set(self, "ablation_positions_mm", positions)
        if not isinstance(self.ablation, AblationSpec):
            raise ValueError(f'Argument "ablation" must be an AblationSpec, got {self.ablation!r}')
        _frozen(self, "extra")

    @property
    def length_mm(self) -> float:
        """Entry to access-needle tip, mm."""
        return math.dist(self.entry_lps, self.target_lps)

    @property
    def direction_lps(self) -> Point:
        """Unit vector from entry to tip (LPS)."""
        d = [t - e for e, t in zip(self.entry_lps, self.target_lps, strict=True)]
        n = math.sqrt(sum(c * c for c in d))
        return (d[0] / n, d[1] / n, d[2] / n)


@dataclass(frozen=True)
class PlanSettings:
    """Settings of the whole plan (CLINICAL.md).

    ``margin_mm`` 2: zone planned 2 mm beyond the lesion (Qiu). ``neural_clearance_mm`` 10: lesion
    margins < 1 cm from nerve roots were an exclusion criterion. ``posterior_wall_band_mm`` 5: the
    leakage-risk band inside the body (cement within 0.5 cm of the posterior wall).
    """

    margin_mm: float = 2.0
    neural_clearance_mm: float = 10.0
    posterior_wall_band_mm: float = 5.0
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _finite(self, "margin_mm", low=0.0, high=20.0)
        _finite(self, "neural_clearance_mm", low=0.0, high=50.0)
        _finite(self, "posterior_wall_band_mm", low=0.0, high=20.0)
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
    """The operator's cement choices for a target. ``fill_fraction`` of the lesion, 0-1 (None: unset)."""

    target: str
    fill_fraction: float | None = None
    viscosity: Viscosity | None = None
    notes: str = ""
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _check_name(self.target, "target")
        _finite(self, "fill_fraction", low=0.0, high=1.0)
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
