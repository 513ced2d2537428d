"""Needle trajectory geometry: length, angles, skin depth, and distances to anatomy.

Frames and units: positions are DICOM patient coordinates, LPS, in mm (+x patient left, +y posterior,
+z superior). Volumes and masks are indexed ``[slice, row, col]`` and placed by the 4x4
``index_to_lps`` matrix of :class:`imaging.volume.Volume`.

Angle conventions (tested for sign):

- ``craniocaudal_deg``: angle of the needle direction (entry -> tip) from the axial plane,
  ``asin(d_z)``; positive when the needle points cranially (towards +z, superior) as it advances.
- ``mediolateral_deg``: angle from the sagittal plane in the axial projection,
  ``atan2(d_x, |d_y|)``; positive when the needle points towards the patient's left (+x) as it
  advances, whether it travels anteriorly or posteriorly. 90 degrees is a purely lateral needle.

Distances to a mask use a signed distance map (negative inside the mask) computed once in a region of
interest around the mask (:class:`DistanceField`) and sampled along the needle axis; the needle is a
capsule of its outer radius, so its surface distance is the axis distance minus the radius.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from scipy.spatial import cKDTree

from imaging.mask import Mask
from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float, float]

#: Body outline threshold (HU): above it is patient, below it air (task brief: -300 HU).
BODY_OUTLINE_HU = -300.0
#: Air must last this long along the line before the skin is declared (skips noise, small gas).
_AIR_RUN_MM = 2.0
#: Sampling step along a needle, as a fraction of the smallest voxel spacing.
_STEP_FRACTION = 0.25


def as_point(value: Sequence[float] | npt.ArrayLike, name: str) -> FloatArray:
    """Check and convert a 3-vector argument (mm, LPS)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (3,) or not np.all(np.isfinite(arr)):
        raise ValueError(f'Argument "{name}" must be 3 finite numbers (LPS mm), got {value!r}')
    return arr


def _tuple(p: FloatArray) -> Point:
    return (float(p[0]), float(p[1]), float(p[2]))


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
        object.__setattr__(self, "entry_lps", _tuple(e))
        object.__setattr__(self, "target_lps", _tuple(t))

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


# -- sampling the CT --------------------------------------------------------------------------------
def sample_trilinear(array: npt.NDArray[np.generic], index_points: FloatArray, outside: float) -> FloatArray:
    """Trilinear values of ``array`` at fractional ``[slice, row, col]`` points; ``outside`` beyond it.

    Gathers only the 8 neighbours of each point (no copy of the array).
    """
    pts = np.asarray(index_points, dtype=np.float64).reshape(-1, 3)
    shape = np.asarray(array.shape)
    out = np.full(len(pts), outside, dtype=np.float64)
    inside = np.all((pts >= 0) & (pts <= shape - 1), axis=1)
    if not inside.any():
        return out
    p = pts[inside]
    base = np.minimum(np.floor(p).astype(np.int64), shape - 2).clip(0)
    frac = p - base
    acc = np.zeros(len(p), dtype=np.float64)
    for dk in (0, 1):
        wk = frac[:, 0] if dk else 1.0 - frac[:, 0]
        k = np.minimum(base[:, 0] + dk, shape[0] - 1)
        for di in (0, 1):
            wi = frac[:, 1] if di else 1.0 - frac[:, 1]
            i = np.minimum(base[:, 1] + di, shape[1] - 1)
            for dj in (0, 1):
                wj = frac[:, 2] if dj else 1.0 - frac[:, 2]
                j = np.minimum(base[:, 2] + dj, shape[2] - 1)
                acc += wk * wi * wj * array[k, i, j].astype(np.float64)
    out[inside] = acc
    return out


@dataclass(frozen=True)
class SkinCrossing:
    """Where a line leaves the body outline (HU > ``BODY_OUTLINE_HU``) going outward.

    ``found`` is False when the line reached the edge of the image first; ``skin_lps`` is then the
    last point inside the image and ``distance_mm`` a lower bound.
    """

    skin_lps: Point
    distance_mm: float
    found: bool


