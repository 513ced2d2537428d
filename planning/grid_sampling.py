"""Sampling voxel arrays: trilinear values at fractional ``[slice, row, col]`` indices, and a mask's
value (nearest voxel) at LPS points.

Used to read the CT (HU), distance maps (mm) and masks along needle lines. For the trilinear sampler the
caller converts LPS mm points to indices with the grid's ``lps_to_index`` matrix.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]

#: Sampling step along a needle, as a fraction of the smallest voxel spacing.
SAMPLE_STEP_FRACTION = 0.25


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


def length_outside_image_mm(volume: Volume, start_lps: npt.ArrayLike, end_lps: npt.ArrayLike) -> float:
    """Length (mm) of the straight segment ``start_lps`` -> ``end_lps`` (LPS mm) that lies outside the
    scanned image: the box of its voxels, out to their outer faces (half a voxel beyond the first and
    last voxel centres). 0 when the whole segment is in the image.

    Exact (the segment is clipped against the box in index space, where it is still a straight line).
    """
    length = float(np.linalg.norm(np.subtract(end_lps, start_lps, dtype=np.float64)))
    inside = inside_image_fractions(volume, start_lps, end_lps)
    return length if inside is None else length * (1.0 - (inside[1] - inside[0]))


def inside_image_fractions(
    volume: Volume, start_lps: npt.ArrayLike, end_lps: npt.ArrayLike
) -> tuple[float, float] | None:
    """The part of the straight segment ``start_lps`` -> ``end_lps`` (LPS mm) inside the scanned image
    (the box of its voxels out to their outer faces), as fractions ``(t_in, t_out)`` of the way from
    start to end (0 <= t_in <= t_out <= 1); None when no part of it is in the image. The parts before
    ``t_in`` and after ``t_out`` lie outside the image (drawn as such on the views).

    Exact: the segment is clipped against the box in index space, where it is still a straight line.
    """
    a, b = volume.lps_to_index_points(np.asarray([start_lps, end_lps], dtype=np.float64).reshape(2, 3))
    step = b - a
    t_in, t_out = 0.0, 1.0
    for k, n in enumerate(volume.shape):
        lo, hi = -0.5, n - 0.5
        if abs(step[k]) < 1e-12:
            if not lo <= a[k] <= hi:
                return None
            continue
        t1, t2 = (lo - a[k]) / step[k], (hi - a[k]) / step[k]
        t_in, t_out = max(t_in, min(t1, t2)), min(t_out, max(t1, t2))
    return (float(t_in), float(t_out)) if t_out > t_in else None


def mask_at_points(mask: Mask, volume: Volume, points_lps: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Mask value (nearest voxel) at LPS points; False outside the mask's box."""
    idx = np.rint(volume.lps_to_index_points(np.asarray(points_lps, dtype=np.float64).reshape(-1, 3)))
    rel = idx.astype(np.int64) - np.asarray(mask.offset_index)
    shape = np.asarray(mask.array.shape)
    ok = np.all((rel >= 0) & (rel < shape), axis=1)
    out = np.zeros(len(rel), dtype=bool)
    r = rel[ok]
    out[ok] = mask.array[r[:, 0], r[:, 1], r[:, 2]]
    return out


def voxel_half_extent_mm(voxel_axes: npt.ArrayLike, normals_lps: npt.ArrayLike) -> FloatArray:
    """How far a voxel reaches from its centre along unit directions ``(N, 3)`` (mm).

    ``voxel_axes`` is the 3x3 part of ``index_to_lps`` (columns: the index steps in LPS mm). The voxel is
    taken as the ellipsoid inscribed in its box, so the reach is half the spacing along a grid axis
    (0.4 mm across a 0.8 mm pixel, 1.5 mm across a 3 mm slice) and half the spacing in every direction on
    an isotropic grid; a zero direction (the zone's centre) gets half the largest spacing.
    """
    m = np.asarray(voxel_axes, dtype=np.float64)[:3, :3]
    n = np.asarray(normals_lps, dtype=np.float64).reshape(-1, 3)
    out: FloatArray = 0.5 * np.linalg.norm(n @ m, axis=1)
    zero = np.linalg.norm(n, axis=1) < 0.5
    out[zero] = 0.5 * float(np.linalg.norm(m, axis=0).max())
    return out
