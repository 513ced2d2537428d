"""Plane geometry for drawing needles and ablation zones on 2D views (no Qt, no VTK).

Frames and units: LPS millimetres. A view plane is given by a point on it and its unit normal; a
needle is a segment (entry -> tip) of a given outer diameter; a zone is an
:class:`planning.ablation.AblationZone` spheroid (``width_mm`` across its axis, ``length_mm`` along).

Everything here is exact closed-form geometry so that what the operator sees is what planning/
computes: the zone outline is the true conic section of the spheroid by the plane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from planning.ablation import AblationZone

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class NeedleInPlane:
    """Where a needle segment lies relative to a view plane.

    ``near`` is the sub-segment (LPS endpoints) whose axis lies within ``slab_mm`` of the plane (None
    when no part does); ``far`` the other parts (projected dashed); parameters are fractions 0..1 of
    the segment from its start.
    """

    near: tuple[FloatArray, FloatArray] | None
    far: tuple[tuple[FloatArray, FloatArray], ...]


def needle_in_plane(
    start_lps: npt.ArrayLike,
    end_lps: npt.ArrayLike,
    plane_point_lps: npt.ArrayLike,
    plane_normal_lps: npt.ArrayLike,
    slab_mm: float,
) -> NeedleInPlane:
    """Split a needle segment into the part within ``slab_mm`` of a plane and the parts beyond.

    Parameters
    ----------
    start_lps, end_lps
        Segment ends (LPS mm).
    plane_point_lps, plane_normal_lps
        A point of the plane and its normal (need not be unit length).
    slab_mm
        Half thickness of the slab counted as "in the plane" (needle radius + half a slice).

    Returns
    -------
    NeedleInPlane
    """
    a = np.asarray(start_lps, dtype=np.float64)
    b = np.asarray(end_lps, dtype=np.float64)
    n = np.asarray(plane_normal_lps, dtype=np.float64)
    n = n / np.linalg.norm(n)
    p0 = np.asarray(plane_point_lps, dtype=np.float64)
    da = float((a - p0) @ n)
    db = float((b - p0) @ n)
    # signed distance is linear in t: d(t) = da + t (db - da); solve |d(t)| <= slab
    if abs(db - da) < 1e-12:
        lo, hi = (0.0, 1.0) if abs(da) <= slab_mm else (1.0, 0.0)
    else:
        t1 = (-slab_mm - da) / (db - da)
        t2 = (slab_mm - da) / (db - da)
        lo, hi = max(0.0, min(t1, t2)), min(1.0, max(t1, t2))

    def at(t: float) -> FloatArray:
        out: FloatArray = a + t * (b - a)
        return out

    if hi <= lo:
        return NeedleInPlane(None, ((a, b),))
    far: list[tuple[FloatArray, FloatArray]] = []
    if lo > 0.0:
        far.append((a, at(lo)))
    if hi < 1.0:
        far.append((at(hi), b))
    return NeedleInPlane((at(lo), at(hi)), tuple(far))


def zone_section(
    zone: AblationZone,
    plane_point_lps: npt.ArrayLike,
    plane_normal_lps: npt.ArrayLike,
    *,
    samples: int = 72,
) -> FloatArray | None:
    """The outline (LPS points, closed polygon ``(samples, 3)``) of a zone cut by a plane.

    The spheroid ``(x - c)^T Q (x - c) <= 1`` restricted to the plane ``p0 + s u + t v`` is an
    ellipse in ``(s, t)``; its outline is sampled evenly in angle. None when the plane misses the zone.

    Parameters
    ----------
    zone
        The predicted zone.
    plane_point_lps, plane_normal_lps
        The plane.
    samples
        Number of outline points.
    """
    c = np.asarray(zone.center_lps, dtype=np.float64)
    ax = np.asarray(zone.axis_lps, dtype=np.float64)
    ax = ax / np.linalg.norm(ax)
    a_mm = zone.length_mm / 2.0
    b_mm = zone.width_mm / 2.0
    q = np.eye(3) / b_mm**2 + np.outer(ax, ax) * (1.0 / a_mm**2 - 1.0 / b_mm**2)
    n = np.asarray(plane_normal_lps, dtype=np.float64)
    n = n / np.linalg.norm(n)
    u, v = plane_basis(n)
    p0 = np.asarray(plane_point_lps, dtype=np.float64)
    # project the centre into the plane, work around it: x = c' + s u + t v, c' = c - ((c-p0).n) n
    h = float((c - p0) @ n)
    cp = c - h * n
    w = cp - c  # = -h n
    basis = np.stack([u, v], axis=1)  # 3x2
    m2 = basis.T @ q @ basis  # 2x2
    g = basis.T @ q @ w  # linear term
    k = float(w @ q @ w)  # constant
    # (y)^T M y + 2 g^T y + k <= 1  -> centre y0 = -M^-1 g, level r = 1 - k + g^T M^-1 g
    minv = np.linalg.inv(m2)
    y0 = -minv @ g
    level = 1.0 - k + float(g @ minv @ g)
    if level <= 0:
        return None
    evals, evecs = np.linalg.eigh(m2)
    radii = np.sqrt(level / evals)
    ang = np.linspace(0.0, 2.0 * math.pi, samples, endpoint=False)
    ys = (
        y0[None, :]
        + (np.cos(ang)[:, None] * radii[0]) * evecs[:, 0]
        + (np.sin(ang)[:, None] * radii[1]) * evecs[:, 1]
    )
    out: FloatArray = cp[None, :] + ys @ basis.T
    return out


def plane_basis(normal_lps: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Two unit vectors spanning the plane orthogonal to ``normal_lps``."""
    n = np.asarray(normal_lps, dtype=np.float64)
    n = n / np.linalg.norm(n)
    helper = np.array([0.0, 0.0, 1.0]) if abs(n[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(n, helper)
    u /= np.linalg.norm(u)
    v = np.cross(n, u)
    return u, v


def needle_frame(direction_lps: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """An orthonormal frame along a needle: ``(d, up, side)``.

    ``d`` is the needle direction; ``up`` the patient's superior axis (+z) made orthogonal to ``d``
    (the patient's posterior axis when the needle runs craniocaudally); ``side = d x up``. The
    in-plane reslice shows the plane (d, up); the probe's-eye view the plane (side, up).
    """
    d = np.asarray(direction_lps, dtype=np.float64)
    d = d / np.linalg.norm(d)
    ref = np.array([0.0, 0.0, 1.0])
    if abs(float(d @ ref)) > 0.95:
        ref = np.array([0.0, 1.0, 0.0])
    up = ref - float(ref @ d) * d
    up /= np.linalg.norm(up)
    side = np.cross(d, up)
    return d, up, side
