"""The operator's choices for one target (``choices`` of :func:`planning.target_report.analyse_target`).

The keys, what each means and its default are listed in :mod:`planning.target_report`; this module
holds the set of known keys (``CHOICE_KEYS``) and reads single values from the choices mapping,
refusing a value of the wrong kind with a :class:`planning.errors.PlanValidationError` that names the
key. Units follow the key's suffix (``_mm``, ``_ml``); fractions 0-1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from planning.errors import PlanValidationError

#: Lesion-pedicle overlap (mL) that counts as posterolateral involvement -- *unverified*: 20 mm^3,
#: above a few boundary voxels of segmentation noise at 1 mm; editable (``choices``).
POSTEROLATERAL_MIN_OVERLAP_ML = 0.02

CHOICE_KEYS = frozenset(
    {
        "fill_fraction",
        "cement_volume_ml",
        "cement_viscosity",
        "intravertebral_cleft",
        "treated_levels",
        "vertebral_collapse",
        "reference_height_mm",
        "adjacent_heights_mm",
        "aliquot_policy",
        "near_wall_aliquot_ml",
        "band_mm",
        "sins",
        "mirels",
        "harrington",
        "impending",
        "posterolateral_min_overlap_ml",
        "foramen_width_mm",
        "foramen_depth_mm",
        "track_margin_mm",
        "collapse_threshold_fraction",
    }
)


def opt_float(ch: Mapping[str, Any], key: str) -> float | None:
    """The number chosen for ``key``, or None when it is absent or None.

    Parameters
    ----------
    ch
        The choices (or a nested mapping of them, such as ``mirels``).
    key
        The key to read.

    Returns
    -------
    float or None
        The value as a float.

    Raises
    ------
    PlanValidationError
        If the value is not a number (text and true / false are not), or not finite.
    """
    if key not in ch or ch[key] is None:
        return None
    raw = ch[key]
    # text ("2") and true / false were taken as numbers, where the spec's other numbers refuse them
    # (QA s32 D): a number is a number, not guessed from text
    if isinstance(raw, (bool, str, bytes)):
        raise PlanValidationError(key, raw, "a number")
    try:
        value = float(raw)
    except (TypeError, ValueError) as exc:
        raise PlanValidationError(key, raw, "a number") from exc
    if not math.isfinite(value):
        raise PlanValidationError(key, ch[key], "a finite number")
    return value


def choice_float(ch: Mapping[str, Any], key: str, default: float) -> float:
    """The number chosen for ``key``, or ``default`` when it is absent or None.

    Parameters
    ----------
    ch
        The choices.
    key
        The key to read.
    default
        The value when nothing is chosen.

    Returns
    -------
    float
        The chosen value or the default.

    Raises
    ------
    PlanValidationError
        As :func:`opt_float`.
    """
    value = opt_float(ch, key)
    return default if value is None else value


def opt_bool(ch: Mapping[str, Any], key: str) -> bool | None:
    """The yes / no chosen for ``key``, or None when it is absent or None.

    Parameters
    ----------
    ch
        The choices (or a nested mapping of them, such as ``impending``).
    key
        The key to read.

    Returns
    -------
    bool or None
        The value.

    Raises
    ------
    PlanValidationError
        If the value is not a bool (``1`` or ``"yes"`` are refused, not guessed).
    """
    if key not in ch or ch[key] is None:
        return None
    if not isinstance(ch[key], bool):
        raise PlanValidationError(key, ch[key], "true or false")
    return bool(ch[key])


def posterolateral_threshold(ch: Mapping[str, Any]) -> float:
    """Lesion-pedicle overlap (mL) from which a pedicle counts as involved for SINS.

    Parameters
    ----------
    ch
        The choices (key ``posterolateral_min_overlap_ml``).

    Returns
    -------
    float
        The chosen threshold, else ``POSTEROLATERAL_MIN_OVERLAP_ML``.

    Raises
    ------
    PlanValidationError
        If the value is not a number or is negative.
    """
    value = opt_float(ch, "posterolateral_min_overlap_ml")
    if value is None:
        return POSTEROLATERAL_MIN_OVERLAP_ML
    if value < 0:
        raise PlanValidationError("posterolateral_min_overlap_ml", value, ">= 0 mL")
    return value
