"""Levels the vertebrae's ribs contradict, named or counted, with the level the ribs suggest instead.

Every thoracic vertebra carries a rib on each side and no lumbar one does
(:func:`imaging.level_check.rib_level_warning`). A vertebra whose level the operator named, or whose level
was counted from a named one, is warned when its ribs contradict it: labelled T1-T12 and seen without a
rib on either side, or labelled L1-L5 with a rib found on each side. Nothing is said where the finding is
uncertain (a side outside the scan, a rib on one side only, metal near the vertebra).

With the warning, the ribs of the vertebra next to it may say which level it is
(:func:`imaging.level_check.rib_suggestion`): L1 for a rib-less "thoracic" vertebra under one with ribs on
both sides, T12 for a "lumbar" one with ribs above one seen without. The neighbour is the vertebra found
next to it along the spine when no gap lies between them (its finding is cached already); else the CT is
probed one level away (:func:`imaging.level_check.ribs_next_level`, about 0.1-0.3 s, once per vertebra:
kept in a :data:`NeighbourCache`). Positions LPS mm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from app.segmentation.vertebra_tool import (
    FindingCache,
    VertebraEntry,
    entry_masks,
    finding_key,
    judge_of,
    rib_frame,
    vertebrae_of,
)
from imaging.level_anatomy import LevelSuggestion, RibFinding
from imaging.level_check import LUMBAR, THORACIC, rib_level_warning, rib_suggestion, ribs_next_level
from imaging.level_spacing import TYPICAL_BODY_HEIGHT_MM, steps_along_spine
from imaging.levels import normalize_level, spine_order
from imaging.volume import Volume
from planning.case import Case

#: rib findings one level above (True) or below (False) a vertebra, probed in the CT where no vertebra
#: was found there: (:func:`app.segmentation.vertebra_tool.finding_key`, above) -> finding
NeighbourCache = dict[tuple[tuple[str, tuple[float, ...]], bool], RibFinding]


@dataclass(frozen=True)
class RibLevelNote:
    """A vertebra's level its ribs contradict: the warning, and the level the ribs suggest (or None)."""

    warning: str
    suggestion: LevelSuggestion | None


def rib_level_notes(
    case: Case, volume: Volume, cache: FindingCache, neighbours: NeighbourCache
) -> dict[str, RibLevelNote]:
    """Vertebra id -> a note for each vertebra (named or counted) whose level its ribs contradict.

    ``cache`` holds the vertebrae's own findings (judged here when missing), ``neighbours`` the probes
    one level away (made here when needed). The suggestion's ``index`` is the vertebra's place in the
    case's list (:func:`app.segmentation.vertebra_tool.vertebrae_of`).
    """
    entries = [e for e in vertebrae_of(case, volume.index_to_lps) if e.centroid_lps is not None]
    if not entries:
        return {}
    ribs = {e.vertebra_id: _ribs(case, volume, cache, e) for e in entries}
    adjacent = _adjacent(entries)
    out: dict[str, RibLevelNote] = {}
    for i, e in enumerate(entries):
        if not e.level or _metal_near(case, e):
            continue
        warning = rib_level_warning(e.level, ribs[e.vertebra_id], named=e.named)
        if warning is None:
            continue
        label = normalize_level(e.level)
        above = below = None
        if label in THORACIC:
            found = adjacent.get((e.vertebra_id, True))
            above = _neighbour(case, volume, neighbours, e, above=True, found=found, ribs=ribs)
        elif label in LUMBAR:
            found = adjacent.get((e.vertebra_id, False))
            below = _neighbour(case, volume, neighbours, e, above=False, found=found, ribs=ribs)
        s = rib_suggestion(e.level, ribs[e.vertebra_id], above=above, below=below, named=e.named)
        if s is not None:
            s = LevelSuggestion(i, s.level, s.reason, s.warnings)
        out[e.vertebra_id] = RibLevelNote(warning, s)
    return out


def _ribs(case: Case, volume: Volume, cache: FindingCache, entry: VertebraEntry) -> RibFinding:
    """The vertebra's own rib finding (cached; judged here when missing)."""
    centroid = np.asarray(entry.centroid_lps, dtype=np.float64)
    key = finding_key(entry.vertebra_id, centroid)
    if key not in cache:
        cache[key] = judge_of(case, volume, entry, centroid)
    return cache[key][0]


def _adjacent(entries: list[VertebraEntry]) -> dict[tuple[str, bool], str]:
    """(vertebra id, above) -> the id of the vertebra found next to it that way along the spine, when
    no gap lies between them (their distance and body heights: :mod:`imaging.level_spacing`)."""
    pts = np.array([e.centroid_lps for e in entries], dtype=np.float64).reshape(-1, 3)
    order, _ = spine_order(pts)
    steps = steps_along_spine(
        pts, order, [e.height_mm for e in entries], fallback_height_mm=TYPICAL_BODY_HEIGHT_MM["L"]
    )
    out: dict[tuple[str, bool], str] = {}
    for step in steps:
        if step.adjacent:
            upper, lower = entries[step.upper].vertebra_id, entries[step.lower].vertebra_id
            out[(lower, True)] = upper
            out[(upper, False)] = lower
    return out


def _neighbour(
    case: Case,
    volume: Volume,
    neighbours: NeighbourCache,
    entry: VertebraEntry,
    *,
    above: bool,
    found: str | None,
    ribs: dict[str, RibFinding],
) -> RibFinding:
    """The ribs one level above / below: the adjacent vertebra's finding when it was found, else the CT
    probed there in this vertebra's frame (cached)."""
    if found is not None:
        return ribs[found]
    centroid = np.asarray(entry.centroid_lps, dtype=np.float64)
    key = (finding_key(entry.vertebra_id, centroid), above)
    if key not in neighbours:
        posterior, level = rib_frame(volume, centroid, *entry_masks(case, entry))
        neighbours[key] = ribs_next_level(
            volume,
            centroid,
            height_mm=entry.height_mm or TYPICAL_BODY_HEIGHT_MM[normalize_level(entry.level)[0]],
            above=above,
            posterior_lps=posterior,
            level_lps=level,
        )
    return neighbours[key]


def _metal_near(case: Case, entry: VertebraEntry) -> bool:
    """Whether the vertebra's kept figures say metal lies near it (unknown figures: no)."""
    body = case.layers.get(entry.layers.get("body", ""))
    raw = None if body is None else body.extra.get("figures")
    if not isinstance(raw, str):
        return False
    try:
        return json.loads(raw).get("metal") is not None
    except (ValueError, AttributeError):
        return False
