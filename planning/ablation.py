"""Predicted microwave ablation zones: ellipsoids along the antenna, voxelised only in their box.

Frames and units: LPS mm for positions, mm for sizes, mL for volumes; masks on a volume's
``[slice, row, col]`` grid placed by its ``index_to_lps`` matrix.

The zone model (CLINICAL.md "Microwave ablation zone models"): an ellipsoid of revolution (spheroid)
whose axis is the antenna, ``length_mm`` along it and ``width_mm`` across it, its centre
``center_behind_tip_mm`` behind the antenna tip. The antenna tip lies ``antenna_extension_mm``
beyond the access needle tip. Several positions per trajectory are pull-backs of the antenna
(``pullback_mm``, measured back along the needle from the first position); the zones of all positions
and trajectories combine as a union. The vendor charts are ex vivo liver figures: every zone is a
prediction, labelled with its source.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from planning.errors import PlanValidationError
from planning.grid_sampling import voxel_half_extent_mm
from planning.trajectory import TrajectoryGeometry, as_point

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float, float]

_MAX_ZONE_MM = 120.0
_BISECTION_STEPS = 36  # halves a bracket of <= ~1e2 to about 1e-9 (distance error < 1e-6 mm)


@dataclass(frozen=True)
class AblationZone:
    """One predicted ablation zone.

    Parameters
    ----------
    center_lps
        Centre of the ellipsoid (LPS mm).
    axis_lps
        Unit direction of the antenna (entry towards tip).
    width_mm
        Diameter across the antenna.
    length_mm
        Extent along the antenna.
    source
        Where the figures come from (shown as "predicted, from <source>").
    unverified
        True when the figures are not verified (CLINICAL.md marks them so).
    trajectory_index
        Index of the trajectory the zone belongs to (-1 when none).
    """

    center_lps: Point
    axis_lps: Point
    width_mm: float
    length_mm: float
    source: str = ""
    unverified: bool = False
    trajectory_index: int = -1

    def __post_init__(self) -> None:
        c = as_point(self.center_lps, "center_lps")
        a = as_point(self.axis_lps, "axis_lps")
        n = float(np.linalg.norm(a))
        if n < 1e-9:
            raise ValueError('Argument "axis_lps" must not be zero')
        for name, v in (("width_mm", self.width_mm), ("length_mm", self.length_mm)):
            if not (math.isfinite(v) and 1.0 <= v <= _MAX_ZONE_MM):
                raise PlanValidationError(name, v, f"1-{_MAX_ZONE_MM:g} mm")
        object.__setattr__(self, "center_lps", (float(c[0]), float(c[1]), float(c[2])))
        u = a / n
        object.__setattr__(self, "axis_lps", (float(u[0]), float(u[1]), float(u[2])))

    @property
    def semi_axes_mm(self) -> tuple[float, float]:
        """``(along, across)`` semi-axes in mm."""
        return (self.length_mm / 2.0, self.width_mm / 2.0)

    @property
    def volume_ml(self) -> float:
        """Analytic volume 4/3 pi a b c in mL."""
        a, b = self.semi_axes_mm
        return 4.0 / 3.0 * math.pi * a * b * b / 1000.0

    def bbox_lps(self) -> tuple[FloatArray, FloatArray]:
        """Tight axis-aligned LPS box ``(min, max)`` of the ellipsoid."""
        a, b = self.semi_axes_mm
        u = np.asarray(self.axis_lps)
        half = np.sqrt(a * a * u * u + b * b * (1.0 - u * u))
        c = np.asarray(self.center_lps)
        return c - half, c + half

    def _local(self, points_lps: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        p = np.asarray(points_lps, dtype=np.float64).reshape(-1, 3) - np.asarray(self.center_lps)
        along = p @ np.asarray(self.axis_lps)
        perp = np.sqrt(np.maximum(np.einsum("ij,ij->i", p, p) - along * along, 0.0))
        return along, perp

    def contains(self, points_lps: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """True for LPS points inside (or on) the ellipsoid."""
        along, perp = self._local(points_lps)
        a, b = self.semi_axes_mm
        out: npt.NDArray[np.bool_] = (along / a) ** 2 + (perp / b) ** 2 <= 1.0
        return out

    def signed_depth_mm(self, points_lps: npt.ArrayLike) -> FloatArray:
        """Exact distance to the ellipsoid surface, positive inside, negative outside (mm)."""
        along, perp = self._local(points_lps)
        a, b = self.semi_axes_mm
        dist = _ellipse_distance(np.abs(along), perp, a, b)
        inside = (along / a) ** 2 + (perp / b) ** 2 <= 1.0
        out: FloatArray = np.where(inside, dist, -dist)
        return out

    def normals_lps(self, points_lps: npt.ArrayLike) -> FloatArray:
        """Unit outward normals ``(N, 3)`` of the zone's level sets (scaled ellipsoids) through the points:
        the direction in which the depth falls fastest near the surface (zero at the centre)."""
        p = np.asarray(points_lps, dtype=np.float64).reshape(-1, 3) - np.asarray(self.center_lps)
        u = np.asarray(self.axis_lps)
        along = p @ u
        a, b = self.semi_axes_mm
        g = along[:, None] * u / (a * a) + (p - along[:, None] * u) / (b * b)
        n = np.linalg.norm(g, axis=1)
        out: FloatArray = np.divide(g, n[:, None], out=np.zeros_like(g), where=n[:, None] > 0)
        return out

    def depth_bounds_mm(self, points_lps: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Cheap bounds ``(low, high)`` of :meth:`signed_depth_mm`: ``[a_min - r, a_max - r]``."""
        p = np.asarray(points_lps, dtype=np.float64).reshape(-1, 3) - np.asarray(self.center_lps)
        r = np.sqrt(np.einsum("ij,ij->i", p, p))
        a, b = self.semi_axes_mm
        return min(a, b) - r, max(a, b) - r

    def to_json(self) -> dict[str, object]:
        """The ``zones`` item of the command line's plan JSON (DESIGN.md keys, plus the source)."""
        return {
            "trajectory": self.trajectory_index,
            "center_lps": [round(v, 2) for v in self.center_lps],
            "axis_lps": [round(v, 4) for v in self.axis_lps],
            "width_mm": round(self.width_mm, 2),
            "length_mm": round(self.length_mm, 2),
            "source": self.source,
            "unverified": self.unverified,
        }


