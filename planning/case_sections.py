"""The parts of a :class:`planning.case.Case` other than the aggregate itself (import them from
``planning.case``, which re-exports them).

- :class:`Section`: the case's sections, each with its own event, and :data:`KEYED_SECTIONS`: the value
  type of each keyed section and the attribute that is its key;
- :class:`Change`: one real change, as the case's signals emit it, and :class:`CaseEvents`, those
  signals (psygnal);
- :class:`CaseState`: an immutable snapshot of every value of a case (what undo, saving and equality
  compare);
- :class:`CaseItemError`: a change the case refuses.

All positions in the values are LPS mm (see ``planning.model``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from psygnal import Signal, SignalGroup

from planning.errors import PlanningError
from planning.model import (
    CaseInfo,
    CementChoice,
    ForbiddenStructure,
    ImageRef,
    MaskLayer,
    PlanSettings,
    ReviewResult,
    ScoreItems,
    Target,
    Trajectory,
)

__all__ = ["KEYED_SECTIONS", "CaseEvents", "CaseItemError", "CaseState", "Change", "Section"]


class Section(StrEnum):
    """The parts of a case, each with its own event."""

    INFO = "info"
    IMAGES = "images"
    LAYERS = "layers"
    TARGETS = "targets"
    TRAJECTORIES = "trajectories"
    SETTINGS = "settings"
    FORBIDDEN = "forbidden"
    CEMENT = "cement"
    SCORES = "scores"
    REVIEW = "review"


# Keyed sections: the value type and the attribute that is its key.
KEYED_SECTIONS: Mapping[Section, tuple[type[Any], str]] = {
    Section.IMAGES: (ImageRef, "series_uid"),
    Section.LAYERS: (MaskLayer, "name"),
    Section.TARGETS: (Target, "name"),
    Section.TRAJECTORIES: (Trajectory, "name"),
    Section.FORBIDDEN: (ForbiddenStructure, "name"),
    Section.CEMENT: (CementChoice, "target"),
    Section.SCORES: (ScoreItems, "target"),
}


class CaseItemError(PlanningError, ValueError):
    """A change the case refuses: unknown key, duplicate key, wrong value type.

    Parameters
    ----------
    section
        The case section concerned.
    key
        The item key concerned.
    reason
        A plain phrase.
    """

    def __init__(self, section: Section | str, key: str, reason: str) -> None:
        self.section = Section(section)
        self.key = key
        self.reason = reason
        super().__init__(f'{self.section.value} "{key}": {reason}')


@dataclass(frozen=True, eq=False)
class Change:
    """One real change of a case. ``old`` is None for an addition, ``new`` None for a removal."""

    section: Section
    key: str | None
    old: Any
    new: Any

    def __repr__(self) -> str:
        kind = "add" if self.old is None else "remove" if self.new is None else "update"
        return f"Change({self.section.value}, {self.key!r}, {kind})"


@dataclass(frozen=True)
class CaseState:
    """An immutable snapshot of every value of a case (items in display order)."""

    info: CaseInfo = field(default_factory=CaseInfo)
    settings: PlanSettings = field(default_factory=PlanSettings)
    review: ReviewResult | None = None
    images: tuple[ImageRef, ...] = ()
    layers: tuple[MaskLayer, ...] = ()
    targets: tuple[Target, ...] = ()
    trajectories: tuple[Trajectory, ...] = ()
    forbidden: tuple[ForbiddenStructure, ...] = ()
    cement: tuple[CementChoice, ...] = ()
    scores: tuple[ScoreItems, ...] = ()

    __hash__ = None  # type: ignore[assignment]  # layers hold masks


class CaseEvents(SignalGroup):
    """Signals of a Case; each emits a ``Change``."""

    info = Signal(Change)
    images = Signal(Change)
    layers = Signal(Change)
    targets = Signal(Change)
    trajectories = Signal(Change)
    settings = Signal(Change)
    forbidden = Signal(Change)
    cement = Signal(Change)
    scores = Signal(Change)
    review = Signal(Change)
    changed = Signal(Change)
