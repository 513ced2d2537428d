"""The straight line of an access needle (entry to tip) and its angles.

Frames and units: positions are DICOM patient coordinates, LPS, in mm (+x patient left, +y posterior,
+z superior).

Angle conventions (tested for sign):

- ``craniocaudal_deg``: angle of the needle direction (entry -> tip) from the axial plane,
  ``asin(d_z)``; positive when the needle points cranially (towards +z, superior) as it advances.
- ``mediolateral_deg``: angle from the sagittal plane in the axial projection,
  ``atan2(d_x, |d_y|)``; positive when the needle points towards the patient's left (+x) as it
  advances, whether it travels anteriorly or posteriorly. 90 degrees is a purely lateral needle.
  For a needle entering on one side of the patient (a left or right spinal approach) the same angle reads
  medial (towards the midline: the convergence of a transpedicular needle) or lateral
  (:func:`medial_or_lateral`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float, float]


def as_point(value: Sequence[float] | npt.ArrayLike, name: str) -> FloatArray:
    """Check and convert a 3-vector argument (mm, LPS)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (3,) or not np.all(np.isfinite(arr)):
        raise ValueError(f'Argument "{name}" must be 3 finite numbers (LPS mm), got {value!r}')
    return arr


@dataclass(frozen=True)
class TrajectoryGeometry:
    """The straight line of an access needle from its skin entry to its tip.

    Parameters
    ----------
    entry_lps
        Skin entry point (LPS mm).
    target_lps
        Access needle tip (LPS mm).
    """

    entry_lps: Point
    target_lps: Point

    def __post_init__(self) -> None:
        e = as_point(self.entry_lps, "entry_lps")
        t = as_point(self.target_lps, "target_lps")
        if float(np.linalg.norm(t - e)) < 1e-6:
            raise ValueError('Arguments "entry_lps" and "target_lps" must differ (zero-length needle)')
        object.__setattr__(self, "entry_lps", point_tuple(e))
        object.__setattr__(self, "target_lps", point_tuple(t))

    @property
    def length_mm(self) -> float:
        """Distance from entry to tip (mm)."""
        return float(np.linalg.norm(np.subtract(self.target_lps, self.entry_lps)))

    @property
    def direction_lps(self) -> FloatArray:
        """Unit vector from entry to tip (LPS)."""
        d = np.subtract(self.target_lps, self.entry_lps).astype(np.float64)
        out: FloatArray = d / np.linalg.norm(d)
        return out

    @property
    def craniocaudal_deg(self) -> float:
        """Angle from the axial plane; positive = pointing cranially (+z) as the needle advances."""
        return craniocaudal_deg(self.direction_lps)

    @property
    def mediolateral_deg(self) -> float:
        """Angle from the sagittal plane in the axial projection; positive = towards patient left."""
        return mediolateral_deg(self.direction_lps)

    def antenna_tip_lps(self, antenna_extension_mm: float) -> FloatArray:
        """Antenna tip: the needle tip plus ``antenna_extension_mm`` further along the needle."""
        if antenna_extension_mm < 0:
            raise ValueError(f'Argument "antenna_extension_mm" must be >= 0, got {antenna_extension_mm}')
        out: FloatArray = np.asarray(self.target_lps) + antenna_extension_mm * self.direction_lps
        return out

    def points_lps(self, step_mm: float, *, extension_mm: float = 0.0) -> FloatArray:
        """Points along the axis from entry to tip (+ ``extension_mm`` beyond), ``step_mm`` apart."""
        total = self.length_mm + extension_mm
        n = max(2, math.ceil(total / step_mm) + 1)
        s = np.linspace(0.0, total, n)
        out: FloatArray = np.asarray(self.entry_lps) + s[:, None] * self.direction_lps
        return out


def craniocaudal_deg(direction_lps: npt.ArrayLike) -> float:
    """Angle (degrees) of a direction from the axial plane, positive towards superior (+z)."""
    d = np.asarray(direction_lps, dtype=np.float64)
    d = d / np.linalg.norm(d)
    return math.degrees(math.asin(float(np.clip(d[2], -1.0, 1.0))))


def mediolateral_deg(direction_lps: npt.ArrayLike) -> float:
    """Angle (degrees) from the sagittal plane in the axial projection, positive towards left (+x).

    A purely craniocaudal direction has no axial projection; its angle is 0.
    """
    d = np.asarray(direction_lps, dtype=np.float64)
    if math.hypot(float(d[0]), float(d[1])) < 1e-12:
        return 0.0
    return math.degrees(math.atan2(float(d[0]), abs(float(d[1]))))


def medial_or_lateral(mediolateral_deg: float, side: str | None) -> str | None:
    """``"medial"`` or ``"lateral"``: which way a needle entering on the patient's ``side`` (``"left"`` or
    ``"right"``) runs as it advances, by its signed :func:`mediolateral_deg` (positive = towards the
    patient's left); None without a side, or for an angle that reads 0.0 to one decimal (no direction).

    A left needle running towards the patient's right (negative angle) converges on the midline: medial.
    """
    if side not in ("left", "right") or f"{abs(mediolateral_deg):.1f}" == "0.0":
        return None
    towards_left = mediolateral_deg > 0
    return "medial" if towards_left == (side == "right") else "lateral"


def point_tuple(p: FloatArray) -> Point:
    """A 3-vector (LPS mm) as a tuple of Python floats, as the frozen values store points."""
    return (float(p[0]), float(p[1]), float(p[2]))
