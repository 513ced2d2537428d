"""Level suggestions from anatomy: ribs on a vertebra (the lowest rib-bearing one is T12), the sacrum (S1).

The operator names one vertebra and the others are labelled by counting (:mod:`imaging.levels`); this
module adds what anatomy can say about the level, as suggestions with their reasons, never as an
override: transitional anatomy (thoracic ribs on L1, a thirteenth rib pair, eleven rib pairs, six
lumbar vertebrae, a sacralised L5 or a lumbarised S1) is common, so where the counting from the named
level disagrees the suggestion carries a warning and the named level stays.

- :func:`has_ribs` (:mod:`imaging.level_ribs`) looks for a rib on each side of a vertebra: bone lateral
  to the vertebra, starting at it (touching it or across a thin costovertebral / costotransverse joint
  gap) at the level of the pedicles, and running far laterally as a thin bar. A lumbar transverse
  process ends 3-5 cm from the midline; a rib carries on well beyond 6-8 cm.
- :func:`is_sacrum` (:mod:`imaging.level_sacrum`) works from a click alone (the vertebra finder
  refuses the sacrum): at the click's level the central bone is wider than a lumbar body and meets a
  large bone on both sides (the iliac bones) across a thin sacroiliac joint, or is fused with it, and
  no intervertebral disc lies below it (:mod:`imaging.level_disc`: S1 is fused with the sacral
  segments below; L5 has the L5-S1 disc below it).
- :func:`suggest_levels` (here) turns per-vertebra findings into suggestions (T12, S1) with reasons and
  warnings; :func:`refusal_hint` gives the S1 suggestion where the vertebra finder refused the point.

The rib and sacrum names are re-exported here, so ``from imaging.level_anatomy import has_ribs`` keeps
working; the local grid both sample the CT on is :mod:`imaging.level_grid`.

Positions are LPS mm (+x patient left, +y posterior, +z superior); CT values HU. Work is done in a
region of interest resampled on a grid aligned with the vertebra (lateral, posterior, superior).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from imaging.level_grid import BONE_THRESHOLD_HU, SMOOTH_SIGMA_MM, STEP_MM, point_lps, unit_lps
from imaging.level_ribs import (
    JOINT_GAP_MM,
    LEVEL_SLAB_MM,
    RIB_BAND_MM,
    RIB_FAR_MM,
    RIB_MAX_SECTION_MM2,
    RIB_START_MM,
    ROI_AP_MM,
    ROI_LATERAL_MM,
    ROI_SI_MM,
    RibFinding,
    RibStatus,
    SideRibs,
    anatomy_rib_frame,
    has_ribs,
    has_ribs_anatomy,
)
from imaging.level_sacrum import (
    ILIUM_LATERAL_MM,
    SACRUM_AP_BAND_MM,
    SACRUM_MIN_WIDTH_MM,
    SACRUM_SLAB_MM,
    SI_GAP_MM,
    SacrumFinding,
    is_sacrum,
)
from imaging.level_spacing import TYPICAL_BODY_HEIGHT_MM, steps_along_spine
from imaging.levels import label_along_spine, normalize_level, spine_order
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume

__all__ = [
    "BONE_THRESHOLD_HU",
    "ILIUM_LATERAL_MM",
    "JOINT_GAP_MM",
    "LEVEL_SLAB_MM",
    "NEXT_LEVEL_HEIGHTS",
    "RIB_BAND_MM",
    "RIB_FAR_MM",
    "RIB_MAX_SECTION_MM2",
    "RIB_START_MM",
    "ROI_AP_MM",
    "ROI_LATERAL_MM",
    "ROI_SI_MM",
    "SACRUM_AP_BAND_MM",
    "SACRUM_MIN_WIDTH_MM",
    "SACRUM_SLAB_MM",
    "SI_GAP_MM",
    "SMOOTH_SIGMA_MM",
    "STEP_MM",
    "LevelSuggestion",
    "RibFinding",
    "RibStatus",
    "SacrumFinding",
    "SideRibs",
    "against_counting",
    "has_ribs",
    "has_ribs_anatomy",
    "is_sacrum",
    "refusal_hint",
    "suggest_levels",
    "suggestion_for_anatomy",
    "suggestion_for_vertebra",
]


#: the next vertebra's centre lies one body height plus a disc away: the disc is a third of the body's
#: height in the lumbar spine, a quarter to a fifth in the lower thoracic spine; a third is used
NEXT_LEVEL_HEIGHTS = 4.0 / 3.0


@dataclass(frozen=True)
class LevelSuggestion:
    """A level suggested by anatomy for vertebra ``index`` (in the order given), with its reason."""

    index: int
    level: str
    reason: str
    warnings: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "reason": self.reason, "warnings": list(self.warnings)}


# -- public API -------------------------------------------------------------------------------------
def suggest_levels(
    centroids_lps: Sequence[Sequence[float]] | npt.ArrayLike,
    rib_flags: Sequence[RibFinding | bool | None],
    sacrum_flags: Sequence[SacrumFinding | bool | None],
    *,
    named_index: int | None = None,
    named_level: str | None = None,
    heights_mm: Sequence[float | None] | None = None,
    levels: Sequence[str | None] | None = None,
    named_indices: Collection[int] = (),
) -> list[LevelSuggestion]:
    """Levels suggested by anatomy: the lowest rib-bearing vertebra as T12, the sacrum as S1.

    T12 is suggested only when the next vertebra found below it was seen without ribs (so that it is
    known to be the lowest); when that one lies more than a level below (by their body heights,
    :mod:`imaging.level_spacing`) the vertebrae between were not seen and the suggestion says so. S1 for
    the uppermost vertebra judged to be the sacrum. When the operator has named a level, every
    suggestion the labels disagree with carries a warning (and the named level is kept).

    Parameters
    ----------
    centroids_lps
        ``(N, 3)`` vertebral centroids (LPS mm), any order.
    rib_flags, sacrum_flags
        Per vertebra: a finding, True / False, or None when unknown.
    named_index, named_level
        The vertebra the operator named and its level, if any (the others counted from it).
    heights_mm
        Each vertebra's body height (mm), None where not measured.
    levels, named_indices
        Instead of ``named_index`` / ``named_level``: each vertebra's level as labelled (named or
        counted, None where unlabelled) and which of them the operator named.

    Returns
    -------
    list of LevelSuggestion
        In spine order (superior first); empty when anatomy says nothing.

    Raises
    ------
    ValueError
        If the lengths differ or the named level / index is invalid.
    """
    pts = np.asarray(centroids_lps, dtype=np.float64)
    n = len(pts)
    if len(rib_flags) != n or len(sacrum_flags) != n:
        raise ValueError(
            f'Arguments "rib_flags" ({len(rib_flags)}) and "sacrum_flags" ({len(sacrum_flags)}) must have '
            f"one value per centroid ({n})"
        )
    if n == 0:
        return []
    if levels is not None and len(levels) != n:
        raise ValueError(f'Argument "levels" must have one value per centroid ({n}), got {len(levels)}')
    order, _ = spine_order(pts)
    ribs = [_flag(f) for f in rib_flags]
    sacrum = [_flag(f) for f in sacrum_flags]
    steps = steps_along_spine(
        pts,
        order,
        [None] * n if heights_mm is None else heights_mm,
        # without measured heights: lumbar bodies, the T12 and S1 questions being asked from the
        # thoracolumbar junction down
        fallback_height_mm=TYPICAL_BODY_HEIGHT_MM["L"],
    )
    out: list[LevelSuggestion] = []
    for r in range(n - 1):
        here, below = order[r], order[r + 1]
        lower_ribbed = [i for i in order[r + 1 :] if ribs[i]]
        if ribs[here] is True and ribs[below] is False and not lower_ribbed:
            warnings: list[str] = []
            if not steps[r].adjacent:
                warnings.append(
                    f"the next vertebra found lies {steps[r].distance_mm:.0f} mm below it, about "
                    f"{steps[r].levels_about} levels: the vertebrae between were not seen and one of them "
                    "may carry ribs"
                )
            out.append(LevelSuggestion(here, "T12", _rib_reason(rib_flags[here]), tuple(warnings)))
            break
    for r, i in enumerate(order):
        if sacrum[i]:
            warnings = []
            if r + 1 < n and not sacrum[order[r + 1]] and sacrum[order[r + 1]] is not None:
                warnings.append("a vertebra below the sacrum was not judged sacral: check the order")
            finding = sacrum_flags[i]
            reason = (
                finding.reason
                if isinstance(finding, SacrumFinding)
                else "sacrum: alae meet the iliac bones (sacroiliac joints)"
            )
            out.append(LevelSuggestion(i, "S1", reason, tuple(warnings)))
            break
    t12 = next((s for s in out if s.level == "T12"), None)
    s1 = next((s for s in out if s.level == "S1"), None)
    if t12 is not None and s1 is not None:
        between = steps[order.index(t12.index) : order.index(s1.index)]
        allowed = range(
            sum(s.allowed_levels.start for s in between), sum(s.allowed_levels.stop - 1 for s in between) + 1
        )
        apart = sum(s.levels_about for s in between)
        if 6 not in allowed:
            note = (
                f"T12 and S1 suggestions are about {apart} levels apart, not 6 (five lumbar): transitional "
                "anatomy (ribs on L1, six lumbar vertebrae, sacralised L5) or a vertebra not in the list"
            )
            out = [_with_warning(s, note) for s in out]
    if levels is None and named_index is not None and named_level is not None:
        levels = label_along_spine(pts, {named_index: named_level}, heights_mm=heights_mm).labels
        named_indices = (named_index,)
    if levels is not None:
        # a vertebra left unlabelled (across a gap from every named one) has no counting to disagree with
        out = [
            s
            if levels[s.index] is None and s.index not in named_indices
            else against_counting(s, levels[s.index], s.index in named_indices)
            for s in out
        ]
    out.sort(key=lambda s: order.index(s.index))
    return out


def suggestion_for_vertebra(
    volume: Volume,
    centroid_lps: Sequence[float] | npt.ArrayLike,
    *,
    height_mm: float,
    posterior_lps: Sequence[float] | npt.ArrayLike = (0.0, 1.0, 0.0),
    axis_lps: Sequence[float] | npt.ArrayLike = (0.0, 0.0, 1.0),
    level_lps: Sequence[float] | npt.ArrayLike | None = None,
    named_level: str | None = None,
    ribs: RibFinding | None = None,
) -> LevelSuggestion | None:
    """A suggestion for one vertebra alone (the command line's ``level_suggestion``).

    T12 when it carries ribs and the vertebra below (one body height plus a disc lower:
    :data:`NEXT_LEVEL_HEIGHTS`) was seen without; S1 when the point is judged to be the sacrum. None
    otherwise. ``named_level`` is the operator's name for this vertebra: a suggestion that differs warns.
    ``ribs``: this vertebra's rib finding when already made (:func:`has_ribs` with the same frame).
    """
    centre = point_lps(centroid_lps, "centroid_lps")
    axis = unit_lps(axis_lps, "axis_lps")
    if not height_mm > 0:
        raise ValueError(f'Argument "height_mm" must be positive, got {height_mm}')
    here = ribs
    if here is None:
        here = has_ribs(volume, centre, posterior_lps=posterior_lps, axis_lps=axis, level_lps=level_lps)
    if here.has_ribs:
        down = axis * (height_mm * NEXT_LEVEL_HEIGHTS)
        level_below = None if level_lps is None else point_lps(level_lps, "level_lps") - down
        below = has_ribs(
            volume, centre - down, posterior_lps=posterior_lps, axis_lps=axis, level_lps=level_below
        )
        found = suggest_levels(
            np.array([centre, centre - down]),
            [here, below],
            [False, False],
            heights_mm=[height_mm, height_mm],  # the probe below is one level down by construction
            named_index=None if named_level is None else 0,
            named_level=named_level,
        )
        return found[0] if found else None
    if here.has_ribs is False:
        sac = is_sacrum(volume, centre)
        if sac.is_sacrum:
            s1 = LevelSuggestion(0, "S1", sac.reason)
            if named_level is not None:
                s1 = against_counting(s1, normalize_level(named_level), True)
            return s1
    return None


def suggestion_for_anatomy(
    volume: Volume,
    anatomy: VertebraAnatomy,
    *,
    named_level: str | None = None,
    ribs: RibFinding | None = None,
) -> LevelSuggestion | None:
    """:func:`suggestion_for_vertebra` with the frame and height of a found vertebra (``ribs``: its
    finding by :func:`has_ribs_anatomy` when already made)."""
    body, posterior, level = anatomy_rib_frame(anatomy)
    return suggestion_for_vertebra(
        volume,
        body,
        height_mm=max(anatomy.body_height_mm, 1.0),
        posterior_lps=posterior,
        level_lps=level,
        named_level=named_level if named_level is not None else anatomy.level,
        ribs=ribs,
    )


def refusal_hint(
    volume: Volume, click_lps: Sequence[float] | npt.ArrayLike, *, finding: SacrumFinding | None = None
) -> str | None:
    """What anatomy can still say where no vertebra was found at ``click_lps``, or None.

    The vertebra finder refuses the sacrum (it has no vertebral body with an enclosed canal behind it in
    the sense of the lumbar spine); the S1 suggestion must still reach the operator, so the refusal is
    completed with it (and with the level to give the vertebra above). ``finding``: the sacrum check
    already made (at the click or at the body found there); judged at the click when not given.
    """
    if finding is None:
        finding = is_sacrum(volume, click_lps)
    if not finding.is_sacrum:
        return None
    return f"anatomy suggests S1 here ({finding.reason}): the vertebra above it would be L5"


# -- helpers ----------------------------------------------------------------------------------------
def _flag(value: RibFinding | SacrumFinding | bool | None) -> bool | None:
    if isinstance(value, RibFinding):
        return value.has_ribs
    if isinstance(value, SacrumFinding):
        return value.is_sacrum
    return None if value is None else bool(value)


def _rib_reason(value: RibFinding | bool | None) -> str:
    if isinstance(value, RibFinding):
        sides = value.found_sides
        which = "left and right" if len(sides) == 2 else f"{sides[0].value} only"
        return f"lowest vertebra with ribs ({which})"
    return "lowest vertebra with ribs"


def _with_warning(s: LevelSuggestion, note: str) -> LevelSuggestion:
    return LevelSuggestion(s.index, s.level, s.reason, (*s.warnings, note))


def against_counting(s: LevelSuggestion, counted: str | None, is_named: bool) -> LevelSuggestion:
    """``s`` with a warning when the level counted (or named, ``is_named``) differs from it."""
    if counted == s.level:
        return s
    what = "was named" if is_named else "counts as"
    note = (
        f"this vertebra {what} {counted or 'beyond C1/S1'} from the named level, anatomy suggests {s.level}: "
        "transitional anatomy is common (ribs on L1, 11 or 13 rib pairs, six lumbar vertebrae, sacralised "
        "L5); the named level is kept until you accept the suggestion"
    )
    return _with_warning(s, note)
