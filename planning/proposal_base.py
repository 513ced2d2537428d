"""What a proposed needle path is (:class:`Proposal`), how approaches are named by family and side,
and the small pieces every route builder shares.

Frames and units: LPS mm (+x patient left, +y posterior, +z superior).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from imaging.vertebra_model import Side
from planning.errors import PlanningError
from planning.model import Approach
from planning.trajectory_geometry import Point, TrajectoryGeometry

FloatArray = npt.NDArray[np.float64]

#: How far (mm) a route builder follows a line looking for the body or the skin.
ROUTE_SEARCH_MM = 150.0
AIR_WARNING = "this path crosses {:.0f} mm of gas or air inside the body (lung or bowel): check it"


class PedicleNotFoundError(PlanningError):
    """The vertebra's anatomy has no pedicle axis on the side asked for."""

    def __init__(self, side: Side) -> None:
        self.side = side
        super().__init__(
            f"no {side.value} pedicle was found on this vertebra: place the needle by its entry and "
            "target points, or choose another approach"
        )


def approach_side(approach: Approach | str) -> Side | None:
    """Patient side of a spinal approach, None for direct."""
    value = Approach(approach).value
    if value.endswith("-left"):
        return Side.LEFT
    if value.endswith("-right"):
        return Side.RIGHT
    return None


def approach_family(approach: Approach | str) -> str:
    """``transpedicular``, ``transcostovertebral``, ``parapedicular`` or ``direct``."""
    return Approach(approach).value.split("-")[0]


def approach_of(family: str, side: Side | str) -> Approach:
    """The approach of a family (``transpedicular`` ...) on a side."""
    return Approach(f"{family}-{Side(side).value}")


@dataclass(frozen=True)
class Proposal:
    """A proposed needle path and what the planner noticed while building it.

    ``pedicle_min_width_mm`` is the narrowest pedicle width (None for direct); ``narrow`` is True when
    it is under the needle's outer diameter plus the safety margin, and ``alternative`` then holds
    the other route. ``skin_found`` is False when the image ended before the skin. ``pedicle_traced``
    is False for a route built from the body and canal alone on a side whose pedicle the anatomy
    did not trace (:func:`planning.lateral_routes.propose_untraced_side`); its warnings say so and ask
    for the operator's check.
    """

    approach: Approach
    geometry: TrajectoryGeometry
    pedicle_min_width_mm: float | None = None
    narrow: bool = False
    alternative: Proposal | None = None
    skin_found: bool = True
    warnings: tuple[str, ...] = field(default=())
    pedicle_traced: bool = True

    @property
    def route(self) -> Proposal:
        """The path to use: the alternative of a narrow pedicle, else this one."""
        return self.alternative if self.narrow and self.alternative is not None else self

    @property
    def entry_lps(self) -> Point:
        """Skin entry (LPS mm)."""
        return self.geometry.entry_lps

    @property
    def target_lps(self) -> Point:
        """Access needle tip (LPS mm)."""
        return self.geometry.target_lps


def route_geometry(entry: FloatArray, target: FloatArray) -> TrajectoryGeometry:
    """A needle line from ``entry`` to ``target`` (LPS mm arrays)."""
    return TrajectoryGeometry(
        (float(entry[0]), float(entry[1]), float(entry[2])),
        (float(target[0]), float(target[1]), float(target[2])),
    )


def is_thoracic_level(level: str | None) -> bool | None:
    """True for a thoracic level name (``T..``), False for another, None when unknown."""
    if not level:
        return None
    return level.strip().upper().startswith("T")
