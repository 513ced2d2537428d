"""Does the level a vertebra is named agree with its ribs? A check on the count, never an override.

Every thoracic vertebra carries a rib on each side; a lumbar vertebra carries none. So a vertebra named
T1-T12 on which the rib finder (:func:`imaging.level_ribs.has_ribs`) saw both sides and found no rib,
or one named L1-L5 with a rib found on each side, was most likely counted off by one (session 19's QA:
L1 named "T12" was taken without a word). Transitional anatomy (eleven rib pairs, ribs on L1) makes
either possible, so the check warns and keeps the name; it says nothing where the rib finding is
uncertain: a side outside the scan (the finding is then undecided), a rib on one side only (a long
transverse process or a unilateral lumbar rib), or metal near the vertebra (its streaks change what
reads as bone).

:func:`rib_level_warning` is the rule on a finding already made (the window uses it on the findings
its Vertebrae dock keeps); :func:`check_level` runs it on a vertebra found from a click (the command
line), with the level suggestion (:func:`imaging.level_anatomy.suggestion_for_anatomy`) and, for a
vertebra named thoracic without ribs under a vertebra with them, the suggestion L1 (the first vertebra
without ribs below the lowest with them). :func:`rib_suggestion` is that suggestion on findings already
made, both ways (L1 under a rib-bearing vertebra; T12 for one labelled lumbar with ribs above one seen
without), and :func:`ribs_next_level` the finding one level above or below a vertebra, where no vertebra
was found there (the window uses both for levels named or counted).

Positions LPS mm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.level_anatomy import (
    NEXT_LEVEL_HEIGHTS,
    LevelSuggestion,
    against_counting,
    suggestion_for_anatomy,
)
from imaging.level_ribs import RibFinding, RibStatus, anatomy_rib_frame, has_ribs, has_ribs_anatomy
from imaging.levels import normalize_level
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume

__all__ = ["LevelCheck", "check_level", "rib_level_warning", "rib_suggestion", "ribs_next_level"]

#: the levels that carry ribs: every thoracic vertebra, and no lumbar one
THORACIC = frozenset(f"T{i}" for i in range(1, 13))
LUMBAR = frozenset(f"L{i}" for i in range(1, 6))


@dataclass(frozen=True)
class LevelCheck:
    """What anatomy says about a vertebra's level: the suggestion (or None) and warnings on its name."""

    suggestion: LevelSuggestion | None
    warnings: tuple[str, ...]


def rib_level_warning(
    level: str | None, ribs: RibFinding | None, *, named: bool = True, metal_near: bool = False
) -> str | None:
    """A warning when the level a vertebra carries and its ribs disagree, else None.

    Parameters
    ----------
    level
        The vertebra's level (named by the operator, or counted from a named one: ``named`` False).
    ribs
        Its rib finding; None (not judged) says nothing.
    named, metal_near
        Whether the operator named this level; metal near the vertebra (then nothing is said).
    """
    if level is None or ribs is None or metal_near:
        return None
    level = normalize_level(level)
    what = "named" if named else "counted as"
    if level in THORACIC and ribs.has_ribs is False:
        return (
            f"this vertebra is {what} {level} but no ribs were found on it (both sides seen): a thoracic "
            "vertebra carries a rib on each side, so check the count (eleven rib pairs are possible)"
        )
    found = all(s.status == RibStatus.FOUND for s in ribs.sides)
    if level in LUMBAR and found:
        return (
            f"this vertebra is {what} {level} but ribs were found on both sides of it: a lumbar vertebra "
            "carries none, so check the count (ribs on L1 are possible)"
        )
    return None


