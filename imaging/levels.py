"""Vertebral level names and labelling by counting along the spine.

The operator names one vertebra (e.g. "L3"); the others are labelled by counting along the spine from
it. Positions are LPS mm (+z superior). Level names run C1-C7, T1-T12, L1-L5, S1 (the sacrum counts
as one level); transitional anatomy (six lumbar vertebrae, lumbarised S1, thoracic ribs at L1) is
common, which is why the operator's named level is the reference and suggestions are only suggestions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

LEVELS: tuple[str, ...] = (
    *(f"C{i}" for i in range(1, 8)),
    *(f"T{i}" for i in range(1, 13)),
    *(f"L{i}" for i in range(1, 6)),
    "S1",
)

#: consecutive vertebral centroids further apart than this multiple of the median spacing suggest a
#: vertebra was skipped (no centroid given for it)
GAP_FACTOR = 1.6

_LEVEL_RE = re.compile(r"^\s*([CTLS])\s*(\d{1,2})\s*$", re.IGNORECASE)


def normalize_level(name: str) -> str:
    """Canonical level name (``"l3"`` -> ``"L3"``, ``"Th12"`` -> ``"T12"``).

    Raises
    ------
    ValueError
        If ``name`` is not a level between C1 and S1.
    """
    text = name.strip().upper().replace("TH", "T")
    m = _LEVEL_RE.match(text)
    canonical = f"{m.group(1).upper()}{int(m.group(2))}" if m else ""
    if canonical not in LEVELS:
        raise ValueError(f'Argument "level" must be a vertebral level C1..S1 (e.g. "L3"), got {name!r}')
    return canonical


def level_index(name: str) -> int:
    """Position of a level in :data:`LEVELS` (C1 = 0, S1 = 24)."""
    return LEVELS.index(normalize_level(name))


@dataclass(frozen=True)
class LevelLabels:
    """Labels for a list of vertebrae, in the order they were given.

    ``labels[i]`` is None when counting runs past C1 or S1. ``warnings`` say where the counting may
    be wrong (a gap larger than one vertebra, an unexpected order).
    """

    labels: tuple[str | None, ...]
    order: tuple[int, ...]  # indices of the input, superior to inferior
    warnings: tuple[str, ...] = field(default=())


def label_by_counting(
    centroids_lps: Sequence[Sequence[float]] | npt.ArrayLike, known_index: int, known_label: str
) -> LevelLabels:
    """Label vertebrae by counting from one the operator named.

    Parameters
    ----------
    centroids_lps
        ``(N, 3)`` vertebral body centroids (LPS mm), one per vertebra, in any order, no duplicates.
    known_index
        Index (in ``centroids_lps``) of the vertebra the operator named.
    known_label
        Its level name, e.g. ``"L3"``.

    Returns
    -------
    LevelLabels

    Raises
    ------
    ValueError
        If the centroids are not ``(N, 3)`` finite values, or the index or label is invalid.
    """
    pts = np.asarray(centroids_lps, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 3 or not np.all(np.isfinite(pts)) or len(pts) == 0:
        raise ValueError(f'Argument "centroids_lps" must be (N, 3) finite LPS points, got shape {pts.shape}')
    if not 0 <= known_index < len(pts):
        raise ValueError(f'Argument "known_index" must be in [0, {len(pts)}), got {known_index}')
    known = level_index(known_label)
    order, along = spine_order(pts)
    rank = {idx: r for r, idx in enumerate(order)}
    warnings: list[str] = []
    if len(pts) >= 3:
        steps = np.abs(np.diff(along[order]))
        median = float(np.median(steps))
        for r, s in enumerate(steps):
            if s > GAP_FACTOR * median:
                warnings.append(
                    f"gap of {s:.0f} mm between vertebrae {r + 1} and {r + 2} from the top "
                    f"(median {median:.0f} mm): a vertebra may be missing and the counting off by one"
                )
    labels: list[str | None] = []
    for i in range(len(pts)):
        k = known + (rank[i] - rank[known_index])
        labels.append(LEVELS[k] if 0 <= k < len(LEVELS) else None)
    return LevelLabels(labels=tuple(labels), order=tuple(order), warnings=tuple(warnings))


def spine_order(centroids_lps: npt.ArrayLike) -> tuple[list[int], npt.NDArray[np.float64]]:
    """Order vertebrae along the spine, superior first.

    The spine's direction is the principal direction of the centroids, pointing superior (+z); one
    centroid is ordered along +z.

    Returns
    -------
    tuple
        ``(order, along)``: input indices superior to inferior, and each centroid's position along
        the direction (mm).
    """
    pts = np.asarray(centroids_lps, dtype=np.float64)
    if len(pts) >= 2:
        centred = pts - pts.mean(axis=0)
        _, _, vt = np.linalg.svd(centred)
        direction = vt[0] if vt[0][2] >= 0 else -vt[0]
    else:
        direction = np.array([0.0, 0.0, 1.0])
    along: npt.NDArray[np.float64] = pts @ direction
    return [int(i) for i in np.argsort(-along)], along
