"""Cement injection protocol: aliquot sizes, expected CT checks and where to stop.

CLINICAL.md: PMMA in 1 mL syringes, injected in 1 mL aliquots with a CT check after each; reduced to
0.2-0.5 mL (Chen 2022) or <= 0.3 mL (Fan 2023) per aliquot once cement lies within 0.5 cm of the
posterior wall or a neural foramen; stop at any leak into the canal or a foramen, when cement reaches
the posterior quarter of the body, or when the planned volume is reached. Volumes in mL, distances mm.

The expected number of CT checks assumes cement spreads through the fill region (the lesion and the
ablated bone around it, in the body) and that the share of the planned volume injected near the wall
equals the share of that region in the near-wall zones -- a planning estimate, not a prediction of
cement flow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from planning.errors import PlanValidationError

STANDARD_ALIQUOT_ML = 1.0
STANDARD_ALIQUOT_SOURCE = "CLINICAL.md: 1 mL aliquots with a CT check after each"
NEAR_WALL_MM = 5.0


class AliquotPolicy(StrEnum):
    """Which published rule sets the near-wall aliquot."""

    CHEN = "chen"  # 0.2-0.5 mL
    FAN = "fan"  # <= 0.3 mL


#: (smallest, largest) near-wall aliquot in mL, with the source
NEAR_WALL_ALIQUOTS_ML: dict[AliquotPolicy, tuple[float, float, str]] = {
    AliquotPolicy.CHEN: (
        0.2,
        0.5,
        "Chen 2022 (AJNR 43:501): 0.2-0.5 mL within 0.5 cm of the wall or a foramen",
    ),
    AliquotPolicy.FAN: (
        0.1,
        0.3,
        "Fan 2023: <= 0.3 mL within 0.5 cm of the wall or a foramen (lower bound 0.1 mL: *unverified*, "
        "the smallest practical aliquot)",
    ),
}
#: A near-wall aliquot satisfying both rules (0.2-0.5 and <= 0.3 mL): the default.
DEFAULT_NEAR_WALL_ALIQUOT_ML = 0.3


@dataclass(frozen=True)
class InjectionStep:
    """One aliquot: its volume, the running total, and whether it is a near-wall aliquot."""

    volume_ml: float
    cumulative_ml: float
    near_wall: bool

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "volume_ml": round(self.volume_ml, 3),
            "cumulative_ml": round(self.cumulative_ml, 3),
            "near_wall": self.near_wall,
        }


@dataclass(frozen=True)
class InjectionPlan:
    """The injection protocol for one target."""

    planned_volume_ml: float
    standard_aliquot_ml: float
    near_wall_aliquot_ml: float
    near_wall_aliquot_range_ml: tuple[float, float]
    policy: AliquotPolicy
    near_wall_volume_ml: float
    steps: tuple[InjectionStep, ...]
    ct_checks: int
    ct_checks_range: tuple[int, int]
    stop_rules: tuple[str, ...]
    posterior_quarter_depth_mm: float | None
    notes: tuple[str, ...]
    #: False outside the spine: there is no posterior wall or foramen, so no near-wall aliquot rule
    spinal: bool = True

    @property
    def aliquot_rule(self) -> str:
        """The aliquot rule in plain words: the near-wall one only for a vertebra."""
        rule = f"{self.standard_aliquot_ml:g} mL aliquots with a CT check after each"
        if self.spinal:
            lo, hi = self.near_wall_aliquot_range_ml
            rule += f"; {lo:g}-{hi:g} mL within {NEAR_WALL_MM:g} mm of the posterior wall or a foramen"
        return rule

    def to_json(self) -> dict[str, Any]:
        """JSON-able form (the plan's ``injection`` object)."""
        return {
            "planned_volume_ml": round(self.planned_volume_ml, 2),
            "standard_aliquot_ml": self.standard_aliquot_ml,
            "near_wall_aliquot_ml": self.near_wall_aliquot_ml,
            "near_wall_aliquot_range_ml": list(self.near_wall_aliquot_range_ml),
            "policy": self.policy.value,
            "policy_source": NEAR_WALL_ALIQUOTS_ML[self.policy][2]
            if self.spinal
            else "not applied outside the spine (the rule is for a vertebra)",
            "spinal": self.spinal,
            "aliquot_rule": self.aliquot_rule,
            "near_wall_distance_mm": NEAR_WALL_MM,
            "near_wall_volume_ml": round(self.near_wall_volume_ml, 2),
            "steps": [s.to_json() for s in self.steps],
            "expected_ct_checks": self.ct_checks,
            "expected_ct_checks_range": list(self.ct_checks_range),
            "stop_rules": list(self.stop_rules),
            "posterior_quarter_depth_mm": (
                None if self.posterior_quarter_depth_mm is None else round(self.posterior_quarter_depth_mm, 1)
            ),
            "notes": list(self.notes),
        }


def _count(volume_ml: float, aliquot_ml: float) -> int:
    # a remainder under 1 microlitre is rounding, not an aliquot
    return math.ceil(volume_ml / aliquot_ml - 1e-6) if volume_ml > 1e-9 else 0


def _steps(volume_ml: float, aliquot_ml: float, start_ml: float, near: bool) -> list[InjectionStep]:
    out: list[InjectionStep] = []
    remaining, total = volume_ml, start_ml
    for _ in range(_count(volume_ml, aliquot_ml)):
        v = min(aliquot_ml, remaining)
        remaining -= v
        total += v
        out.append(InjectionStep(v, total, near))
    return out


def plan_injection(
    planned_volume_ml: float,
    *,
    near_wall_share: float,
    policy: AliquotPolicy | str = AliquotPolicy.CHEN,
    near_wall_aliquot_ml: float = DEFAULT_NEAR_WALL_ALIQUOT_ML,
    standard_aliquot_ml: float = STANDARD_ALIQUOT_ML,
    posterior_quarter_depth_mm: float | None = None,
    posterior_quarter_share: float = 0.0,
    spinal: bool = True,
) -> InjectionPlan:
    """Plan the aliquots and CT checks for a planned cement volume.

    Parameters
    ----------
    planned_volume_ml
        The cement volume to inject (the estimate), mL.
    near_wall_share
        Share (0-1) of the fill region lying within 5 mm of the posterior wall or a foramen: that share
        of the volume is injected in small aliquots, after the rest.
    policy
        Chen (0.2-0.5 mL) or Fan (<= 0.3 mL) near-wall rule; the aliquot must lie within it.
    near_wall_aliquot_ml
        The near-wall aliquot, default 0.3 mL (within both rules).
    standard_aliquot_ml
        The aliquot away from the wall, 1 mL by default.
    posterior_quarter_depth_mm
        Depth of the body's posterior quarter (body depth / 4), for the stop rule; None outside the spine.
    posterior_quarter_share
        Share (0-1) of the fill region lying in the body's posterior quarter, where injection stops.
    spinal
        False for extraspinal bone (no posterior wall, canal or foramen rules).

    Returns
    -------
    InjectionPlan
        ``ct_checks`` counts one CT check after each aliquot; ``ct_checks_range`` spans the policy's
        largest and smallest near-wall aliquots.

    Raises
    ------
    PlanValidationError
        If a volume, share or aliquot is out of range.
    """
    policy = AliquotPolicy(policy)
    lo_ml, hi_ml, _ = NEAR_WALL_ALIQUOTS_ML[policy]
    if not (math.isfinite(planned_volume_ml) and planned_volume_ml >= 0.0):
        raise PlanValidationError("planned_volume_ml", planned_volume_ml, ">= 0 mL")
    if not (math.isfinite(near_wall_share) and 0.0 <= near_wall_share <= 1.0):
        raise PlanValidationError("near_wall_share", near_wall_share, "0-1")
    if not (math.isfinite(posterior_quarter_share) and 0.0 <= posterior_quarter_share <= 1.0):
        raise PlanValidationError("posterior_quarter_share", posterior_quarter_share, "0-1")
    if not (math.isfinite(standard_aliquot_ml) and 0.0 < standard_aliquot_ml <= 1.0):
        raise PlanValidationError("standard_aliquot_ml", standard_aliquot_ml, "0-1 mL (1 mL syringes)")
    if not lo_ml - 1e-9 <= near_wall_aliquot_ml <= hi_ml + 1e-9:
        raise PlanValidationError(
            "near_wall_aliquot_ml", near_wall_aliquot_ml, f"{lo_ml:g}-{hi_ml:g} mL ({policy})"
        )

    notes: list[str] = []
    share = near_wall_share if spinal else 0.0
    near_ml = planned_volume_ml * share
    far_ml = planned_volume_ml - near_ml
    steps = _steps(far_ml, standard_aliquot_ml, 0.0, False)
    steps += _steps(near_ml, near_wall_aliquot_ml, far_ml, True)
    far_n = _count(far_ml, standard_aliquot_ml)
    checks_range = (far_n + _count(near_ml, hi_ml), far_n + _count(near_ml, lo_ml))
    if spinal and share > 0.0:
        notes.append(
            f"{100.0 * share:.0f}% of the fill region lies within {NEAR_WALL_MM:g} mm of the posterior "
            f"wall or a foramen: about {near_ml:.1f} mL in {near_wall_aliquot_ml:g} mL aliquots"
        )

    if spinal and posterior_quarter_share > 0.0:
        notes.append(
            f"{100.0 * posterior_quarter_share:.0f}% of the fill region lies in the posterior quarter of the "
            "body, where injection stops: that part may stay unfilled"
        )

    stop = ["planned volume reached"]
    if spinal:
        stop.insert(0, "any leak into the spinal canal or a neural foramen (CLINICAL.md, Chen, Fan)")
        quarter = (
            f" (the posterior {posterior_quarter_depth_mm:.1f} mm of the body)"
            if posterior_quarter_depth_mm is not None
            else ""
        )
        stop.insert(1, f"cement reaching the posterior quarter of the vertebral body{quarter}")
    else:
        stop.insert(0, "any leak outside the bone (joint, vessel, soft tissue)")
    return InjectionPlan(
        planned_volume_ml=planned_volume_ml,
        standard_aliquot_ml=standard_aliquot_ml,
        near_wall_aliquot_ml=near_wall_aliquot_ml,
        near_wall_aliquot_range_ml=(lo_ml, hi_ml),
        policy=policy,
        near_wall_volume_ml=near_ml,
        steps=tuple(steps),
        ct_checks=len(steps),
        ct_checks_range=checks_range,
        stop_rules=tuple(stop),
        posterior_quarter_depth_mm=posterior_quarter_depth_mm,
        notes=tuple(notes),
        spinal=spinal,
    )
