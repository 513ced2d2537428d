"""Medial or lateral from the side a needle enters on (QA s32 B): the signed mediolateral angle (positive
towards the patient's left, planning.trajectory_geometry) of a left needle running towards the patient's
right is its convergence, medial; the same sign on a right needle is lateral. Directions LPS."""

from __future__ import annotations

import pytest

from planning.trajectory_geometry import medial_or_lateral, mediolateral_deg


@pytest.mark.parametrize(
    ("direction", "side", "said"),
    [
        # entering on the left (+x), heading anteriorly (-y) and to the patient's right: converging
        ((-0.28, -1.0, 0.0), "left", "medial"),
        ((0.28, -1.0, 0.0), "left", "lateral"),
        ((0.28, -1.0, 0.0), "right", "medial"),
        ((-0.28, -1.0, 0.0), "right", "lateral"),
        # no side (direct): no medial or lateral
        ((-0.28, -1.0, 0.0), None, None),
        ((-0.28, -1.0, 0.0), "direct", None),
        # an angle that reads 0.0 has no direction
        ((0.0004, -1.0, 0.0), "left", None),
    ],
)
def test_medial_or_lateral_from_the_entry_side(
    direction: tuple[float, float, float], side: str | None, said: str | None
) -> None:
    assert medial_or_lateral(mediolateral_deg(direction), side) == said
