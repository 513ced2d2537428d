"""Signed distances from a needle to a structure: a distance map of the mask, sampled along the needle.

Frames and units: LPS mm; masks on the volume's ``[slice, row, col]`` grid, placed by its 4x4
``index_to_lps`` matrix (orthogonal axes). The signed distance map (negative inside the mask) is
computed once in a region of interest around the mask (:class:`DistanceField`) and sampled along the
needle axis; the needle is a capsule of its outer radius, so its surface distance is the axis distance
minus the radius.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from scipy.spatial import cKDTree

from imaging.mask import Mask
from planning.grid_sampling import SAMPLE_STEP_FRACTION, sample_trilinear, voxel_half_extent_mm
from planning.trajectory_geometry import FloatArray, Point, TrajectoryGeometry, point_tuple


class DistanceField:
    """Signed distance (mm) to a mask's surface, negative inside, computed in a region of interest.

    The map covers the mask's bounding box grown by ``pad_mm`` (clipped to the grid); points beyond
    it fall back to the exact distance to the nearest mask boundary voxel (a k-d tree). The surface
    is taken half a voxel outside the centres of the mask's edge voxels, along the way to them (half the
    slice spacing across the slices, half the pixel spacing across the pixels).

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
        m3 = self.index_to_lps[:3, :3]
        outside, near_in = ndimage.distance_transform_edt(~roi, sampling=self.spacing_mm, return_indices=True)
        inside, near_out = ndimage.distance_transform_edt(roi, sampling=self.spacing_mm, return_indices=True)
        # the surface lies half a voxel beyond the edge voxel centres along the way to them: half the slice
        # spacing across the slices (QA s32 F: half the smallest spacing overstated distances across thick
        # slices by up to half the slice spacing less half the pixel)
        here = np.indices(roi.shape)
        near = np.where(roi[None], near_out, near_in)
        h = _reach_mm(m3, (here - near).reshape(3, -1).T).reshape(roi.shape)
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
            dist, j = self._tree.query(pts[far])
            step_index = (pts[far] - self._edge_lps[j]) @ self.lps_to_index[:3, :3].T
            vals[far] = np.asarray(dist, dtype=np.float64) - _reach_mm(self.index_to_lps[:3, :3], step_index)
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
    step = SAMPLE_STEP_FRACTION * min(field.spacing_mm)
    pts = geometry.points_lps(step, extension_mm=extension_mm)
    along = (pts - np.asarray(geometry.entry_lps)) @ geometry.direction_lps
    pts = pts[along >= from_mm - 1e-9]
    d = field.sample(pts)
    k = int(np.argmin(d))
    return NeedleDistance(float(d[k]) - radius_mm, point_tuple(pts[k]))


def crossed_structures(
    fields: Mapping[str, DistanceField], geometry: TrajectoryGeometry, radius_mm: float
) -> list[str]:
    """Names of the structures the needle (capsule of ``radius_mm``) touches or enters."""
    return [name for name, f in fields.items() if needle_distance(f, geometry, radius_mm).enters]


def _reach_mm(voxel_axes: FloatArray, step_index: npt.ArrayLike) -> FloatArray:
    """Half a voxel along index-space steps ``(N, 3)`` (:func:`planning.grid_sampling.voxel_half_extent_mm`);
    half the largest spacing for a zero step (a voxel whose nearest voxel of the other kind is itself)."""
    step_lps = np.asarray(step_index, dtype=np.float64).reshape(-1, 3) @ voxel_axes.T
    norm = np.linalg.norm(step_lps, axis=1)
    n = np.divide(step_lps, norm[:, None], out=np.zeros_like(step_lps), where=norm[:, None] > 0)
    return voxel_half_extent_mm(voxel_axes, n)


def _check_orthogonal(index_to_lps: FloatArray) -> tuple[float, float, float]:
    m = np.asarray(index_to_lps, dtype=np.float64)[:3, :3]
    spacing = np.linalg.norm(m, axis=0)
    unit = m / spacing
    off = unit.T @ unit - np.eye(3)
    if float(np.abs(off).max()) > 1e-3:
        raise ValueError("distance maps need an orthogonal voxel grid (resample a tilted series first)")
    return (float(spacing[0]), float(spacing[1]), float(spacing[2]))
