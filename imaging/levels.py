"""Vertebral level names and labelling by counting along the spine.

The operator names one vertebra (e.g. "L3"); the others are labelled by counting along the spine from
it, but never across a gap: where two vertebrae found lie farther apart than their own body heights and
a disc allow (:mod:`imaging.level_spacing`), vertebrae between them were not found, and the count cannot
go on past it. Vertebrae beyond a gap are left unlabelled with the level their distance suggests (not
applied), unless the operator names one of them; each side then counts from its own named vertebra and
names that the distances contradict are reported. Positions are LPS mm (+z superior). Level names run
C1-C7, T1-T12, L1-L5, S1 (the sacrum counts as one level); transitional anatomy (six lumbar vertebrae,
lumbarised S1, thoracic ribs at L1) is common, which is why the operator's named level is the reference
and suggestions are only suggestions.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from imaging.level_spacing import TYPICAL_BODY_HEIGHT_MM, LevelStep, steps_along_spine

LEVELS: tuple[str, ...] = (
    *(f"C{i}" for i in range(1, 8)),
    *(f"T{i}" for i in range(1, 13)),
    *(f"L{i}" for i in range(1, 6)),
    "S1",
)

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
class LevelGap:
    """A vertebra not labelled by counting because vertebrae not found lie between it and a labelled one.

    ``index`` lies ``distance_mm`` from ``reference`` (labelled ``reference_level``; ``below``: the
    vertebra lies below it), about ``levels_about`` levels away; ``estimate`` is the level that many
    levels away: a suggestion, never applied.
    """

    index: int
    reference: int
    reference_level: str
    distance_mm: float
    levels_about: int
    below: bool
    estimate: str | None


@dataclass(frozen=True)
class LevelLabels:
    """Labels for a list of vertebrae, in the order they were given.

    ``labels[i]`` is the level named or counted for vertebra ``i``; None when it lies across a gap from
    every named vertebra, between two named ones that contradict each other, or past C1 / S1.
    ``named`` are the vertebrae named by the operator (the counting's references), ``runs`` the groups of
    vertebrae with no gap between them (superior first), ``gaps`` the vertebrae left unlabelled across a
    gap with the level their distance suggests (``estimates[i]``, not applied), ``contradictions`` where
    named levels disagree with each other or with the distances, ``warnings`` all of it in words.
    """

    labels: tuple[str | None, ...]
    order: tuple[int, ...]  # indices of the input, superior to inferior
    warnings: tuple[str, ...] = field(default=())
    named: tuple[int, ...] = field(default=())
    runs: tuple[tuple[int, ...], ...] = field(default=())
    gaps: tuple[LevelGap, ...] = field(default=())
    estimates: tuple[str | None, ...] = field(default=())
    contradictions: tuple[str, ...] = field(default=())


def label_by_counting(
    centroids_lps: Sequence[Sequence[float]] | npt.ArrayLike,
    known_index: int,
    known_label: str,
    *,
    heights_mm: Sequence[float | None] | None = None,
) -> LevelLabels:
    """Label vertebrae by counting from one the operator named (:func:`label_along_spine` with one name).

    Parameters
    ----------
    centroids_lps
        ``(N, 3)`` vertebral body centroids (LPS mm), one per vertebra, in any order, no duplicates.
    known_index
        Index (in ``centroids_lps``) of the vertebra the operator named.
    known_label
        Its level name, e.g. ``"L3"``.
    heights_mm
        Each vertebra's body height (mm), None where not measured.

    Returns
    -------
    LevelLabels

    Raises
    ------
    ValueError
        If the centroids are not ``(N, 3)`` finite values, or the index or label is invalid.
    """
    pts = _points(centroids_lps)
    if not 0 <= known_index < len(pts):
        raise ValueError(f'Argument "known_index" must be in [0, {len(pts)}), got {known_index}')
    return label_along_spine(pts, {known_index: known_label}, heights_mm=heights_mm)


def label_along_spine(
    centroids_lps: Sequence[Sequence[float]] | npt.ArrayLike,
    named: Mapping[int, str],
    *,
    heights_mm: Sequence[float | None] | None = None,
) -> LevelLabels:
    """Label vertebrae by counting from those the operator named, never across a gap.

    Vertebrae next to each other along the spine are one level apart when their centroids are no
    farther apart than their own bodies and a disc allow (:mod:`imaging.level_spacing`); farther, the
    vertebrae between were not found and the counting stops there. Each group of vertebrae with no gap
    counts from its own named vertebrae (the nearest one); a group with none is left unlabelled, with
    the level its distance from the nearest labelled vertebra suggests (``gaps``, ``estimates``).
    Named levels that disagree with each other or with the distances between them are reported
    (``contradictions``); the names are kept.

    Parameters
    ----------
    centroids_lps
        ``(N, 3)`` vertebral body centroids (LPS mm), one per vertebra, in any order, no duplicates.
    named
        Index -> level name of each vertebra the operator named.
    heights_mm
        Each vertebra's body height (mm), None where not measured; not given: none measured (the
        region's typical height is used, :data:`imaging.level_spacing.TYPICAL_BODY_HEIGHT_MM`).

    Returns
    -------
    LevelLabels

    Raises
    ------
    ValueError
        If the centroids are not ``(N, 3)`` finite values, or a named index, level or the heights are
        invalid.
    """
    pts = _points(centroids_lps)
    n = len(pts)
    anchors: dict[int, str] = {}
    for index, level in named.items():
        if not 0 <= int(index) < n:
            raise ValueError(f'Argument "named" must hold indices in [0, {n}), got {index}')
        anchors[int(index)] = normalize_level(level)
    order, _ = spine_order(pts)
    heights: list[float | None] = [None] * n if heights_mm is None else list(heights_mm)
    fallback = min((TYPICAL_BODY_HEIGHT_MM[lev[0]] for lev in anchors.values()), default=21.0)
    steps = steps_along_spine(pts, order, heights, fallback_height_mm=fallback)
    runs: list[list[int]] = [[order[0]]]
    for step in steps:
        if step.adjacent:
            runs[-1].append(step.lower)
        else:
            runs.append([step.lower])
    labels: list[str | None] = [None] * n
    contradictions: list[str] = []
    for run in runs:
        contradictions += _count_run(run, anchors, labels)
    contradictions += _across_gaps(runs, anchors, order, steps)
    _drop_duplicates(labels, anchors)
    rank = {i: r for r, i in enumerate(order)}
    gaps, estimates = _gaps(runs, labels, rank, order, steps)
    warnings = [
        f"vertebra {rank[g.index] + 1} from the top lies {g.distance_mm:.0f} mm "
        f"{'below' if g.below else 'above'} {g.reference_level}, about {g.levels_about} levels: vertebrae "
        f"are missing between them, so it is not labelled by counting (by distance about {g.estimate or '?'})"
        for g in gaps
    ]
    return LevelLabels(
        labels=tuple(labels),
        order=tuple(order),
        warnings=(*warnings, *contradictions),
        named=tuple(sorted(anchors, key=lambda i: rank[i])),
        runs=tuple(tuple(run) for run in runs),
        gaps=tuple(gaps),
        estimates=tuple(estimates),
        contradictions=tuple(contradictions),
    )


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


# -- helpers ----------------------------------------------------------------------------------------
def _points(centroids_lps: Sequence[Sequence[float]] | npt.ArrayLike) -> npt.NDArray[np.float64]:
    pts = np.asarray(centroids_lps, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 3 or not np.all(np.isfinite(pts)) or len(pts) == 0:
        raise ValueError(f'Argument "centroids_lps" must be (N, 3) finite LPS points, got shape {pts.shape}')
    return pts


def _count_run(run: list[int], anchors: dict[int, str], labels: list[str | None]) -> list[str]:
    """Label one group of vertebrae with no gap from its named ones (each from the nearest); between two
    named ones that the counting contradicts, nothing is labelled. Returns the contradictions."""
    held = [i for i in run if i in anchors]
    rank = {i: r for r, i in enumerate(run)}
    out: list[str] = []
    blocked: set[int] = set()
    for a, b in itertools.pairwise(held):
        counted = rank[b] - rank[a]
        apart = level_index(anchors[b]) - level_index(anchors[a])
        if counted != apart:
            out.append(
                f"{anchors[a]} and {anchors[b]} are {counted} vertebrae apart with no gap between them, but "
                f"{_named_apart(apart)}: one of the names is wrong (or transitional anatomy); the vertebrae "
                "between them are not labelled"
            )
            blocked.update(run[rank[a] + 1 : rank[b]])
    for i in run:
        if i in anchors:
            labels[i] = anchors[i]
        elif held and i not in blocked:
            a = min(held, key=lambda h: (abs(rank[h] - rank[i]), rank[h]))
            k = level_index(anchors[a]) + rank[i] - rank[a]
            labels[i] = LEVELS[k] if 0 <= k < len(LEVELS) else None
    return out


def _across_gaps(
    runs: list[list[int]], anchors: dict[int, str], order: list[int], steps: list[LevelStep]
) -> list[str]:
    """Named vertebrae on either side of gaps whose names the distances between them do not allow."""
    out: list[str] = []
    rank = {i: r for r, i in enumerate(order)}
    held = [[i for i in run if i in anchors] for run in runs]
    anchored = [h for h in held if h]
    for upper, lower in itertools.pairwise(anchored):
        a, b = upper[-1], lower[0]
        between = steps[rank[a] : rank[b]]
        least = sum(s.allowed_levels.start for s in between)
        most = sum(s.allowed_levels.stop - 1 for s in between)
        about = sum(s.levels_about for s in between)
        apart = level_index(anchors[b]) - level_index(anchors[a])
        if not least <= apart <= most:
            span = f"{least}" if least == most else f"{least}-{most}"
            out.append(
                f"{anchors[a]} and {anchors[b]} lie {sum(s.distance_mm for s in between):.0f} mm apart, "
                f"about "
                f"{about} levels ({span} by their body heights), but {_named_apart(apart)}: check both names"
            )
    return out


def _named_apart(apart: int) -> str:
    if apart == 0:
        return "they are named the same level"
    if apart < 0:
        return "they are named in the wrong order (the upper one with the lower level)"
    return f"their names are {apart} level{'s' if apart != 1 else ''} apart"


def _drop_duplicates(labels: list[str | None], anchors: dict[int, str]) -> None:
    """Counted labels that a named vertebra or another counted one carries are dropped (only where names
    contradict each other, which is reported)."""
    named_levels = set(anchors.values())
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):
        if label is not None and i not in anchors:
            seen[label] = seen.get(label, 0) + 1
    for i, label in enumerate(labels):
        if label is not None and i not in anchors and (label in named_levels or seen[label] > 1):
            labels[i] = None


def _gaps(
    runs: list[list[int]],
    labels: list[str | None],
    rank: dict[int, int],
    order: list[int],
    steps: list[LevelStep],
) -> tuple[list[LevelGap], list[str | None]]:
    """For each group of vertebrae with nothing labelled: the gap to the nearest labelled vertebra and the
    levels the distance suggests (not applied)."""
    estimates: list[str | None] = [None] * len(labels)
    gaps: list[LevelGap] = []
    for run in runs:
        if any(labels[i] is not None for i in run):
            continue
        options = []
        for edge, direction in ((run[0], -1), (run[-1], 1)):
            r, distance, about = rank[edge], 0.0, 0
            while 0 <= r + direction < len(order):
                step = steps[min(r, r + direction)]
                distance += step.distance_mm
                about += step.levels_about
                r += direction
                if labels[order[r]] is not None:
                    options.append((distance, edge, order[r], about, direction))
                    break
        if not options:
            continue
        distance, edge, ref, about, direction = min(options)
        reference = labels[ref] or ""
        k = level_index(reference) - direction * about
        for i in run:
            at = k + rank[i] - rank[edge]
            estimates[i] = LEVELS[at] if 0 <= at < len(LEVELS) else None
        gaps.append(LevelGap(edge, ref, reference, distance, about, direction < 0, estimates[edge]))
    return gaps, estimates