def check_level(volume: Volume, anatomy: VertebraAnatomy, *, named_level: str | None = None) -> LevelCheck:
    """The level suggestion for a vertebra found from a click, with a warning when its name and its
    ribs disagree (:func:`rib_level_warning`; ``named_level`` defaults to ``anatomy.level``).

    A vertebra named thoracic without ribs is given the suggestion L1 when the vertebra one level
    above it (one body height and a disc up, :data:`imaging.level_anatomy.NEXT_LEVEL_HEIGHTS`) carries
    ribs: it is then the first vertebra below the lowest rib-bearing one.
    """
    level = named_level if named_level is not None else anatomy.level
    ribs = has_ribs_anatomy(volume, anatomy)
    suggestion = suggestion_for_anatomy(volume, anatomy, named_level=level, ribs=ribs)
    warning = rib_level_warning(level, ribs, metal_near=anatomy.metal is not None)
    if warning is None or level is None:
        return LevelCheck(suggestion, ())
    if suggestion is None and normalize_level(level) in THORACIC:
        suggestion = rib_suggestion(level, ribs, above=_ribs_above(volume, anatomy))
    return LevelCheck(suggestion, (warning,))


def rib_suggestion(
    level: str,
    ribs: RibFinding,
    *,
    above: RibFinding | None = None,
    below: RibFinding | None = None,
    named: bool = True,
) -> LevelSuggestion | None:
    """The level the ribs suggest for a vertebra labelled ``level`` (named, or counted: ``named`` False)
    that its ribs contradict, from the findings of the vertebrae next to it; None when they say nothing.

    L1 for a vertebra labelled thoracic with no rib on either side (both seen) when the vertebra ``above``
    carries a rib on each side: it is the first vertebra without ribs below the lowest with them. T12 for
    one labelled lumbar with a rib on each side when the vertebra ``below`` was seen without ribs: it is
    the lowest rib-bearing vertebra. A rib on one side only, or a side not seen, suggests nothing. The
    suggestion carries the warning that it differs from the label (the label is kept until accepted).
    """
    label = normalize_level(level)
    both = all(s.status == RibStatus.FOUND for s in ribs.sides)
    suggestion = None
    if label in THORACIC and ribs.has_ribs is False and above is not None:
        if all(s.status == RibStatus.FOUND for s in above.sides):
            suggestion = LevelSuggestion(
                0,
                "L1",
                "no ribs on this vertebra, ribs on both sides of the one above it (the lowest with ribs)",
            )
    elif label in LUMBAR and both and below is not None and below.has_ribs is False:
        suggestion = LevelSuggestion(
            0, "T12", "ribs on both sides of this vertebra, none on the one below it (the lowest with ribs)"
        )
    return None if suggestion is None else against_counting(suggestion, label, named)


def ribs_next_level(
    volume: Volume,
    centroid_lps: Sequence[float] | npt.ArrayLike,
    *,
    height_mm: float,
    above: bool,
    posterior_lps: Sequence[float] | npt.ArrayLike = (0.0, 1.0, 0.0),
    level_lps: Sequence[float] | npt.ArrayLike | None = None,
) -> RibFinding:
    """The rib finding one level above (``above``) or below a vertebra: its body centroid and the level
    of its ribs (``level_lps``, its pedicles' centre; None: the centroid's) moved one body height and a
    disc along the patient's axis (:data:`imaging.level_anatomy.NEXT_LEVEL_HEIGHTS`), in the vertebra's
    own frame (``posterior_lps``). A side outside the scan is said so in it.

    Raises
    ------
    ValueError
        If ``height_mm`` is not positive.
    """
    if not height_mm > 0:
        raise ValueError(f'Argument "height_mm" must be positive, got {height_mm}')
    step = np.array([0.0, 0.0, 1.0 if above else -1.0]) * (height_mm * NEXT_LEVEL_HEIGHTS)
    body = np.asarray(centroid_lps, dtype=np.float64).reshape(3)
    level = None if level_lps is None else np.asarray(level_lps, dtype=np.float64).reshape(3) + step
    return has_ribs(volume, body + step, posterior_lps=posterior_lps, level_lps=level)


def _ribs_above(volume: Volume, anatomy: VertebraAnatomy) -> RibFinding:
    """The rib finding one level above a found vertebra, in its frame (a side outside the scan is said
    so in it)."""
    body, posterior, level = anatomy_rib_frame(anatomy)
    return ribs_next_level(
        volume,
        body,
        height_mm=max(anatomy.body_height_mm, 1.0),
        above=True,
        posterior_lps=posterior,
        level_lps=level,
    )
