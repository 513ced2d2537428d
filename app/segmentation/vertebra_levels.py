"""Levels of the case's vertebrae: naming one, counting the others, never across a gap.

The operator names a vertebra; the vertebrae with no gap between them and it are labelled by counting
from it (:func:`imaging.levels.label_along_spine`: body centroids LPS mm and each body's own height, kept
in its figures). Vertebrae across a gap (farther from their neighbour than one level allows) are not
counted: they stay unnamed, and the Vertebrae dock says how far and about how many levels away they lie
(:func:`level_notes`), with the level that distance suggests, never applied. A vertebra the operator names
himself keeps its name (its layers' ``extra["level_named"]``, :data:`NAMED_KEY`); each group of vertebrae
with no gap counts from its own named vertebra, and names the distances between them contradict are
reported. Naming a vertebra recounts its own group from it; a group across a gap named with levels the
new count gives its group loses its names (the operator is asked first).

A vertebra found after a level was named is labelled by counting when no gap lies between it and a
labelled one (:func:`relabel_plan`, in the same undo step as its layers); it can join two groups, which
are then counted from their named vertebrae. Levels saved before the named flag existed count as named.

:func:`in_spine_order` orders the vertebrae cranial to caudal for the dock's list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from app.segmentation.vertebra_tool import NAMED_KEY, PARTS, VertebraEntry, vertebrae_of
from imaging.levels import LevelLabels, label_along_spine, normalize_level, spine_order
from planning.case import Case, Section
from planning.commands import Command, RenameLayer, ReplaceItem, UpdateTarget
from planning.model import MaskLayer


@dataclass(frozen=True)
class LevelPlan:
    """What naming a vertebra does: the commands and the levels they give.

    ``first`` renames every vertebra layer to a temporary name (so that names can swap), ``second`` gives
    the final names, levels and named flags and updates tied targets; push both in order inside one macro.
    ``labels``: vertebra id -> level (None: unnamed); ``named``: the vertebrae named by the operator after
    it; ``cleared``: vertebrae named across a gap whose names give way (their group would hold levels of
    the newly named one's group); ``result`` the counting, on ``entries`` (the vertebrae with a body).
    """

    first: list[Command]
    second: list[Command]
    labels: dict[str, str | None]
    named: frozenset[str]
    cleared: tuple[str, ...]
    result: LevelLabels
    entries: tuple[VertebraEntry, ...]

    @property
    def changes_nothing(self) -> bool:
        """True when every vertebra keeps its level and named flag and no target's level changes: the
        naming repeats one already made, and pushing it would only add an undo step that does nothing."""
        same = all(
            (self.labels[e.vertebra_id] or "") == e.level
            and (e.vertebra_id in self.named and bool(self.labels[e.vertebra_id])) == e.named
            for e in self.entries
        )
        return same and not self.cleared and not any(isinstance(c, UpdateTarget) for c in self.second)


def named_levels(entries: Iterable[VertebraEntry]) -> dict[str, str]:
    """Vertebra id -> level of the vertebrae the operator named."""
    return {e.vertebra_id: e.level for e in entries if e.named and e.level}


def in_spine_order(entries: list[VertebraEntry]) -> list[VertebraEntry]:
    """The vertebrae cranial to caudal: by their body centroids along the spine, superior first (LPS +z,
    whichever way the volume's slices run; :func:`imaging.levels.spine_order`, as the counting orders
    them); those without a body centroid after them, in the order found."""
    placed = [e for e in entries if e.centroid_lps is not None]
    if not placed:
        return list(entries)
    order, _ = spine_order(np.array([e.centroid_lps for e in placed], dtype=np.float64).reshape(-1, 3))
    return [placed[i] for i in order] + [e for e in entries if e.centroid_lps is None]


def count_levels(entries: list[VertebraEntry], named: Mapping[str, str]) -> LevelLabels:
    """Label ``entries`` (each with a body centroid) by counting from the ``named`` ones, never across a gap.

    Raises
    ------
    ValueError
        If an entry has no centroid, a named id is not among them or a level is not one.
    """
    if any(e.centroid_lps is None for e in entries):
        raise ValueError('Argument "entries" must all have a body centroid')
    ids = [e.vertebra_id for e in entries]
    for vid in named:
        if vid not in ids:
            raise ValueError(f"vertebra {vid!r} has no body layer in the case")
    return label_along_spine(
        np.array([e.centroid_lps for e in entries], dtype=np.float64).reshape(-1, 3),
        {ids.index(vid): level for vid, level in named.items()},
        heights_mm=[e.height_mm for e in entries],
    )


def level_plan(case: Case, index_to_lps: npt.NDArray[np.float64], vertebra_id: str, level: str) -> LevelPlan:
    """Commands that name ``vertebra_id`` ``level`` and label every vertebra by counting (one macro).

    Its group (the vertebrae with no gap between them and it) is counted from it alone: names given
    there before give way. Groups across a gap keep their own named vertebrae, unless their count would
    give a level of this group (then their names are cleared: ``cleared``).

    Raises
    ------
    ValueError
        If ``level`` is not a level name or the vertebra is unknown or has no body.
    """
    canonical = normalize_level(level)
    entries = [e for e in vertebrae_of(case, index_to_lps) if e.centroid_lps is not None]
    ids = [e.vertebra_id for e in entries]
    if vertebra_id not in ids:
        raise ValueError(f"vertebra {vertebra_id!r} has no body layer in the case")
    probe = count_levels(entries, {vertebra_id: canonical})
    own = next(run for run in probe.runs if ids.index(vertebra_id) in run)
    mine = {probe.labels[i] for i in own} - {None}
    anchors = {v: lev for v, lev in named_levels(entries).items() if ids.index(v) not in own}
    cleared: list[str] = []
    for run in probe.runs:
        theirs = {ids[i]: anchors[ids[i]] for i in run if ids[i] in anchors}
        if run is own or not theirs:
            continue
        alone = count_levels(entries, theirs)
        if mine & {alone.labels[i] for i in run}:
            cleared += theirs
            for vid in theirs:
                del anchors[vid]
    anchors[vertebra_id] = canonical
    result = count_levels(entries, anchors)
    labels = {vid: result.labels[i] for i, vid in enumerate(ids)}
    first, second = _renames(case, entries, labels, set(anchors), only_changed=False)
    return LevelPlan(first, second, labels, frozenset(anchors), tuple(cleared), result, tuple(entries))


def relabel_plan(
    case: Case, index_to_lps: npt.NDArray[np.float64], new: VertebraEntry | None = None
) -> tuple[str, list[Command]]:
    """The level a vertebra about to be added gets by counting, and the commands relabelling the others.

    ``new`` (with its body centroid and height, not yet in the case) is labelled by counting from the
    named vertebrae when no gap lies between it and them; others whose count changes with it (a group it
    joins to a named one) are relabelled. Returns ``(level of new or "", commands)``; push the commands
    after the new vertebra's layers, in the same macro.
    """
    entries = [e for e in vertebrae_of(case, index_to_lps) if e.centroid_lps is not None]
    if new is not None and new.centroid_lps is not None:
        entries.append(new)
    anchors = named_levels(entries)
    if not anchors:
        return "", []
    result = count_levels(entries, anchors)
    labels = {e.vertebra_id: result.labels[i] for i, e in enumerate(entries)}
    old = [e for e in entries if e is not new]
    first, second = _renames(case, old, labels, set(anchors), only_changed=True)
    level = "" if new is None else labels.get(new.vertebra_id) or ""
    return level, [*first, *second]


def level_notes(entries: list[VertebraEntry], result: LevelLabels) -> list[str]:
    """What the Vertebrae dock says about the levels: each vertebra left unnamed across a gap (how far,
    about how many levels, what to do) and each contradiction between named levels, in plain words."""
    out = []
    for gap in result.gaps:
        entry = entries[gap.index]
        if entry.level:
            continue
        where = "below" if gap.below else "above"
        levels = f"about {gap.levels_about} levels" + (f" ({gap.estimate}?)" if gap.estimate else "")
        out.append(
            f"{entry.prefix} lies {gap.distance_mm:.0f} mm {where} {gap.reference_level}, {levels}: find the "
            "vertebrae between to name it by counting, or name it yourself."
        )
    out += [f"Check the levels: {text}." for text in result.contradictions]
    return out


class SetExtra(ReplaceItem):
    """Set a (renamed) layer's ``extra`` to that of ``layer`` (its mask and name as they are then)."""

    def __init__(self, name: str, layer: MaskLayer) -> None:
        super().__init__(Section.LAYERS, name, None, text=f"Level of {name}")
        self._extra = layer.extra

    def _compute_new(self, case: Case, old: Any) -> Any:
        return dataclasses.replace(old, extra=self._extra)


def _renames(
    case: Case,
    entries: list[VertebraEntry],
    labels: Mapping[str, str | None],
    named: set[str],
    *,
    only_changed: bool,
) -> tuple[list[Command], list[Command]]:
    """Rename the vertebrae's layers to their new levels (``only_changed``: those whose level or named
    flag changes), in two passes so that names can swap, and update the targets tied to them."""
    first: list[Command] = []
    second: list[Command] = []
    for e in entries:
        new_level = labels.get(e.vertebra_id) or ""
        is_named = e.vertebra_id in named
        if only_changed and new_level == e.level and is_named == e.named:
            continue
        new_prefix = new_level or e.vertebra_id.upper()
        for part, name in e.layers.items():
            temp = f"renaming {e.vertebra_id} {part}"
            first.append(RenameLayer(name, temp))
            final = f"{new_prefix} {PARTS.get(part, (part, None))[0]}"
            layer = case.layers[name]
            extra = {**layer.extra, "level": new_level, NAMED_KEY: is_named and bool(new_level)}
            second.append(RenameLayer(temp, final))
            second.append(SetExtra(final, dataclasses.replace(layer, name=final, extra=extra)))
        for target in case.targets.values():
            if target.extra.get("vertebra") == e.vertebra_id and target.level != new_level:
                second.append(UpdateTarget(target.name, dataclasses.replace(target, level=new_level)))
    return first, second
