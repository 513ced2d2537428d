"""The analytic shapes of the vertebra phantom (:func:`tests.phantoms.vertebra.make_vertebra_phantom`): its
sizes, the pedicles' hourglass, the spinal canal's section and the posterior elements, in the phantom's
local frame (origin at the body's centre; +x left, +y posterior, +z superior; mm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Geometry:
    body_a: float
    body_b: float
    body_h: float
    ped_target: tuple[float, float]  # (|x|, y) local
    ped_entry: tuple[float, float]
    ped_min_width: float
    ped_height: float
    ped_k: float  # width growth per mm^2 away from the isthmus
    canal_cy: float
    lamina_in: tuple[float, float]
    lamina_out: tuple[float, float]
    disc_h: float

    @property
    def isthmus_s(self) -> float:
        tx, ty = self.ped_target
        ex, ey = self.ped_entry
        length = math.hypot(ex - tx, ey - ty)
        return (self.canal_cy - ty) / (ey - ty) * length


def rotation(yaw_deg: float, pitch_deg: float) -> FloatArray:
    cy, sy = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    cp, sp = math.cos(math.radians(pitch_deg)), math.sin(math.radians(pitch_deg))
    rz = np.array([[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]])
    out: FloatArray = rz @ rx
    return out


def pedicle_solid(g: Geometry, sign: float, x: FloatArray, y: FloatArray, z: FloatArray) -> BoolArray:
    """Hourglass elliptic pedicle of one side (sign +1 left, -1 right), local coordinates."""
    t = np.array([sign * g.ped_target[0], g.ped_target[1], 0.0])
    e = np.array([sign * g.ped_entry[0], g.ped_entry[1], 0.0])
    length = float(np.linalg.norm(e - t))
    a = (e - t) / length
    u = np.array([a[1], -a[0], 0.0])  # in the axial plane, perpendicular to the axis
    dx, dy = x - t[0], y - t[1]
    s = dx * a[0] + dy * a[1]
    w = dx * u[0] + dy * u[1]
    half_w = 0.5 * (g.ped_min_width + g.ped_k * (s - g.isthmus_s) ** 2)
    inside = (w / half_w) ** 2 + (z / (0.5 * g.ped_height)) ** 2 <= 1.0
    result: BoolArray = inside & (s >= 0.0) & (s <= length)
    return result


def pedicle_inner_x(g: Geometry, y: FloatArray) -> FloatArray:
    """|x| of the narrowest pedicle's medial surface at a given y (local, axial plane)."""
    tx, ty = g.ped_target
    ex, ey = g.ped_entry
    axis_x = tx + (ex - tx) * (y - ty) / (ey - ty)
    cos_t = (ey - ty) / math.hypot(ex - tx, ey - ty)
    out: FloatArray = axis_x - 0.5 * g.ped_min_width / cos_t
    return out


def canal_section(g: Geometry, x: FloatArray, y: FloatArray) -> BoolArray:
    """The canal's cross-section (before bone is removed), local axial coordinates."""
    in_body = (x / g.body_a) ** 2 + (y / g.body_b) ** 2 <= 1.0
    medial = np.abs(x) < pedicle_inner_x(g, y)
    front = y <= g.canal_cy
    rin_x, rin_y = g.lamina_in
    back = ((x / rin_x) ** 2 + ((y - g.canal_cy) / rin_y) ** 2 <= 1.0) & (y > g.canal_cy)
    out: BoolArray = (y > 0.0) & ~in_body & medial & (front | back)
    return out


def posterior_solid(g: Geometry, x: FloatArray, y: FloatArray, z: FloatArray) -> BoolArray:
    """Pedicles, lamina and spinous process of one vertebra (local coordinates)."""
    zh = 0.5 * g.ped_height + 3.0
    rin_x, rin_y = g.lamina_in
    rout_x, rout_y = g.lamina_out
    dy = y - g.canal_cy
    lamina = (
        (dy > 0.0)
        & ((x / rout_x) ** 2 + (dy / rout_y) ** 2 <= 1.0)
        & ((x / rin_x) ** 2 + (dy / rin_y) ** 2 > 1.0)
        & (np.abs(z) <= zh)
    )
    spinous = (np.abs(x) <= 3.0) & (dy > rin_y) & (dy <= rout_y + 28.0) & (z >= -zh - 4.0) & (z <= 0.5 * zh)
    out: BoolArray = lamina | spinous | pedicle_solid(g, 1.0, x, y, z) | pedicle_solid(g, -1.0, x, y, z)
    return out
