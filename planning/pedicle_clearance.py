"""Room between an access needle and the pedicle cortex around the pedicle's isthmus.

Frames and units: LPS mm; the pedicle mask on the volume's ``[slice, row, col]`` grid, placed by its
4x4 ``index_to_lps`` matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from planning.grid_sampling import sample_trilinear
from planning.trajectory_geometry import FloatArray, Point, TrajectoryGeometry, as_point, point_tuple


@dataclass(frozen=True)
class PedicleClearance:
    """Room between the needle surface and the pedicle cortex around the pedicle's isthmus.

    ``clearance_mm`` is the smallest distance from the needle surface to the pedicle's outer
    surface, measured in cross-sections perpendicular to the needle within ``window_mm`` of the
    isthmus (negative = the needle breaches the cortex). Cross-sections, not the nearest surface in
    any direction, so the places where the needle deliberately enters the pedicle (posteriorly) and
    leaves it (into the body) do not count. None when the needle misses the pedicle there.
    ``method`` says how it was measured: ``"mask"`` (rays in the pedicle mask) or ``"axis"`` (from
    the pedicle's narrowest width and the needle's offset from the isthmus, when no mask exists).
    """

    clearance_mm: float | None
    closest_lps: Point | None
    method: str
    #: unit vector across the needle, from its axis towards that cortex point (None: not known)
    toward_wall: Point | None = None


def pedicle_clearance(
    pedicle: Mask,
    index_to_lps: npt.ArrayLike,
    geometry: TrajectoryGeometry,
    radius_mm: float,
    isthmus_lps: Sequence[float],
    *,
    window_mm: float = 3.0,
    max_ray_mm: float = 10.0,
    directions: int = 24,
) -> PedicleClearance:
    """Smallest needle-surface-to-cortex distance around the isthmus (see :class:`PedicleClearance`).

    Parameters
    ----------
    pedicle
        The pedicle's bone mask (cortex included).
    index_to_lps
        4x4 matrix of the mask's grid.
    geometry
        The needle line.
    radius_mm
        Needle outer radius.
    isthmus_lps
        The pedicle's narrowest point (LPS mm).
    window_mm
        Half-length of the needle stretch examined around the point nearest the isthmus.
    max_ray_mm, directions
        Ray length and number of rays per cross-section (clearances beyond the ray length are
        reported as the ray length minus the radius).
    """
    m = np.asarray(index_to_lps, dtype=np.float64)
    inv = np.linalg.inv(m)
    # rays sampled every half voxel; the surface is interpolated between samples
    step = 0.5 * float(np.linalg.norm(m[:3, :3], axis=0).min())
    e = np.asarray(geometry.entry_lps)
    d = geometry.direction_lps
    t_isth = float(np.clip((as_point(isthmus_lps, "isthmus_lps") - e) @ d, 0.0, geometry.length_mm))
    t = np.arange(max(0.0, t_isth - window_mm), min(geometry.length_mm, t_isth + window_mm) + 1e-9, 2 * step)
    centres = e + t[:, None] * d
    values = pedicle.array.astype(np.float32)
    off = np.asarray(pedicle.offset_index, dtype=np.float64)

    def inside(points: FloatArray) -> FloatArray:
        idx = points.reshape(-1, 3) @ inv[:3, :3].T + inv[:3, 3] - off
        return sample_trilinear(values, idx, outside=0.0)

    ok = inside(centres) >= 0.5
    if not ok.any():
        return PedicleClearance(None, None, "mask")
    centres = centres[ok]
    a = np.cross(d, [1.0, 0.0, 0.0] if abs(d[0]) < 0.9 else [0.0, 1.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(d, a)
    ang = np.linspace(0.0, 2 * np.pi, directions, endpoint=False)
    rays = np.cos(ang)[:, None] * a + np.sin(ang)[:, None] * b  # (R, 3)
    r = np.arange(0.0, max_ray_mm + step, step)  # (S,)
    pts = centres[:, None, None, :] + r[None, None, :, None] * rays[None, :, None, :]  # (C, R, S, 3)
    v = inside(pts).reshape(len(centres), directions, len(r))
    out = v < 0.5
    first = np.where(out.any(axis=2), out.argmax(axis=2), len(r) - 1)
    # linear interpolation of the 0.5 crossing between the last inside and first outside sample
    k1 = np.maximum(first, 1)
    k0 = k1 - 1
    v0 = np.take_along_axis(v, k0[..., None], axis=2)[..., 0]
    v1 = np.take_along_axis(v, k1[..., None], axis=2)[..., 0]
    frac = np.clip((v0 - 0.5) / np.maximum(v0 - v1, 1e-9), 0.0, 1.0)
    dist = r[k0] + frac * step  # (C, R)
    # ties (a needle axis on the cortex is 0 mm from it in every direction): the direction the mask
    # falls off fastest, read one sample out
    flat = dist.ravel()
    tied = flat <= flat.min() + 1e-6
    beyond = v[:, :, min(1, len(r) - 1)].ravel()
    ci, ri = np.unravel_index(int(np.argmin(np.where(tied, beyond, np.inf))), dist.shape)
    p = centres[ci] + dist[ci, ri] * rays[ri]
    return PedicleClearance(float(dist[ci, ri]) - radius_mm, point_tuple(p), "mask", point_tuple(rays[ri]))


def pedicle_clearance_from_axis(
    min_width_mm: float, isthmus_lps: Sequence[float], geometry: TrajectoryGeometry, radius_mm: float
) -> PedicleClearance:
    """Clearance estimated without a mask: half the narrowest width, less the needle's offset from the
    isthmus and its radius (mm, may be negative)."""
    p = as_point(isthmus_lps, "isthmus_lps")
    e = np.asarray(geometry.entry_lps)
    d = geometry.direction_lps
    v = p - e
    towards_needle = (v @ d) * d - v  # from the isthmus to the needle axis, across the needle
    offset = float(np.linalg.norm(towards_needle))
    # the cortex the needle comes closest to: half the width from the isthmus, on the needle's side
    if offset < 1e-9:  # on the isthmus: every wall equally far
        return PedicleClearance(min_width_mm / 2.0 - radius_mm, None, "axis")
    toward = towards_needle / offset
    closest = point_tuple(p + toward * (min_width_mm / 2.0))
    return PedicleClearance(min_width_mm / 2.0 - offset - radius_mm, closest, "axis", point_tuple(toward))


class BreachSide(StrEnum):
    """Which wall of the pedicle a needle comes closest to (breaches, when its clearance is negative)."""

    MEDIAL = "medial"  # towards the spinal canal
    LATERAL = "lateral"
    SUPERIOR = "superior"
    INFERIOR = "inferior"  # towards the exiting nerve root in the foramen below the pedicle


def breach_side(
    geometry: TrajectoryGeometry, toward_wall: npt.ArrayLike, towards_canal: npt.ArrayLike
) -> BreachSide | None:
    """The pedicle wall in the direction ``toward_wall`` from the needle (as seen across it): medial
    (the direction ``towards_canal``, e.g. down the canal's distance gradient), lateral, superior or
    inferior; None when either direction runs along the needle.

    The cross-section is split into four 90 degree sectors around the medial direction (made
    perpendicular to the needle) and the superior one (LPS +z made perpendicular to both).
    """
    d = geometry.direction_lps

    def across(v: npt.ArrayLike) -> FloatArray:
        a = np.asarray(v, dtype=np.float64).reshape(3)
        out: FloatArray = a - (a @ d) * d
        return out

    wall, medial = across(toward_wall), across(towards_canal)
    if np.linalg.norm(medial) < 1e-9 or np.linalg.norm(wall) < 1e-9:
        return None
    medial /= np.linalg.norm(medial)
    superior = np.array([0.0, 0.0, 1.0]) - d[2] * d
    superior -= (superior @ medial) * medial
    if np.linalg.norm(superior) < 1e-9:  # a needle along z: no up or down in its cross-section
        superior = np.cross(d, medial)
    superior /= np.linalg.norm(superior)
    m, s = float(wall @ medial), float(wall @ superior)
    if abs(m) >= abs(s):
        return BreachSide.MEDIAL if m > 0 else BreachSide.LATERAL
    return BreachSide.SUPERIOR if s > 0 else BreachSide.INFERIOR