def zones_along_trajectory(
    geometry: TrajectoryGeometry,
    *,
    antenna_extension_mm: float,
    width_mm: float,
    length_mm: float,
    center_behind_tip_mm: float,
    pullback_mm: Sequence[float] = (0.0,),
    source: str = "",
    unverified: bool = False,
    trajectory_index: int = -1,
) -> list[AblationZone]:
    """The zones of one trajectory, one per antenna position.

    Parameters
    ----------
    geometry
        The access needle line (entry -> tip).
    antenna_extension_mm
        Antenna tip beyond the access needle tip.
    width_mm, length_mm
        Zone diameter across and extent along the antenna.
    center_behind_tip_mm
        Zone centre behind the antenna tip.
    pullback_mm
        Antenna positions, each this far back along the needle from the first (>= 0).
    source, unverified, trajectory_index
        Copied into each zone.

    Returns
    -------
    list of AblationZone
        One zone per position, in the order given.

    Raises
    ------
    PlanValidationError
        For a negative pull-back, or one that brings the zone centre behind the skin entry.
    """
    tip = geometry.antenna_tip_lps(antenna_extension_mm)
    d = geometry.direction_lps
    zones = []
    for p in pullback_mm:
        if p < 0:
            raise PlanValidationError("pullback_mm", p, ">= 0 mm (a pull-back moves the antenna back)")
        back = center_behind_tip_mm + p
        if back >= geometry.length_mm + antenna_extension_mm:
            raise PlanValidationError(
                "pullback_mm", p, f"less than the inserted length ({geometry.length_mm:.1f} mm)"
            )
        c = tip - back * d
        zones.append(
            AblationZone(
                (float(c[0]), float(c[1]), float(c[2])),
                (float(d[0]), float(d[1]), float(d[2])),
                width_mm,
                length_mm,
                source,
                unverified,
                trajectory_index,
            )
        )
    return zones


def index_box(
    lo_lps: FloatArray, hi_lps: FloatArray, index_to_lps: FloatArray, grid_shape: Sequence[int]
) -> tuple[FloatArray, FloatArray] | None:
    """Index box ``[start, stop)`` covering an LPS box, clipped to the grid; None when outside it."""
    corners = np.array(
        [
            [x, y, z]
            for x in (lo_lps[0], hi_lps[0])
            for y in (lo_lps[1], hi_lps[1])
            for z in (lo_lps[2], hi_lps[2])
        ]
    )
    inv = np.linalg.inv(index_to_lps)
    idx = corners @ inv[:3, :3].T + inv[:3, 3]
    start = np.maximum(np.floor(idx.min(axis=0)).astype(int), 0)
    stop = np.minimum(np.ceil(idx.max(axis=0)).astype(int) + 1, np.asarray(grid_shape))
    if np.any(stop <= start):
        return None
    return start, stop


