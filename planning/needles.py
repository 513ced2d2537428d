"""Bone access needles and microwave antennas: gauge, outer diameter, lengths.

Every figure here traces to CLINICAL.md ("Needles and pedicles", "The procedure"):

- bone access needle outer diameters: 10 G 3.40 mm, 11 G 3.05 mm, 13 G 2.41 mm, 15 G 1.83 mm;
  usual gauges 11 G or 13 G, usual lengths 10-15 cm;
- microwave antenna 14 or 16 G, outer diameter 1.6 mm as CLINICAL.md states it, 20 cm long, inserted
  coaxially; its tip lies 1.5-2.0 cm beyond the access needle's tip.

The antenna runs inside the access needle, so the access needle's outer diameter is the one that
matters for pedicle width and canal clearance. Lengths in mm; no positions in this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from planning.errors import PlanValidationError

#: Outer diameter (mm) of a bone access needle by gauge (CLINICAL.md "Needles").
ACCESS_NEEDLE_OUTER_DIAMETER_MM: MappingProxyType[int, float] = MappingProxyType(
    {10: 3.40, 11: 3.05, 13: 2.41, 15: 1.83}
)

#: Outer diameter (mm) of the microwave antenna, 14 or 16 G (CLINICAL.md gives 1.6 mm for both).
ANTENNA_OUTER_DIAMETER_MM: MappingProxyType[int, float] = MappingProxyType({14: 1.6, 16: 1.6})

#: Usual access needle lengths (CLINICAL.md: 10-15 cm); the default is the longer one.
ACCESS_NEEDLE_LENGTHS_MM: tuple[float, ...] = (100.0, 150.0)
DEFAULT_ACCESS_NEEDLE_LENGTH_MM = 150.0

#: Antenna length (CLINICAL.md: 20 cm).
DEFAULT_ANTENNA_LENGTH_MM = 200.0

#: Antenna tip beyond the access needle tip (CLINICAL.md: 1.5-2.0 cm); default the lower figure.
ANTENNA_EXTENSION_RANGE_MM: tuple[float, float] = (15.0, 20.0)
DEFAULT_ANTENNA_EXTENSION_MM = 15.0

#: Default access needle gauge (CLINICAL.md: 11 G or 13 G; 13 G is the thinner of the two).
DEFAULT_GAUGE = 13

#: Limits accepted for operator-entered values (a plausibility guard, not a clinical figure).
_MAX_EXTENSION_MM = 60.0
_MAX_NEEDLE_LENGTH_MM = 400.0


def access_needle_outer_diameter_mm(gauge: int) -> float:
    """Outer diameter of a bone access needle of ``gauge``.

    Parameters
    ----------
    gauge
        Needle gauge (10, 11, 13 or 15).

    Returns
    -------
    float
        Outer diameter in mm (CLINICAL.md table).

    Raises
    ------
    PlanValidationError
        For a gauge not in the table.
    """
    try:
        return ACCESS_NEEDLE_OUTER_DIAMETER_MM[int(gauge)]
    except (KeyError, TypeError, ValueError):
        known = ", ".join(f"{g} G" for g in sorted(ACCESS_NEEDLE_OUTER_DIAMETER_MM))
        raise PlanValidationError("gauge", gauge, f"the known access needle gauges ({known})") from None


@dataclass(frozen=True)
class Needle:
    """An access needle with its coaxial microwave antenna.

    Parameters
    ----------
    gauge
        Access needle gauge.
    outer_diameter_mm
        Access needle outer diameter; from the gauge table unless given.
    length_mm
        Usable length of the access needle.
    antenna_extension_mm
        How far the antenna tip lies beyond the access needle tip, along the needle.
    antenna_outer_diameter_mm
        Antenna outer diameter (it runs inside the access needle).
    """

    gauge: int = DEFAULT_GAUGE
    outer_diameter_mm: float = ACCESS_NEEDLE_OUTER_DIAMETER_MM[DEFAULT_GAUGE]
    length_mm: float = DEFAULT_ACCESS_NEEDLE_LENGTH_MM
    antenna_extension_mm: float = DEFAULT_ANTENNA_EXTENSION_MM
    antenna_outer_diameter_mm: float = ANTENNA_OUTER_DIAMETER_MM[16]

    def __post_init__(self) -> None:
        if not 0.5 <= self.outer_diameter_mm <= 10.0:
            raise PlanValidationError("outer_diameter_mm", self.outer_diameter_mm, "0.5-10 mm")
        if not 10.0 <= self.length_mm <= _MAX_NEEDLE_LENGTH_MM:
            raise PlanValidationError("length_mm", self.length_mm, f"10-{_MAX_NEEDLE_LENGTH_MM:g} mm")
        if not 0.0 <= self.antenna_extension_mm <= _MAX_EXTENSION_MM:
            raise PlanValidationError(
                "antenna_extension_mm", self.antenna_extension_mm, f"0-{_MAX_EXTENSION_MM:g} mm"
            )

    @property
    def radius_mm(self) -> float:
        """Outer radius of the access needle (mm)."""
        return self.outer_diameter_mm / 2.0

    @classmethod
    def from_gauge(
        cls,
        gauge: int = DEFAULT_GAUGE,
        *,
        length_mm: float = DEFAULT_ACCESS_NEEDLE_LENGTH_MM,
        antenna_extension_mm: float = DEFAULT_ANTENNA_EXTENSION_MM,
    ) -> Needle:
        """A needle whose outer diameter comes from the gauge table.

        Raises
        ------
        PlanValidationError
            For an unknown gauge or an out-of-range length or extension.
        """
        return cls(
            gauge=int(gauge),
            outer_diameter_mm=access_needle_outer_diameter_mm(gauge),
            length_mm=float(length_mm),
            antenna_extension_mm=float(antenna_extension_mm),
        )

    def warnings(self) -> list[str]:
        """Plain sentences where the needle departs from the usual figures of CLINICAL.md."""
        out: list[str] = []
        lo, hi = ANTENNA_EXTENSION_RANGE_MM
        if not lo <= self.antenna_extension_mm <= hi:
            out.append(
                f"antenna extension {self.antenna_extension_mm:g} mm is outside the usual "
                f"{lo:g}-{hi:g} mm beyond the access needle tip"
            )
        if self.gauge not in (11, 13):
            out.append(f"{self.gauge} G access needle: 11 G or 13 G is usual for bone access")
        return out
