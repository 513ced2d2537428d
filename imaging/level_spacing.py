"""How many vertebral levels lie between two vertebrae, judged from their own body heights and the disc.

Two adjacent vertebrae have their body centroids half of each body's height plus one intervertebral disc
apart; every vertebra missing between them adds its own body and one more disc. So the spacing one level
allows is known from the two bodies themselves (their heights, measured by the vertebra finder), not from
the spacing of whichever other vertebrae happen to have been found: with two or three vertebrae found, a
gap of several levels is most of what a median of their spacings would see.

Distances are LPS mm between body centroids (straight lines, which follow the spine's curve from one
vertebra to the next); heights mm along the spine.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: the intervertebral disc's height as a fraction of the adjacent body's height: (least, typical, most).
#: The discs make up about a quarter of the presacral spine's length (20-25 %, Moore, Clinically Oriented
#: Anatomy; Gray's Anatomy), a third of a body's height on average: thinner in the thoracic spine (discs
#: 4-6 mm between bodies 17-24 mm tall, Panjabi et al. 1991, Spine 16:888), thickest in the lumbar spine
#: (10-15 mm between bodies 25-30 mm, Panjabi et al. 1992, Spine 17:299). The least allows degenerate,
#: narrowed discs; the most young lumbar discs and body heights read short on 3 mm slices. Measured on the
#: abdomen CT (find_vertebra, T12-L5 from the model labels' body centroids): 0.16-0.44.
DISC_TO_BODY_HEIGHT = (0.1, 0.3, 0.6)

#: a vertebral body's height (mm) by region, used only where no body height was measured: cervical C3-C7
#: about 14 mm (Panjabi et al. 1991, Spine 16:861), thoracic 17-24 mm (Spine 16:888), lumbar 25-30 mm
#: (Spine 17:299); S1 as L5
TYPICAL_BODY_HEIGHT_MM = {"C": 14.0, "T": 21.0, "L": 27.0, "S": 27.0}


@dataclass(frozen=True)
class LevelStep:
    """Two vertebrae next to each other in the list along the spine, and how many levels apart they are.

    ``upper`` / ``lower`` are indices in the caller's list; ``levels_min`` / ``levels_max`` the numbers
    of levels (1 = adjacent) the distance allows with the thinnest and thickest discs, ``levels_about``
    the number with a typical disc (at least 2 across a gap).
    """

    upper: int
    lower: int
    distance_mm: float
    upper_height_mm: float
    lower_height_mm: float
    max_one_level_mm: float
    levels_min: float
    levels_about: int
    levels_max: float

    @property
    def adjacent(self) -> bool:
        """Whether nothing can lie between them: no farther apart than one level allows."""
        return self.distance_mm <= self.max_one_level_mm

    @property
    def allowed_levels(self) -> range:
        """The numbers of levels between them the distance allows (exactly 1 when adjacent)."""
        if self.adjacent:
            return range(1, 2)
        # a micrometre's slack: a distance of exactly k levels with the thinnest or thickest disc allows k
        low, high = max(2, math.ceil(self.levels_min - 1e-6)), math.floor(self.levels_max + 1e-6)
        if high < low:
            return range(self.levels_about, self.levels_about + 1)
        return range(low, high + 1)


def level_step(
    distance_mm: float, upper_height_mm: float, lower_height_mm: float, *, upper: int = 0, lower: int = 1
) -> LevelStep:
    """How many levels apart two vertebrae are, from their centroids' distance and their body heights.

    One level allows half of each body plus the thickest disc (a fraction of the taller body, so that a
    collapsed body next to a normal one is still adjacent); ``k`` levels take ``k`` mean body heights and
    ``k`` discs (the vertebrae between assumed as tall as the two: body heights change by about a
    millimetre per level).

    Raises
    ------
    ValueError
        If the distance is negative or a height is not positive.
    """
    if not distance_mm >= 0.0:
        raise ValueError(f'Argument "distance_mm" must be >= 0, got {distance_mm}')
    for name, value in (("upper_height_mm", upper_height_mm), ("lower_height_mm", lower_height_mm)):
        if not value > 0.0:
            raise ValueError(f'Argument "{name}" must be positive, got {value}')
    least, typical, most = DISC_TO_BODY_HEIGHT
    mean_mm = 0.5 * (upper_height_mm + lower_height_mm)
    max_one = mean_mm + most * max(upper_height_mm, lower_height_mm)
    about = round(distance_mm / (mean_mm * (1.0 + typical)))
    adjacent = distance_mm <= max_one
    return LevelStep(
        upper=upper,
        lower=lower,
        distance_mm=float(distance_mm),
        upper_height_mm=float(upper_height_mm),
        lower_height_mm=float(lower_height_mm),
        max_one_level_mm=float(max_one),
        levels_min=distance_mm / (mean_mm * (1.0 + most)),
        levels_about=1 if adjacent else max(2, about),
        levels_max=distance_mm / (mean_mm * (1.0 + least)),
    )


def steps_along_spine(
    centroids_lps: npt.ArrayLike,
    order: Sequence[int],
    heights_mm: Sequence[float | None],
    *,
    fallback_height_mm: float,
) -> list[LevelStep]:
    """The :class:`LevelStep` between each two vertebrae next to each other in ``order`` (superior first).

    A vertebra without a measured height takes that of the nearest one along the spine that has one, or
    ``fallback_height_mm`` (:data:`TYPICAL_BODY_HEIGHT_MM` for the region) when none has.

    Raises
    ------
    ValueError
        If ``heights_mm`` does not hold one value per centroid.
    """
    pts = np.asarray(centroids_lps, dtype=np.float64)
    if len(heights_mm) != len(pts):
        raise ValueError(
            f'Argument "heights_mm" must have one value per centroid ({len(pts)}), got {len(heights_mm)}'
        )
    known = [r for r, i in enumerate(order) if _positive(heights_mm[i])]
    filled: dict[int, float] = {}
    for r, i in enumerate(order):
        if known:
            nearest = order[min(known, key=lambda k: (abs(k - r), k))]
            filled[i] = float(heights_mm[nearest] or fallback_height_mm)
        else:
            filled[i] = fallback_height_mm
    out = []
    for a, b in itertools.pairwise(order):
        distance = float(np.linalg.norm(pts[a] - pts[b]))
        out.append(level_step(distance, filled[a], filled[b], upper=a, lower=b))
    return out


def _positive(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and value > 0.0
