"""Morphology helpers on anisotropic grids, shared by bone and lesion segmentation and mask editing.

Sizes are in millimetres and are turned into index-space footprints with the grid's spacing
``(slice, row, col)`` in mm, so a "1 mm ball" is an ellipsoid of voxels on a 0.8 x 0.8 x 2 mm grid.
Index boxes are tuples of three ``slice`` objects ``[slice, row, col]`` on the parent grid.
"""

from __future__ import annotations

import functools
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
    grown = grown_box(box, [int(np.ceil(reach_mm / s)) + 1 for s in sampling], mask.shape)
    out = np.full(mask.shape, np.inf)
    out[grown] = ndimage.distance_transform_edt(~mask[grown], sampling=sampling)
    return out


def dilate_mm(mask: BoolArray, radius_mm: float, spacing_mm: Sequence[float]) -> BoolArray:
    """Voxels whose centres lie within ``radius_mm`` of a mask voxel centre (an exact ball dilation)."""
    if radius_mm <= 0:
        return mask.copy()
    return within_mm(mask, radius_mm, spacing_mm, tolerance_mm=1e-9)


def within_mm(
    mask: BoolArray,
    radius_mm: float,
    spacing_mm: Sequence[float],
    *,
    strict: bool = False,
    tolerance_mm: float = 0.0,
) -> BoolArray:
    """Voxels whose centre lies at distance ``d`` of some mask voxel centre with ``d <= radius_mm +
    tolerance_mm`` (or ``d < radius_mm`` when ``strict``); the mask itself included.

    The same set as thresholding :func:`distance_outside_mm` (``distance <= r``, or ``< r``; the distance
    of an offset is computed with the same formula as ``scipy.ndimage.distance_transform_edt``), without
    a distance map: the ball is split into rows along the last axis, the mask is dilated along that axis
    once per row half-width, packed 8 voxels to a byte, and every row ORs in its shifted copy. About 30x
    faster than the distance map for radii of a few voxels (bone envelope closing, bridges), 3-5x at
    15 voxels (measured on 91x112x112 voxels, tests/benchmarks/bench_segment.py).
    """
    if mask.ndim != 3:
        raise ValueError(f'Argument "mask" must be 3D, got shape {mask.shape}')
    box = mask_bbox(mask)
    out: BoolArray = np.zeros(mask.shape, dtype=bool)
    if box is None:
        return out
    rows = _ball_rows(radius_mm, spacing_mm, strict=strict, tolerance_mm=tolerance_mm)
    if not rows:
        return out
    reach = _reach(rows)
    # work in the mask's box grown by the ball's reach (nothing beyond it can be within the radius)
    grown = tuple(
        slice(max(0, b.start - q), min(n, b.stop + q)) for b, q, n in zip(box, reach, mask.shape, strict=True)
    )
    sub = mask[grown]
    nz, ny, nx = sub.shape
    packed: list[npt.NDArray[np.uint8]] = []
    line = np.ascontiguousarray(sub, dtype=bool)
    for w in range(reach[2] + 1):
        if w > 0:  # dilation by one more voxel along the last axis
            wider = line.copy()
            wider[:, :, 1:] |= line[:, :, :-1]
            wider[:, :, :-1] |= line[:, :, 1:]
            line = wider
        packed.append(np.packbits(line, axis=2))
    acc = np.zeros_like(packed[0])
    for dz, dy, w in rows:
        if abs(dz) >= nz or abs(dy) >= ny:
            # the shifted copy lies wholly outside the array (a ball wider than a thin region, e.g. a
            # 3-slice scan): nothing to add. Without this the slab bounds went negative and Python read
            # them from the other end: a 1-slice source against an empty destination (QA s19 F2)
            continue
        src = packed[w]
        # acc[z, y] |= src[z - dz, y - dy]
        acc[max(0, dz) : nz + min(0, dz), max(0, dy) : ny + min(0, dy)] |= src[
            max(0, -dz) : nz + min(0, -dz), max(0, -dy) : ny + min(0, -dy)
        ]
    out[grown] = np.unpackbits(acc, axis=2, count=nx).astype(bool)
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


