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
#: Tissue this long beyond a stretch of air makes that air internal (lung, bowel gas), not the skin.
_TISSUE_RUN_MM = 5.0
_INTERNAL_AIR_LOOKAHEAD_MM = 60.0
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
    last point inside the image and ``distance_mm`` a lower bound. ``internal_air_mm`` is the length
    of gas or air crossed *inside* the body on the way (lung, bowel gas): runs of air followed by
    tissue again, which are not the skin.
    """

    skin_lps: Point
    distance_mm: float
    found: bool
    internal_air_mm: float = 0.0


def _runs(flags: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``[start, stop)`` index runs where ``flags`` is True."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def find_skin_along_line(
    volume: Volume,
    start_lps: Sequence[float] | npt.ArrayLike,
    outward_lps: Sequence[float] | npt.ArrayLike,
    *,
    max_distance_mm: float = 300.0,
    threshold_hu: float = BODY_OUTLINE_HU,
) -> SkinCrossing:
    """Follow a line outward from a point inside the body until it leaves the body.

    The skin is the start of the first stretch of air (at least 2 mm below ``threshold_hu``) that is
    not followed, within 60 mm, by 5 mm or more of tissue again: air with tissue beyond it is inside
    the body (lung, bowel gas) and is counted in ``internal_air_mm`` instead. A thin table shell
    under a supine patient does not count as tissue.

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
        Body outline threshold (HU).

    Returns
    -------
    SkinCrossing
        The skin point, its distance from ``start_lps`` and the internal air crossed.
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
    n_in = int(np.argmin(in_image)) if not in_image.all() else len(hu)  # samples before leaving
    air = hu[:n_in] < threshold_hu
    tissue_runs = [(a, b) for a, b in _runs(~air) if (b - a) * step >= _TISSUE_RUN_MM]
    internal = 0.0
    for a, b in _runs(air):
        if (b - a) * step < _AIR_RUN_MM:
            continue
        beyond = [t for t in tissue_runs if b <= t[0] <= b + _INTERNAL_AIR_LOOKAHEAD_MM / step]
        if beyond:
            internal += (b - a) * step
            continue
        k = max(0, a - 1)
        return SkinCrossing(_tuple(pts[k]), float(s[k]), True, internal)
    last = max(0, n_in - 1)
    return SkinCrossing(_tuple(pts[last]), float(s[last]), False, internal)


