"""Proposed needle paths for a vertebra: one side or both (:func:`propose_side`,
:func:`propose_bilateral`), and the public face of the proposal modules (import from here or from them):

- :mod:`planning.proposal_base`: the :class:`Proposal` value and the approach names (family, side);
- :mod:`planning.body_target`: the tip's place in the vertebral body along the pedicle axis;
- :mod:`planning.transpedicular`: the transpedicular path through a traced pedicle, flagged narrow when
  the needle does not fit with its safety margin;
- :mod:`planning.lateral_routes`: the transcostovertebral or parapedicular route lateral to a narrow
  pedicle, and the route built from the body and canal alone on a side whose pedicle was not traced;
- :mod:`planning.direct_route`: the direct (extraspinal) puncture and its crossing check.

A side whose pedicle the anatomy did not trace does not vanish from :func:`propose_bilateral`: it gets
the route built from the body and canal alone (:func:`propose_untraced_side`, ``pedicle_traced`` False).

Frames and units: LPS mm (+x patient left, +y posterior, +z superior); masks on the volume's
``[slice, row, col]`` grid.
"""

from __future__ import annotations

from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from planning.body_target import (
    MIN_TIP_DEPTH_MM,
    TARGET_BODY_FRACTION,
    body_crossing,
    pedicle_axis_target,
)
from planning.direct_route import (
    propose_direct,
)
from planning.grid_sampling import (
    mask_at_points,
)
from planning.lateral_routes import (
    UNTRACED_MAX_OBLIQUITY_DEG,
    UNTRACED_PEDICLE_ALLOWANCE_MM,
    lateral_route,
    propose_alternative,
    propose_untraced_side,
)
from planning.model import DEFAULT_PEDICLE_SAFETY_MARGIN_MM
from planning.proposal_base import (
    PedicleNotFoundError,
    Proposal,
    approach_family,
    approach_of,
    approach_side,
)
from planning.transpedicular import (
    CHECK_ANATOMY,
    LEVEL_TOLERANCE_MM,
    MAX_PLAUSIBLE_AXIS_TILT_DEG,
    propose_transpedicular,
)

__all__ = [
    "CHECK_ANATOMY",
    "DEFAULT_PEDICLE_SAFETY_MARGIN_MM",
    "LEVEL_TOLERANCE_MM",
    "MAX_PLAUSIBLE_AXIS_TILT_DEG",
    "MIN_TIP_DEPTH_MM",
    "TARGET_BODY_FRACTION",
    "UNTRACED_MAX_OBLIQUITY_DEG",
    "UNTRACED_PEDICLE_ALLOWANCE_MM",
    "PedicleNotFoundError",
    "Proposal",
    "approach_family",
    "approach_of",
    "approach_side",
    "body_crossing",
    "lateral_route",
    "mask_at_points",
    "pedicle_axis_target",
    "propose_alternative",
    "propose_bilateral",
    "propose_direct",
    "propose_side",
    "propose_transpedicular",
    "propose_untraced_side",
]


def propose_side(
    volume: Volume,
    anatomy: VertebraAnatomy,
    side: Side | str,
    *,
    outer_diameter_mm: float,
    safety_margin_mm: float = DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
    antenna_extension_mm: float = 0.0,
) -> Proposal:
    """One side's proposal: transpedicular where the pedicle was traced, otherwise the route built
    from the body and canal (:func:`propose_untraced_side`, ``pedicle_traced`` False)."""
    make = propose_transpedicular if Side(side) in anatomy.pedicles else propose_untraced_side
    return make(
        volume,
        anatomy,
        side,
        outer_diameter_mm=outer_diameter_mm,
        safety_margin_mm=safety_margin_mm,
        antenna_extension_mm=antenna_extension_mm,
    )


def propose_bilateral(
    volume: Volume,
    anatomy: VertebraAnatomy,
    *,
    outer_diameter_mm: float,
    safety_margin_mm: float = DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
    antenna_extension_mm: float = 0.0,
) -> list[Proposal]:
    """Left and right proposals, each as :func:`propose_side` makes it."""
    return [
        propose_side(
            volume,
            anatomy,
            side,
            outer_diameter_mm=outer_diameter_mm,
            safety_margin_mm=safety_margin_mm,
            antenna_extension_mm=antenna_extension_mm,
        )
        for side in (Side.LEFT, Side.RIGHT)
    ]