def _box_points(start: FloatArray, stop: FloatArray, index_to_lps: FloatArray) -> FloatArray:
    k, i, j = np.meshgrid(
        np.arange(start[0], stop[0]),
        np.arange(start[1], stop[1]),
        np.arange(start[2], stop[2]),
        indexing="ij",
    )
    idx = np.stack([k, i, j], axis=-1).reshape(-1, 3).astype(np.float64)
    out: FloatArray = idx @ index_to_lps[:3, :3].T + index_to_lps[:3, 3]
    return out


def voxelise_zones(
    zones: Sequence[AblationZone], index_to_lps: npt.ArrayLike, grid_shape: Sequence[int]
) -> Mask:
    """Union of zones as a mask (voxel centres inside), computed only inside their bounding box.

    Parameters
    ----------
    zones
        The zones to combine (an empty sequence gives an empty mask).
    index_to_lps
        4x4 matrix of the target grid.
    grid_shape
        Shape of the target grid.

    Returns
    -------
    Mask
        Cropped union mask.
    """
    m = np.asarray(index_to_lps, dtype=np.float64)
    grid = tuple(int(g) for g in grid_shape)
    boxes = []
    for z in zones:
        lo, hi = z.bbox_lps()
        box = index_box(lo, hi, m, grid)
        if box is not None:
            boxes.append(box)
    if not boxes:
        return Mask.empty(grid)
    start = np.min([b[0] for b in boxes], axis=0)
    stop = np.max([b[1] for b in boxes], axis=0)
    shape = tuple(int(v) for v in stop - start)
    out = np.zeros(shape, dtype=bool)
    for z, (s0, s1) in zip(zones, boxes, strict=False):
        pts = _box_points(s0, s1, m)
        inside = z.contains(pts).reshape(tuple(int(v) for v in s1 - s0))
        sl = tuple(slice(int(a - b), int(c - b)) for a, c, b in zip(s0, s1, start, strict=True))
        out[sl] |= inside
    return Mask.from_box(out, (int(start[0]), int(start[1]), int(start[2])), grid)