def find_skin_along_line(
    volume: Volume,
    start_lps: Sequence[float] | npt.ArrayLike,
    outward_lps: Sequence[float] | npt.ArrayLike,
    *,
    max_distance_mm: float = 300.0,
    threshold_hu: float = BODY_OUTLINE_HU,
) -> SkinCrossing:
    """Follow a line outward from a point inside the body until it reaches air.

    Parameters
    ----------
    volume
        The CT (HU).
    start_lps
        Starting point inside the body (LPS mm).
    outward_lps
        Direction to follow (need not be unit length).
    max_distance_mm
        Search length.
    threshold_hu
        Body outline threshold; the skin is the last point above it before at least 2 mm of air.

    Returns
    -------
    SkinCrossing
        The skin point and its distance from ``start_lps``.
    """
    start = as_point(start_lps, "start_lps")
    d = as_point(outward_lps, "outward_lps")
    norm = float(np.linalg.norm(d))
    if norm < 1e-9:
        raise ValueError('Argument "outward_lps" must not be zero')
    d = d / norm
    step = _STEP_FRACTION * 2.0 * min(volume.spacing_mm)
    s = np.arange(0.0, max_distance_mm + step, step)
    pts = start + s[:, None] * d
    hu = sample_trilinear(volume.array, volume.lps_to_index_points(pts), outside=np.nan)
    in_image = np.isfinite(hu)
    air = np.where(in_image, hu < threshold_hu, False)
    run = max(1, math.ceil(_AIR_RUN_MM / step))
    if len(air) >= run:
        # a window of `run` consecutive air samples
        windows = np.convolve(air.astype(np.int64), np.ones(run, dtype=np.int64), mode="valid") == run
        hits = np.flatnonzero(windows)
        first_out = np.flatnonzero(~in_image)
        if len(hits) and (not len(first_out) or hits[0] < first_out[0]):
            k = max(0, int(hits[0]) - 1)
            return SkinCrossing(_tuple(pts[k]), float(s[k]), True)
    last = int(np.flatnonzero(in_image)[-1]) if in_image.any() else 0
    if len(np.flatnonzero(~in_image)):
        last = max(0, int(np.flatnonzero(~in_image)[0]) - 1)
    return SkinCrossing(_tuple(pts[last]), float(s[last]), False)


def skin_to_target_depth_mm(volume: Volume, geometry: TrajectoryGeometry) -> SkinCrossing:
    """Depth of the needle tip below the skin along the trajectory.

    Walks from the tip back towards the entry (and beyond it) to the first stretch of air; the
    returned ``distance_mm`` is the tip's depth, to compare with the needle's usable length.
    """
    return find_skin_along_line(
        volume, geometry.target_lps, -geometry.direction_lps, max_distance_mm=geometry.length_mm + 150.0
    )


# -- distance maps ----------------------------------------------------------------------------------
def _check_orthogonal(index_to_lps: FloatArray) -> tuple[float, float, float]:
    m = np.asarray(index_to_lps, dtype=np.float64)[:3, :3]
    spacing = np.linalg.norm(m, axis=0)
    unit = m / spacing
    off = unit.T @ unit - np.eye(3)
    if float(np.abs(off).max()) > 1e-3:
        raise ValueError("distance maps need an orthogonal voxel grid (resample a tilted series first)")
    return (float(spacing[0]), float(spacing[1]), float(spacing[2]))


class DistanceField:
    """Signed distance (mm) to a mask's surface, negative inside, computed in a region of interest.

    The map covers the mask's bounding box grown by ``pad_mm`` (clipped to the grid); points beyond
    it fall back to the exact distance to the nearest mask boundary voxel (a k-d tree). The surface
    is taken half a voxel (half the smallest spacing) outside the centres of the mask's edge voxels.

    Parameters
    ----------
    mask
        The structure (e.g. the spinal canal).
    index_to_lps
        4x4 matrix of the grid the mask lies on (orthogonal axes).
    pad_mm
        Margin around the mask's box kept in the map.
    """

    def __init__(self, mask: Mask, index_to_lps: npt.ArrayLike, *, pad_mm: float = 25.0) -> None:
        self.index_to_lps = np.asarray(index_to_lps, dtype=np.float64)
        self.spacing_mm = _check_orthogonal(self.index_to_lps)
        self.lps_to_index = np.linalg.inv(self.index_to_lps)
        self.empty = not mask.any()
        self._half_voxel_mm = 0.5 * min(self.spacing_mm)
        self._tree: cKDTree | None = None
        grid = np.asarray(mask.grid_shape)
        pad = np.ceil(pad_mm / np.asarray(self.spacing_mm)).astype(int)
        if self.empty:
            self.offset_index = np.zeros(3, dtype=int)
            self.map_mm = np.zeros((1, 1, 1))
            self._edge_lps = np.zeros((0, 3))
            return
        lo = np.maximum(np.asarray(mask.offset_index) - pad, 0)
        hi = np.minimum(np.asarray(mask.offset_index) + np.asarray(mask.array.shape) + pad, grid)
        roi = np.zeros(tuple(hi - lo), dtype=bool)
        s = np.asarray(mask.offset_index) - lo
        n = mask.array.shape
        roi[s[0] : s[0] + n[0], s[1] : s[1] + n[1], s[2] : s[2] + n[2]] = mask.array
        outside = ndimage.distance_transform_edt(~roi, sampling=self.spacing_mm)
        inside = ndimage.distance_transform_edt(roi, sampling=self.spacing_mm)
        h = self._half_voxel_mm
        self.map_mm = np.where(roi, -(inside - h), outside - h).astype(np.float64)
        self.offset_index = lo
        edge = roi & ~ndimage.binary_erosion(roi, border_value=0)
        edge_idx = np.argwhere(edge).astype(np.float64) + lo
        self._edge_lps = edge_idx @ self.index_to_lps[:3, :3].T + self.index_to_lps[:3, 3]

    def sample(self, points_lps: npt.ArrayLike) -> FloatArray:
        """Signed distances (mm) at LPS points ``(N, 3)``; ``+inf`` everywhere for an empty mask."""
        pts = np.asarray(points_lps, dtype=np.float64).reshape(-1, 3)
        if self.empty:
            return np.full(len(pts), np.inf)
        idx = pts @ self.lps_to_index[:3, :3].T + self.lps_to_index[:3, 3] - self.offset_index
        vals = sample_trilinear(self.map_mm, idx, outside=np.nan)
        far = ~np.isfinite(vals)
        if far.any():
            if self._tree is None:
                self._tree = cKDTree(self._edge_lps)
            dist, _ = self._tree.query(pts[far])
            vals[far] = np.asarray(dist, dtype=np.float64) - self._half_voxel_mm
        return vals