def grown_box(box: IndexBox, pad: Sequence[int], shape: Sequence[int]) -> IndexBox:
    """An index box grown by ``pad`` voxels on each side along each axis, cut at the array's ``shape``."""
    a, b, c = (
        slice(max(0, s.start - int(q)), min(int(n), s.stop + int(q)))
        for s, q, n in zip(box, pad, shape, strict=True)
    )
    return (a, b, c)


def fill_holes(mask: BoolArray) -> BoolArray:
    """The mask with its holes filled: the same as ``scipy.ndimage.binary_fill_holes`` (face connectivity).

    A hole is a face-connected component of the background that touches no face of the array; labelling
    the background once is several times faster than scipy's iterated dilation from the border.
    """
    labels, n = ndimage.label(~mask)
    if n == 0:
        return mask.copy()
    outer = np.zeros(n + 1, dtype=bool)
    for axis in range(mask.ndim):
        outer[np.take(labels, 0, axis=axis)] = True
        outer[np.take(labels, -1, axis=axis)] = True
    outer[0] = False  # label 0: the mask itself
    out: BoolArray = ~outer[labels]
    return out


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


def components_touching(mask: BoolArray, region: BoolArray) -> BoolArray:
    """The face-connected components of ``mask`` that overlap ``region`` or touch it across a face."""
    labels, n = ndimage.label(mask)
    if n == 0:
        return np.zeros(mask.shape, dtype=bool)
    keep = np.zeros(n + 1, dtype=bool)
    keep[np.unique(labels[ndimage.binary_dilation(region) & mask])] = True
    keep[0] = False
    out: BoolArray = keep[labels]
    return out


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise :class:`SegmentationCancelledError` when the cancel event is set."""
    if cancel is not None and cancel.is_set():
        raise SegmentationCancelledError


def _ball_rows(
    radius_mm: float, spacing_mm: Sequence[float], *, strict: bool, tolerance_mm: float
) -> tuple[tuple[int, int, int], ...]:
    sp = tuple(float(v) for v in spacing_mm)
    return _ball_rows_cached(float(radius_mm), sp, strict, float(tolerance_mm))


@functools.lru_cache(maxsize=64)
def _reach(rows: tuple[tuple[int, int, int], ...]) -> tuple[int, int, int]:
    """How far the ball reaches along each axis, in voxels."""
    return (max(abs(r[0]) for r in rows), max(abs(r[1]) for r in rows), max(r[2] for r in rows))


@functools.lru_cache(maxsize=64)
def _ball_rows_cached(
    radius_mm: float, spacing_mm: tuple[float, ...], strict: bool, tolerance_mm: float
) -> tuple[tuple[int, int, int], ...]:
    """``(dz, dy, w)`` for every non-empty row of the ball: the offsets ``(dz, dy, -w..w)`` within the radius.

    Offsets are judged by their length computed as ``scipy.ndimage.distance_transform_edt`` computes it
    (each index offset times its spacing, squared, summed in axis order, square root), so the ball is
    the one its distance maps threshold to; a ball is convex, so each row is one run ``-w..w``.
    """
    sp = [float(v) for v in spacing_mm]
    if len(sp) != 3 or min(sp) <= 0:
        raise ValueError(f'Argument "spacing_mm" must be 3 positive numbers, got {spacing_mm!r}')
    half = [int(np.floor((radius_mm + tolerance_mm) / s)) + 1 for s in sp]
    dx = np.arange(half[2] + 1, dtype=np.float64) * sp[2]
    rows: list[tuple[int, int, int]] = []
    for dz in range(-half[0], half[0] + 1):
        for dy in range(-half[1], half[1] + 1):
            d = np.sqrt((float(dz) * sp[0]) ** 2 + (float(dy) * sp[1]) ** 2 + dx**2)
            ok = d < radius_mm if strict else d <= radius_mm + tolerance_mm
            if ok[0]:
                rows.append((dz, dy, int(np.flatnonzero(ok)[-1])))
    return tuple(rows)