def skin_to_target_depth_mm(volume: Volume, geometry: TrajectoryGeometry) -> SkinCrossing:
    """Depth of the needle tip below the skin along the trajectory, and the internal air crossed.

    Walks from the tip back towards the entry (and beyond it) to where the line leaves the body
    (see :func:`find_skin_along_line`); ``distance_mm`` is the tip's depth, to compare with the
    needle's usable length.
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
            self.map_mm = np.zeros((1, 1, 1), dtype=np.float32)
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
        self.map_mm = np.where(roi, -(inside - h), outside - h).astype(np.float32)
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
    ci, ri = np.unravel_index(int(np.argmin(dist)), dist.shape)
    p = centres[ci] + dist[ci, ri] * rays[ri]
    return PedicleClearance(float(dist[ci, ri]) - radius_mm, _tuple(p), "mask")


def pedicle_clearance_from_axis(
    min_width_mm: float, isthmus_lps: Sequence[float], geometry: TrajectoryGeometry, radius_mm: float
) -> PedicleClearance:
    """Clearance estimated without a mask: half the narrowest width, less the needle's offset from the
    isthmus and its radius (mm, may be negative)."""
    p = as_point(isthmus_lps, "isthmus_lps")
    e = np.asarray(geometry.entry_lps)
    d = geometry.direction_lps
    v = p - e
    offset = float(np.linalg.norm(v - (v @ d) * d))
    return PedicleClearance(min_width_mm / 2.0 - offset - radius_mm, None, "axis")


@dataclass(frozen=True)
class TrajectoryMetrics:
    """What the planner reports for one needle (mm, degrees; LPS points).

    ``skin_depth_mm`` is the tip's depth below the skin along the needle (a lower bound when
    ``skin_found`` is False); ``canal_distance_mm`` the signed distance from the access needle's
    surface to the canal (negative = it enters); ``antenna_canal_distance_mm`` the same for the
    antenna segment beyond the needle tip; ``pedicle_clearance_mm`` the smallest distance from the
    needle surface to the pedicle cortex where it runs in the pedicle. None = not known.
    """

    length_mm: float
    craniocaudal_deg: float
    mediolateral_deg: float
    skin_depth_mm: float
    skin_found: bool
    internal_air_mm: float
    canal_distance_mm: float | None
    canal_closest_lps: Point | None
    antenna_canal_distance_mm: float | None
    pedicle_clearance_mm: float | None
    crossed: tuple[str, ...]
    warnings: tuple[str, ...]


def measure_trajectory(
    volume: Volume,
    geometry: TrajectoryGeometry,
    *,
    outer_diameter_mm: float,
    needle_length_mm: float,
    antenna_extension_mm: float,
    antenna_outer_diameter_mm: float,
    canal: DistanceField | None = None,
    pedicle_mask: Mask | None = None,
    pedicle_isthmus_lps: Sequence[float] | None = None,
    pedicle_min_width_mm: float | None = None,
    forbidden: Mapping[str, DistanceField] | None = None,
) -> TrajectoryMetrics:
    """Length, angles, depth, canal distance, pedicle clearance and crossings of one needle.

    Parameters
    ----------
    volume
        The CT (for the skin depth).
    geometry
        Entry and tip of the access needle.
    outer_diameter_mm, needle_length_mm
        Access needle outer diameter and usable length.
    antenna_extension_mm, antenna_outer_diameter_mm
        Antenna beyond the tip and its diameter.
    canal
        Distance field of the spinal canal, when known.
    pedicle_mask, pedicle_isthmus_lps, pedicle_min_width_mm
        The pedicle the needle should run in, when known: clearance from the mask around the
        isthmus, or estimated from the narrowest width when there is no mask.
    forbidden
        Other structures the needle must not cross, by name.

    Returns
    -------
    TrajectoryMetrics
        The figures and plain-sentence warnings.
    """
    warnings: list[str] = []
    skin = skin_to_target_depth_mm(volume, geometry)
    if not skin.found:
        warnings.append("the skin was not found along the needle within the image; depth is a lower bound")
    if skin.internal_air_mm > 0:
        warnings.append(
            f"the needle crosses {skin.internal_air_mm:.0f} mm of gas or air inside the body "
            "(lung or bowel): check the path"
        )
    if skin.distance_mm > needle_length_mm:
        warnings.append(
            f"the tip lies {skin.distance_mm:.0f} mm below the skin, deeper than the "
            f"{needle_length_mm:.0f} mm needle"
        )
    r = outer_diameter_mm / 2.0
    canal_mm: float | None = None
    canal_at: Point | None = None
    antenna_mm: float | None = None
    if canal is not None and not canal.empty:
        nd = needle_distance(canal, geometry, r)
        canal_mm, canal_at = nd.distance_mm, nd.closest_lps
        if nd.enters:
            warnings.append(f"the needle enters the spinal canal (by {-nd.distance_mm:.1f} mm)")
        if antenna_extension_mm > 0:
            ad = needle_distance(
                canal,
                geometry,
                antenna_outer_diameter_mm / 2.0,
                extension_mm=antenna_extension_mm,
                from_mm=geometry.length_mm,
            )
            antenna_mm = ad.distance_mm
            if ad.enters:
                warnings.append("the antenna beyond the needle tip enters the spinal canal")
    clearance: float | None = None
    if pedicle_isthmus_lps is not None:
        if pedicle_mask is not None and pedicle_mask.any():
            pc = pedicle_clearance(pedicle_mask, volume.index_to_lps, geometry, r, pedicle_isthmus_lps)
        elif pedicle_min_width_mm is not None:
            pc = pedicle_clearance_from_axis(pedicle_min_width_mm, pedicle_isthmus_lps, geometry, r)
        else:
            pc = PedicleClearance(None, None, "none")
        clearance = pc.clearance_mm
        if pc.method == "mask" and pc.clearance_mm is None:
            warnings.append("the needle does not pass through the pedicle at its isthmus")
        elif pc.clearance_mm is not None and pc.clearance_mm < 0:
            warnings.append(f"the needle breaches the pedicle cortex (by {-pc.clearance_mm:.1f} mm)")
    crossed = tuple(crossed_structures(forbidden or {}, geometry, r))
    for name in crossed:
        warnings.append(f"the needle crosses {name}")
    return TrajectoryMetrics(
        length_mm=geometry.length_mm,
        craniocaudal_deg=geometry.craniocaudal_deg,
        mediolateral_deg=geometry.mediolateral_deg,
        skin_depth_mm=skin.distance_mm,
        skin_found=skin.found,
        internal_air_mm=skin.internal_air_mm,
        canal_distance_mm=canal_mm,
        canal_closest_lps=canal_at,
        antenna_canal_distance_mm=antenna_mm,
        pedicle_clearance_mm=clearance,
        crossed=crossed,
        warnings=tuple(warnings),
    )
