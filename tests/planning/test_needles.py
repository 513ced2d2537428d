"""Needle gauge table and needle value checks (figures from CLINICAL.md "Needles")."""

from __future__ import annotations

import pytest

from planning.errors import PlanValidationError
from planning.needles import (
    ANTENNA_OUTER_DIAMETER_MM,
    Needle,
    access_needle_outer_diameter_mm,
)


@pytest.mark.parametrize(("gauge", "od_mm"), [(10, 3.40), (11, 3.05), (13, 2.41), (15, 1.83)])
def test_gauge_table_matches_clinical(gauge: int, od_mm: float) -> None:
    assert access_needle_outer_diameter_mm(gauge) == pytest.approx(od_mm, abs=1e-9)
    needle = Needle.from_gauge(gauge)
    assert needle.outer_diameter_mm == pytest.approx(od_mm, abs=1e-9)
    assert needle.radius_mm == pytest.approx(od_mm / 2, abs=1e-9)


def test_antenna_diameter_and_defaults() -> None:
    assert ANTENNA_OUTER_DIAMETER_MM[14] == pytest.approx(1.6)
    assert ANTENNA_OUTER_DIAMETER_MM[16] == pytest.approx(1.6)
    n = Needle.from_gauge()
    assert n.gauge == 13
    assert n.antenna_extension_mm == pytest.approx(15.0)  # 1.5-2.0 cm beyond the tip
    assert n.length_mm == pytest.approx(150.0)  # 10-15 cm
    assert n.warnings() == []


def test_unknown_gauge_is_refused_with_the_known_ones() -> None:
    with pytest.raises(PlanValidationError, match="gauge"):
        access_needle_outer_diameter_mm(12)
    with pytest.raises(PlanValidationError, match="10 G, 11 G, 13 G, 15 G"):
        Needle.from_gauge(14)


def test_out_of_range_values_are_refused() -> None:
    with pytest.raises(PlanValidationError, match="antenna_extension_mm"):
        Needle.from_gauge(13, antenna_extension_mm=-1.0)
    with pytest.raises(PlanValidationError, match="length_mm"):
        Needle.from_gauge(13, length_mm=5.0)


def test_unusual_choices_are_warned() -> None:
    n = Needle.from_gauge(10, antenna_extension_mm=25.0)
    text = " ".join(n.warnings())
    assert "outside the usual 15-20 mm" in text
    assert "10 G" in text
