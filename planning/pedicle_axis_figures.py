"""A vertebra's pedicle axes read back from its kept figures, for drawing them on the views.

The Vertebra tool keeps a vertebra's figures with its body layer (:func:`planning.vertebra_figures.
vertebra_figures`): for each traced pedicle the axis's entry and target, its isthmus (LPS mm) and the
narrowest width (mm, with its +- on this scan when known). :func:`pedicle_axes` reads them back; a pedicle
whose figures lack a point (figures saved before session 28 kept only the angles) or carry a malformed one
is left out rather than guessed. :func:`across_axis` gives the direction the narrowest width is drawn
along: across the axis, mediolaterally (perpendicular to the axis and to the patient's superior axis), as
the width is measured (:mod:`imaging.pedicle_profile`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float, float]

#: the patient's superior axis (LPS)
_SUPERIOR = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class PedicleAxisFigures:
    """One traced pedicle's axis as kept: entry, target and isthmus (LPS mm), narrowest width (mm)."""

    side: str
    entry_lps: Point
    target_lps: Point
    isthmus_lps: Point
    min_width_mm: float
    min_width_uncertainty_mm: float | None


def pedicle_axes(figures: Mapping[str, Any] | str | None) -> list[PedicleAxisFigures]:
    """The traced pedicles' axes of a vertebra's figures (the dict or its JSON text), left then right;
    a pedicle without all three points or its width is left out."""
    if isinstance(figures, str):
        try:
            figures = json.loads(figures)
        except ValueError:
            return []
    if not isinstance(figures, Mapping):
        return []
    pedicles = figures.get("pedicles")
    if not isinstance(pedicles, Mapping):
        return []
    out = []
    for side in ("left", "right"):
        p = pedicles.get(side)
        if not isinstance(p, Mapping) or not p.get("traced"):
            continue
        points = [_point(p.get(key)) for key in ("axis_entry_lps", "axis_target_lps", "isthmus_lps")]
        width = _number(p.get("min_width_mm"))
        entry, target, isthmus = points
        if entry is None or target is None or isthmus is None or width is None or entry == target:
            continue
        out.append(
            PedicleAxisFigures(
                side, entry, target, isthmus, width, _number(p.get("min_width_uncertainty_mm"))
            )
        )
    return out


def across_axis(entry_lps: npt.ArrayLike, target_lps: npt.ArrayLike) -> FloatArray:
    """Unit vector across a pedicle axis, mediolaterally: perpendicular to the axis and to the patient's
    superior axis (towards the patient's left). An axis along the superior axis (no pedicle runs so)
    gives the patient's left."""
    d = np.asarray(target_lps, dtype=np.float64) - np.asarray(entry_lps, dtype=np.float64)
    w = np.cross(_SUPERIOR, d)
    n = float(np.linalg.norm(w))
    if n < 1e-9:
        return np.array([1.0, 0.0, 0.0])
    w /= n
    out: FloatArray = w if w[0] >= 0 else -w
    return out


def _point(raw: object) -> Point | None:
    if not isinstance(raw, (list, tuple)) or len(raw) != 3:
        return None
    values = [_number(v) for v in raw]
    if any(v is None for v in values):
        return None
    return (float(values[0]), float(values[1]), float(values[2]))  # type: ignore[arg-type]


def _number(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        return None
    return float(raw)