def union_contains(zones: Sequence[AblationZone], points_lps: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True for points inside any zone."""
    pts = np.asarray(points_lps, dtype=np.float64).reshape(-1, 3)
    out = np.zeros(len(pts), dtype=bool)
    for z in zones:
        lo, hi = z.bbox_lps()
        near = np.all((pts >= lo) & (pts <= hi), axis=1)
        if near.any():
            out[near] |= z.contains(pts[near])
    return out


def union_signed_depth_mm(
    zones: Sequence[AblationZone],
    points_lps: npt.ArrayLike,
    *,
    voxel_axes: npt.ArrayLike | None = None,
    voxel_side: float = -1.0,
) -> FloatArray:
    """Signed depth (positive inside) of points in the union of zones: the max over the zones.

    Exact outside the union; inside, a lower bound of the distance to the union's surface (where
    zones overlap the true depth can be larger), which keeps margins on the safe side.

    With ``voxel_axes`` (the 3x3 part of the grid's ``index_to_lps``) each point stands for its voxel:
    ``voxel_side=-1`` gives the depth of the voxel's shallowest point (a lesion's voxel reaching out
    towards the zone's surface), ``+1`` that of its deepest (a structure's voxel reaching in), the voxel's
    reach taken along each zone's normal (:func:`voxel_half_extent_mm`): on a grid of thick slices a
    voxel reaches further across the slices than across the pixels.
    """
    pts = np.asarray(points_lps, dtype=np.float64).reshape(-1, 3)
    if not zones:
        raise ValueError('Argument "zones" must hold at least one zone')
    best = np.full(len(pts), -np.inf)
    for z in zones:
        depth = z.signed_depth_mm(pts)
        if voxel_axes is not None:
            depth = depth + voxel_side * voxel_half_extent_mm(voxel_axes, z.normals_lps(pts))
        best = np.maximum(best, depth)
    return best


def min_union_depth_mm(
    zones: Sequence[AblationZone], points_lps: npt.ArrayLike, *, voxel_axes: npt.ArrayLike | None = None
) -> tuple[float, int]:
    """``min`` over points of :func:`union_signed_depth_mm` and the index where it occurs.

    With ``voxel_axes`` each point stands for its voxel, which reaches out towards the zones' surface
    (``voxel_side=-1`` there). Prunes with cheap per-zone bounds first, so only a few points need the
    exact distance.
    """
    pts, lo, hi = _union_depth_bounds(zones, points_lps)
    if voxel_axes is not None:
        reach = 0.5 * np.linalg.norm(np.asarray(voxel_axes, dtype=np.float64)[:3, :3], axis=0)
        lo, hi = lo - float(reach.max()), hi - float(reach.min())
    upper = float(hi.min())
    cand = np.flatnonzero(lo <= upper + 1e-9)
    exact = union_signed_depth_mm(zones, pts[cand], voxel_axes=voxel_axes, voxel_side=-1.0)
    k = int(np.argmin(exact))
    return float(exact[k]), int(cand[k])


# -- point to ellipse distance ----------------------------------------------------------------------
def _ellipse_distance(y0: FloatArray, y1: FloatArray, a: float, b: float) -> FloatArray:
    """Distance from first-quadrant points ``(y0, y1)`` to the ellipse with semi-axes ``a`` (along
    y0) and ``b`` (along y1). Eberly's robust bisection ("Distance from a point to an ellipse",
    Geometric Tools, 2013), vectorised."""
    if abs(a - b) <= 1e-9 * max(a, b):
        out: FloatArray = np.abs(np.hypot(y0, y1) - a)
        return out
    if a < b:  # the algorithm wants e0 >= e1 along the first coordinate
        return _ellipse_distance(y1, y0, b, a)
    e0, e1 = a, b
    y0 = np.asarray(y0, dtype=np.float64)
    y1 = np.asarray(y1, dtype=np.float64)
    dist = np.empty_like(y0)
    tiny = 1e-12 * e0
    # general case: both coordinates positive
    gen = (y0 > tiny) & (y1 > tiny)
    if gen.any():
        z0 = y0[gen] / e0
        z1 = y1[gen] / e1
        g = z0 * z0 + z1 * z1 - 1.0
        r0 = (e0 / e1) ** 2
        n0 = r0 * z0
        s0 = z1 - 1.0
        s1 = np.where(g < 0, 0.0, np.hypot(n0, z1) - 1.0)
        s = 0.5 * (s0 + s1)
        for _ in range(_BISECTION_STEPS):
            s = 0.5 * (s0 + s1)
            gs = (n0 / (s + r0)) ** 2 + (z1 / (s + 1.0)) ** 2 - 1.0
            pos = gs > 0
            s0 = np.where(pos, s, s0)
            s1 = np.where(pos, s1, s)
        x0 = r0 * y0[gen] / (s + r0)
        x1 = y1[gen] / (s + 1.0)
        d = np.hypot(x0 - y0[gen], x1 - y1[gen])
        dist[gen] = np.where(g == 0, 0.0, d)
    # on the minor axis (y0 == 0)
    on1 = (y0 <= tiny) & (y1 > tiny)
    dist[on1] = np.abs(y1[on1] - e1)
    # on the major axis (y1 == 0)
    on0 = y1 <= tiny
    if on0.any():
        numer0 = e0 * y0[on0]
        denom0 = e0 * e0 - e1 * e1
        xde0 = numer0 / denom0
        inner = numer0 < denom0
        x0 = e0 * np.minimum(xde0, 1.0)
        x1 = e1 * np.sqrt(np.maximum(1.0 - np.minimum(xde0, 1.0) ** 2, 0.0))
        dist[on0] = np.where(inner, np.hypot(x0 - y0[on0], x1), np.abs(y0[on0] - e0))
    return dist


def max_union_depth_mm(
    zones: Sequence[AblationZone], points_lps: npt.ArrayLike, *, voxel_axes: npt.ArrayLike | None = None
) -> tuple[float, int]:
    """``max`` over points of :func:`union_signed_depth_mm` and the index where it occurs.

    The deepest point of a structure in the zones (negative: the structure stays outside, and minus
    the value is its distance to the nearest zone surface). With ``voxel_axes`` each point stands for
    its voxel, which reaches in towards the zones (``voxel_side=+1``). Pruned with cheap bounds first.
    """
    pts, lo, hi = _union_depth_bounds(zones, points_lps)
    if voxel_axes is not None:
        reach = 0.5 * np.linalg.norm(np.asarray(voxel_axes, dtype=np.float64)[:3, :3], axis=0)
        lo, hi = lo + float(reach.min()), hi + float(reach.max())
    lower = float(lo.max())
    cand = np.flatnonzero(hi >= lower - 1e-9)
    exact = union_signed_depth_mm(zones, pts[cand], voxel_axes=voxel_axes, voxel_side=1.0)
    k = int(np.argmax(exact))
    return float(exact[k]), int(cand[k])


def _union_depth_bounds(
    zones: Sequence[AblationZone], points_lps: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The points as ``(N, 3)`` and cheap lower / upper bounds of their union depth (mm)."""
    pts = np.asarray(points_lps, dtype=np.float64).reshape(-1, 3)
    if len(pts) == 0:
        raise ValueError('Argument "points_lps" must hold at least one point')
    lo = np.full(len(pts), -np.inf)
    hi = np.full(len(pts), -np.inf)
    for z in zones:
        zl, zh = z.depth_bounds_mm(pts)
        lo = np.maximum(lo, zl)
        hi = np.maximum(hi, zh)
    return pts, lo, hi
