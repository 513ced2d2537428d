"""The building blocks shared by the case's values (see ``planning.model``).

``FrozenDict`` (an immutable mapping; every value's ``extra`` and other mapping fields), the
``Point`` and ``JsonScalar`` types, ``as_point`` and the argument checks the values' constructors
run in ``__post_init__`` (``_check_name``, ``_opt_point``, ``_finite``, ``_enum``, ``_frozen``, ``_set``).
The checks are private to the value modules ``planning.model``, ``planning.model_layers`` and
``planning.model_trajectory``; other code imports the public names from ``planning.model``.

Frames and units: a ``Point`` is a DICOM patient LPS position in millimetres.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Any, Generic, TypeVar

import numpy as np

from planning.errors import PlanValidationError

__all__ = [
    "DEFAULT_PEDICLE_SAFETY_MARGIN_MM",
    "DEFAULT_WARN_DISTANCE_MM",
    "MAX_PEDICLE_SAFETY_MARGIN_MM",
    "FrozenDict",
    "JsonScalar",
    "Point",
    "as_point",
]

#: Warn when heat comes closer than this to a neural structure (task brief; the operator edits it in the
#: Coverage dock, the plan command takes ``warn_distance_mm``).
DEFAULT_WARN_DISTANCE_MM = 5.0
#: Default safety margin added to the needle's outer diameter for the narrow-pedicle test (mm).
#: A planning choice, stated and editable: CLINICAL.md says only that OD > narrowest width calls
#: for another route. The operator edits it per case (``PlanSettings.pedicle_safety_margin_mm``, the
#: Needles dock), the plan command takes ``pedicle_safety_margin_mm``.
DEFAULT_PEDICLE_SAFETY_MARGIN_MM = 1.0
#: The largest pedicle safety margin taken (mm), in the window as on the command line (the bound the route
#: builders and the plan spec have checked since they were written): a margin this large alone exceeds
#: the narrowest thoracic pedicle, 4.5 mm at T4 (CLINICAL.md).
MAX_PEDICLE_SAFETY_MARGIN_MM = 5.0

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