@dataclass(frozen=True)
class NeedleDistance:
    """Signed distance from a needle's surface to a structure.

    ``distance_mm`` is negative when the needle enters the structure (by that depth, measured from
    the needle surface); ``closest_lps`` is the point of the needle axis where it is smallest.
    """

    distance_mm: float
    closest_lps: Point

    @property
    def enters(self) -> bool:
        """True when the needle touches or enters the structure."""
        return self.distance_mm <= 0.0


def needle_distance(
    field: DistanceField,
    geometry: TrajectoryGeometry,
    radius_mm: float,
    *,
    extension_mm: float = 0.0,
    from_mm: float = 0.0,
) -> NeedleDistance:
    """Smallest signed distance from a needle (a capsule of ``radius_mm``) to a structure.

    Parameters
    ----------
    field
        Distance field of the structure.
    geometry
        The needle line.
    radius_mm
        Needle outer radius.
    extension_mm
        Length beyond the tip to include (e.g. the antenna).
    from_mm
        Start this far along the needle from the entry (0 = whole needle).

    Returns
    -------
    NeedleDistance
        Axis distance minus radius, its minimum along the needle, and where.
    """
    if radius_mm < 0:
        raise ValueError(f'Argument "radius_mm" must be >= 0, got {radius_mm}')
    step = _STEP_FRACTION * min(field.spacing_mm)
    pts = geometry.points_lps(step, extension_mm=extension_mm)
    along = (pts - np.asarray(geometry.entry_lps)) @ geometry.direction_lps
    pts = pts[along >= from_mm - 1e-9]
    d = field.sample(pts)
    k = int(np.argmin(d))
    return NeedleDistance(float(d[k]) - radius_mm, _tuple(pts[k]))


def crossed_structures(
    fields: Mapping[str, DistanceField], geometry: TrajectoryGeometry, radius_mm: float
) -> list[str]:
    """Names of the structures the needle (capsule of ``radius_mm``) touches or enters."""
    return [name for name, f in fields.items() if needle_distance(f, geometry, radius_mm).enters]


@dataclass(frozen=True)
class PedicleClearance:
    """Room between the needle surface and the pedicle cortex where the needle runs in the pedicle.

    ``clearance_mm`` is the smallest distance from the needle surface to the pedicle's outer
    surface over the part of the needle inside the pedicle (negative = the needle breaches the
    cortex); None when the needle does not pass through the pedicle at all. ``inside_length_mm`` is
    the length of needle axis lying inside the pedicle.
    """

    clearance_mm: float | None
    inside_length_mm: float
    closest_lps: Point | None


def pedicle_clearance(
    pedicle_field: DistanceField, geometry: TrajectoryGeometry, radius_mm: float
) -> PedicleClearance:
    """Smallest distance from the needle surface to the pedicle cortex (see :class:`PedicleClearance`)."""
    step = _STEP_FRACTION * min(pedicle_field.spacing_mm)
    pts = geometry.points_lps(step)
    d = pedicle_field.sample(pts)
    inside = d < 0
    if not inside.any():
        return PedicleClearance(None, 0.0, None)
    depth = -d[inside]
    k = int(np.argmin(depth))
    return PedicleClearance(float(depth[k]) - radius_mm, float(inside.sum()) * step, _tuple(pts[inside][k]))


def pedicle_clearance_from_width_mm(min_width_mm: float, outer_diameter_mm: float) -> float:
    """Clearance each side of a needle centred in a pedicle of ``min_width_mm`` (mm, may be negative)."""
    return (min_width_mm - outer_diameter_mm) / 2.0
