"""Morphology helpers on anisotropic grids, shared by bone and lesion segmentation and mask editing.

Sizes are in millimetres and are turned into index-space footprints with the grid's spacing
``(slice, row, col)`` in mm, so a "1 mm ball" is an ellipsoid of voxels on a 0.8 x 0.8 x 2 mm grid.
Index boxes are tuples of three ``slice`` objects ``[slice, row, col]`` on the parent grid.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.lesion_errors import SegmentationCancelledError

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IndexBox = tuple[slice, slice, slice]


def ball_footprint(radius_mm: float, spacing_mm: Sequence[float]) -> BoolArray:
    """Voxels whose centres lie within ``radius_mm`` of the centre voxel, on a grid of this spacing.

    Parameters
    ----------
    radius_mm
        Ball radius in mm (non-negative); a radius smaller than every spacing gives one voxel.
    spacing_mm
        ``(slice, row, col)`` spacing in mm.

    Returns
    -------
    numpy.ndarray
        Boolean array of odd shape, centred.
    """
    if radius_mm < 0:
        raise ValueError(f'Argument "radius_mm" must be >= 0, got {radius_mm}')
    sp = np.asarray(spacing_mm, dtype=np.float64)
    half = np.floor(radius_mm / sp + 1e-9).astype(int)
    axes = [np.arange(-h, h + 1) * s for h, s in zip(half, sp, strict=True)]
    zz, yy, xx = np.meshgrid(*axes, indexing="ij")
    out: BoolArray = (zz**2 + yy**2 + xx**2) <= radius_mm**2 + 1e-9
    return out


def ellipsoid_in_box(
    shape: Sequence[int], centre_index: npt.ArrayLike, radius_mm: float, spacing_mm: Sequence[float]
) -> BoolArray:
    """Voxels of an array of ``shape`` within ``radius_mm`` of a (fractional) index point."""
    sp = np.asarray(spacing_mm, dtype=np.float64)
    centre = np.asarray(centre_index, dtype=np.float64)
    grids = [(np.arange(n) - c) * s for n, c, s in zip(shape, centre, sp, strict=True)]
    d2 = grids[0][:, None, None] ** 2 + grids[1][None, :, None] ** 2 + grids[2][None, None, :] ** 2
    out: BoolArray = d2 <= radius_mm**2 + 1e-9
    return out


def box_around_index(
    centre_index: npt.ArrayLike, half_size_mm: float, spacing_mm: Sequence[float], grid_shape: Sequence[int]
) -> IndexBox:
    """An index box reaching ``half_size_mm`` from a point along each array axis, clipped to the grid."""
    sp = np.asarray(spacing_mm, dtype=np.float64)
    c = np.asarray(centre_index, dtype=np.float64)
    half = np.ceil(half_size_mm / sp - 1e-9)
    lo = np.clip(np.floor(c - half), 0, None).astype(int)
    hi = np.minimum(np.ceil(c + half).astype(int) + 1, np.asarray(grid_shape, dtype=int))
    return (slice(int(lo[0]), int(hi[0])), slice(int(lo[1]), int(hi[1])), slice(int(lo[2]), int(hi[2])))


def intersect_boxes(a: IndexBox, b: IndexBox) -> IndexBox | None:
    """The intersection of two index boxes, None when empty."""
    out = []
    for sa, sb in zip(a, b, strict=True):
        lo, hi = max(int(sa.start), int(sb.start)), min(int(sa.stop), int(sb.stop))
        if hi <= lo:
            return None
        out.append(slice(lo, hi))
    return (out[0], out[1], out[2])


def union_boxes(a: IndexBox, b: IndexBox) -> IndexBox:
    """The smallest index box holding both boxes."""
    out = [
        slice(min(int(sa.start), int(sb.start)), max(int(sa.stop), int(sb.stop)))
        for sa, sb in zip(a, b, strict=True)
    ]
    return (out[0], out[1], out[2])


def distance_outside_mm(
    mask: BoolArray, spacing_mm: Sequence[float], reach_mm: float | None = None
) -> FloatArray:
    """Distance (mm) from each voxel outside ``mask`` to the nearest mask voxel centre (0 inside).

    With ``reach_mm`` the work is confined to the mask's bounding box grown by that distance and
    voxels beyond it get ``inf`` (exact for every distance up to ``reach_mm``). An empty mask gives
    ``inf`` everywhere.
    """
    sampling = tuple(float(s) for s in spacing_mm)
    box = mask_bbox(mask)
    if box is None:
        return np.full(mask.shape, np.inf)
    if reach_mm is None:
        full: FloatArray = ndimage.distance_transform_edt(~mask, sampling=sampling)
        return full
    pad = [int(np.ceil(reach_mm / s)) + 1 for s in sampling]
    grown = tuple(
        slice(max(0, b.start - q), min(n, b.stop + q)) for b, q, n in zip(box, pad, mask.shape, strict=True)
    )
    out = np.full(mask.shape, np.inf)
    out[grown] = ndimage.distance_transform_edt(~mask[grown], sampling=sampling)
    return out


def dilate_mm(mask: BoolArray, radius_mm: float, spacing_mm: Sequence[float]) -> BoolArray:
    """Voxels whose centres lie within ``radius_mm`` of a mask voxel centre (an exact ball dilation)."""
    if radius_mm <= 0:
        return mask.copy()
    out: BoolArray = distance_outside_mm(mask, spacing_mm, reach_mm=radius_mm) <= radius_mm + 1e-9
    return out


def mask_bbox(mask: BoolArray) -> IndexBox | None:
    """The index box of the set voxels, None when there are none."""
    lo, hi = [], []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        nz = np.flatnonzero(mask.any(axis=other))
        if nz.size == 0:
            return None
        lo.append(int(nz[0]))
        hi.append(int(nz[-1]) + 1)
    return (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))


def component_at(mask: BoolArray, seed_region: BoolArray) -> BoolArray:
    """The face-connected components of ``mask`` touching ``seed_region``; the largest such one.

    Returns an all-false array when no component touches the seed region.
    """
    labels, n = ndimage.label(mask)
    if n == 0:
        return np.zeros(mask.shape, dtype=bool)
    hit = labels[seed_region & mask]
    if hit.size == 0:
        return np.zeros(mask.shape, dtype=bool)
    counts = np.bincount(labels.ravel(), minlength=n + 1)
    ids = np.unique(hit)
    best = ids[np.argmax(counts[ids])]
    out: BoolArray = labels == best
    return out


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise :class:`SegmentationCancelledError` when the cancel event is set."""
    if cancel is not None and cancel.is_set():
        raise SegmentationCancelledError
