"""Whether a lesion that reaches its growth limit has an edge there (step 5 of :mod:`imaging.lesion`).

A lesion grown from a seed stops at the growth limit, ``extent_factor`` times the lesion's radius
estimated at the seed's voxel. When it reaches the limit, the limit either cuts a lesion whose edge lies
just beyond it (a few more millimetres add its rim) or a lesion with no edge at all: its tissue runs on
into tissue as dense, and the volume is the limit's, not the lesion's. Bone-lesions case4's first lesion
(QA s19 F6) is of the second kind: a lytic cavity (50-100 HU) in the ilium, open through a cortical gap
(the seed lies inside the bone closed by 5 mm, not by the 3 mm of ``envelope_closing_mm``) to the muscle
beside it and continuous with low-density marrow. Grown to 8, 10, 12, 14, 16, 20, 30 and 40 mm from the
seed it is 1.55, 2.84, 4.47, 7.03, 10.4, 22.1, 65.7 and 109 mL, 61-72 % of each ball, most of it outside
the bone (84 % at 8 mm, 89 % at 40 mm); inside the bone closed by 5 mm, without the muscle, it still grows
(2.5 mL at 10 mm, 9.7 mL at 40 mm), and with a lytic edge of 100 HU instead of 165 HU too. The radius
estimated at the seed moves by 1 mm between neighbouring voxels (the ball around a seed nearer the
lesion's side meets the side sooner), so the limit moved by 2 mm (10, 12 or 14 mm for the 27 seeds around
its box centre) and the volume with it: 2.6-6.5 mL.

:func:`limit_sensitivity` grows the lesion once more with the limit one step farther (``extent_factor``
times the radius estimate's 1 mm step: the change a click one voxel away can make), clips it to the
operator's box like the lesion, and says the lesion has no edge within reach when the volume added is at
least half what a lesion filling its ball as it does now would add over that step (a lesion whose edge
lies inside the limit adds nothing, one cut by the limit adds its rim). The note then gives both volumes,
so that the operator reads how much the answer depends on the click.

Arrays are the region of interest ``[slice, row, col]``; sizes mm; volumes mL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.lesion_box import clip_to_box
from imaging.lesion_call import LesionCall
from imaging.lesion_grow import LesionParameters
from imaging.lesion_model import GROWTH_LIMIT_NOTE, NO_EDGE_NOTE

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

__all__ = ["LimitSensitivity", "limit_sensitivity", "reaches_limit"]

#: the radius estimate's step (mm): imaging.lesion_grow.blob_radius_mm compares balls 1 mm apart
RADIUS_STEP_MM = 1.0
#: no edge: the step farther adds at least this share of what filling the ball as now would add
NO_EDGE_SHARE = 0.5


@dataclass(frozen=True)
class LimitSensitivity:
    """The lesion's volume at its growth limit and with the limit one step farther (mm, mL)."""

    limit_mm: float
    radius_mm: float
    wider_limit_mm: float
    volume_ml: float
    wider_volume_ml: float
    no_edge: bool

    def note(self, max_radius_mm: float) -> str:
        """The growth-limit warning with both volumes; says so when the lesion has no edge within reach."""
        grows = self.wider_volume_ml / self.volume_ml - 1.0
        text = (
            f"{GROWTH_LIMIT_NOTE} ({self.limit_mm:.0f} mm from the seed; estimated lesion radius "
            f"{self.radius_mm:.0f} mm, maximum {max_radius_mm:g} mm): with the limit at "
            f"{self.wider_limit_mm:.0f} mm it is {self.wider_volume_ml:.2f} mL, not {self.volume_ml:.2f} mL "
            f"({grows:+.0%})"
        )
        if self.no_edge:
            return (
                f"{text}: {NO_EDGE_NOTE}, its tissue runs on into tissue as dense: the volume is set by the "
                "limit, which a click one voxel away can move by a step; check its extent"
            )
        return f"{text}: check its extent"


def reaches_limit(
    lesion: BoolArray, seed_dist: FloatArray, limit_mm: float, spacing: tuple[float, ...]
) -> bool:
    """Whether the lesion has voxels within one voxel of the growth limit's sphere."""
    return bool((lesion & (seed_dist > limit_mm - max(spacing))).any())


def limit_sensitivity(
    call: LesionCall,
    *,
    lesion: BoolArray,
    in_box: BoolArray | None,
    seed_ball: BoolArray,
    seed_dist: FloatArray,
    spacing: tuple[float, float, float],
    p: LesionParameters,
) -> LimitSensitivity | None:
    """The lesion's volume with its growth limit one step farther, when it reaches the limit.

    Parameters
    ----------
    call
        The reference-and-call stage's result (:func:`imaging.lesion_call.call_lesion`).
    lesion
        The accepted lesion in the region (after the operator's box), not empty.
    in_box
        The operator's box in the region, or None.
    seed_ball, seed_dist
        The seed's ball, and each voxel's distance from the seed (mm).
    spacing
        The grid's spacing, mm.
    p
        The thresholds.

    Returns
    -------
    LimitSensitivity or None
        None when the lesion does not reach its growth limit, was judged by its texture, or its limit is
        already the largest (``max_radius_mm``).
    """
    growth = call.growth
    if growth is None or call.regrow is None:
        return None
    limit_mm, radius_mm = growth[2], growth[3]
    if not reaches_limit(lesion, seed_dist, limit_mm, spacing):
        return None
    # one step of the radius estimate, at least a voxel (so the wider ball holds more voxels)
    wider_mm = min(p.max_radius_mm, limit_mm + max(p.extent_factor * RADIUS_STEP_MM, *spacing))
    if wider_mm <= limit_mm:
        return None
    wider = call.regrow(wider_mm)
    if in_box is not None and wider.any():
        wider = clip_to_box(wider, in_box, seed_ball)
    voxel_ml = float(np.prod(spacing)) / 1000.0
    volume = np.count_nonzero(lesion) * voxel_ml
    wider_volume = np.count_nonzero(wider) * voxel_ml
    # a lesion filling its ball as it does now would grow by the ratio of the balls' volumes
    filling = volume * ((wider_mm / limit_mm) ** 3 - 1.0)
    no_edge = wider_volume - volume >= NO_EDGE_SHARE * filling
    return LimitSensitivity(limit_mm, radius_mm, wider_mm, volume, float(wider_volume), bool(no_edge))
