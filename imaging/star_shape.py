"""The star-shaped solid of a vertebral body: ray directions, radii repaired and clamped, its mask.

Used by :mod:`imaging.vertebra_star`. A star-shaped solid is a centre, unit directions (a Fibonacci
sphere, :func:`fibonacci_directions`) and one radius per direction. Rays that found no cortex, or one
far from their neighbours', take their neighbours' median (:func:`repair_radii`); rays that ran
through an endplate are clamped to their cap's height (:func:`clamp_caps`) or to the planes of the
body's discs (:func:`clamp_to_slab`). :func:`star_centroid_offset` recentres the solid and
:func:`voxelize_star` gives its mask on the ROI. Positions LPS mm, radii mm.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from scipy import ndimage, spatial

from imaging.vertebra_discs import BodySlab
from imaging.vertebra_roi import LpsRoi

__all__ = [
    "CAP_COS",
    "CAP_TOLERANCE_MM",
    "OUTLIER_FRACTION",
    "OUTLIER_MM",
    "TABLE_STEP_DEG",
    "clamp_caps",
    "clamp_to_slab",
    "fibonacci_directions",
    "repair_radii",
    "star_centroid_offset",
    "voxelize_star",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: a radius this far from its neighbours' median (mm, or this fraction of it) is repaired
OUTLIER_MM = 3.0
OUTLIER_FRACTION = 0.15
#: rays within this cosine of the body axis belong to a cap (endplate), and may end at most this far
#: beyond its median height (mm; endplates are concave by 1-2 mm)
CAP_COS = 0.8
CAP_TOLERANCE_MM = 2.0
#: angular step of the radius lookup table (degrees; the rays are about 7 degrees apart)
TABLE_STEP_DEG = 2


def fibonacci_directions(n: int) -> FloatArray:
    """``n`` unit vectors spread evenly over the sphere."""
    i = np.arange(n, dtype=np.float64) + 0.5
    z = 1.0 - 2.0 * i / n
    r = np.sqrt(1.0 - z * z)
    phi = np.pi * (1.0 + 5.0**0.5) * i
    out: FloatArray = np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)
    return out


def repair_radii(
    radii: FloatArray, valid: npt.NDArray[np.bool_], neighbours: npt.NDArray[np.int64]
) -> FloatArray:
    """Replace missing and outlying radii by their neighbours' median (three passes).

    Parameters
    ----------
    radii
        One radius per ray (mm).
    valid
        Rays whose radius is known (the others are replaced when their neighbours allow).
    neighbours
        For each ray, the indices of its ``N`` nearest rays, ``(n_rays, N)``.

    Returns
    -------
    ndarray
        The repaired radii (mm): a radius more than ``OUTLIER_MM`` (or ``OUTLIER_FRACTION`` of it) from
        its neighbours' median, or missing, takes that median; rays whose neighbours all failed take
        the median of the rest.
    """
    r = radii.copy()
    ok = valid.copy()
    for _ in range(3):
        nb = np.where(ok[neighbours], r[neighbours], np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # rays whose neighbours all failed
            med = np.nanmedian(nb, axis=1)
        has = np.isfinite(med)
        bad = ~ok | (np.abs(r - med) > np.maximum(OUTLIER_MM, OUTLIER_FRACTION * med))
        fix = bad & has
        r[fix] = med[fix]
        ok = ok | fix
        ok[bad & ~has] = False
    if not ok.all() and ok.any():
        r[~ok] = float(np.median(r[ok]))
    return r


def clamp_caps(dirs: FloatArray, radii: FloatArray, axis: npt.ArrayLike) -> FloatArray:
    """Stop rays that crossed an endplate into the disc: clamp to the cap's median height.

    An endplate blurred by thick slices lets a cone of neighbouring rays run on into the disc and
    the next vertebra, which the neighbour median cannot repair. Endplates are nearly planar (a
    shallow concavity), so a cap ray ending more than ``CAP_TOLERANCE_MM`` beyond the median
    height of its cap's rays is clamped to that height plus the tolerance.

    Parameters
    ----------
    dirs
        Unit ray directions, ``(n_rays, 3)`` LPS.
    radii
        One radius per ray (mm).
    axis
        The spine's direction (unit, LPS); rays within ``CAP_COS`` of it (either way) form the caps.

    Returns
    -------
    ndarray
        The radii (mm), cap rays shortened.
    """
    a = np.asarray(axis, dtype=np.float64)
    cos = dirs @ a
    out = radii.copy()
    for sign in (1.0, -1.0):
        cap = sign * cos > CAP_COS
        if cap.sum() < 10:
            continue
        heights = radii[cap] * sign * cos[cap]
        limit = float(np.median(heights)) + CAP_TOLERANCE_MM
        out[cap] = np.minimum(radii[cap], limit / (sign * cos[cap]))
    return out


def clamp_to_slab(dirs: FloatArray, radii: FloatArray, centre_lps: FloatArray, slab: BodySlab) -> FloatArray:
    """Radii shortened so no ray crosses the slab's superior or inferior plane."""
    cos = dirs @ slab.axis_lps
    level = float((centre_lps - slab.origin_lps) @ slab.axis_lps)
    up = np.maximum(slab.superior_mm - level, 0.0)
    down = np.maximum(level - slab.inferior_mm, 0.0)
    with np.errstate(divide="ignore"):
        limit = np.where(
            cos > 1e-6,
            up / np.maximum(cos, 1e-6),
            np.where(cos < -1e-6, down / np.maximum(-cos, 1e-6), np.inf),
        )
    out: FloatArray = np.minimum(radii, limit)
    return out


def star_centroid_offset(dirs: FloatArray, radii: FloatArray) -> FloatArray:
    """Centroid of a star-shaped solid relative to its centre (each ray's cone weighs r^3).

    Parameters
    ----------
    dirs
        Unit ray directions, ``(n_rays, 3)`` LPS (evenly spread).
    radii
        One radius per ray (mm).

    Returns
    -------
    ndarray
        The centroid's offset from the centre (LPS mm); zero when every radius is zero (a solid with
        no volume lies at its centre: every ray ended where it started, as on a click in solid cortex).
    """
    w = radii**3
    total = float(w.sum())
    if not total > 0.0:
        return np.zeros(3, dtype=np.float64)
    # the centroid of a cone of height r from the apex is at 3/4 r
    out: FloatArray = (0.75 * (radii * w)[:, None] * dirs).sum(axis=0) / total
    return out


def voxelize_star(
    roi: LpsRoi, centre: FloatArray, dirs: FloatArray, radii: FloatArray, tree: spatial.cKDTree
) -> BoolArray:
    """ROI voxels whose distance from the centre is within the interpolated radius of their direction.

    Parameters
    ----------
    roi
        The ROI whose grid the mask is on.
    centre
        The star's centre, LPS mm.
    dirs
        Unit ray directions, ``(n_rays, 3)`` LPS.
    radii
        One radius per ray (mm).
    tree
        A KD-tree on ``dirs`` (finds the rays nearest a direction).

    Returns
    -------
    ndarray
        The solid's mask on the ROI grid, holes filled; empty when no radius is above zero (no volume)
        or the centre is not a finite point.
    """
    mask = np.zeros(roi.shape, dtype=bool)
    if not (float(radii.max(initial=0.0)) > 0.0 and np.all(np.isfinite(centre))):
        return mask
    r_max = float(radii.max()) + 1.0
    c_idx = roi.lps_to_index(centre)
    lo = np.maximum(np.floor(c_idx - r_max / roi.spacing_mm).astype(int), 0)
    hi = np.minimum(np.ceil(c_idx + r_max / roi.spacing_mm).astype(int) + 1, roi.shape)
    if np.any(hi <= lo):
        return mask
    grid = np.stack(
        np.meshgrid(*(np.arange(a, b) for a, b in zip(lo, hi, strict=True)), indexing="ij"), axis=-1
    ).reshape(-1, 3)
    rel = roi.index_to_lps(grid.astype(np.float64)) - centre
    dist = np.linalg.norm(rel, axis=1)
    near = dist <= r_max
    unit = rel[near] / np.maximum(dist[near], 1e-9)[:, None]
    # radius by direction from a lookup table on a (polar, azimuth) grid, interpolated once
    # from the rays (inverse-distance weights of the 3 nearest rays)
    polar = np.arccos(np.clip(unit[:, 2], -1.0, 1.0))
    azimuth = np.arctan2(unit[:, 1], unit[:, 0])
    table = _radius_table(dirs, radii, tree)
    ip = np.clip(np.rint(np.degrees(polar) / TABLE_STEP_DEG).astype(int), 0, table.shape[0] - 1)
    ia = np.rint(np.degrees(azimuth) / TABLE_STEP_DEG).astype(int) % table.shape[1]
    r_interp = table[ip, ia]
    inside = np.zeros(len(grid), dtype=bool)
    inside[np.flatnonzero(near)] = dist[near] <= r_interp
    sel = grid[inside]
    mask[tuple(sel.T)] = True
    box = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    mask[box] = ndimage.binary_fill_holes(mask[box])
    return mask


def _radius_table(dirs: FloatArray, radii: FloatArray, tree: spatial.cKDTree) -> FloatArray:
    """Radii interpolated on a grid of polar angle (0-180) by azimuth (0-360), ``TABLE_STEP_DEG`` apart."""
    pol = np.radians(np.arange(0, 181, TABLE_STEP_DEG, dtype=np.float64))
    azi = np.radians(np.arange(0, 360, TABLE_STEP_DEG, dtype=np.float64))
    pp, aa = np.meshgrid(pol, azi, indexing="ij")
    unit = np.stack([np.sin(pp) * np.cos(aa), np.sin(pp) * np.sin(aa), np.cos(pp)], axis=-1).reshape(-1, 3)
    d_ang, nb = tree.query(unit, k=3)
    w = 1.0 / np.maximum(d_ang, 1e-6)
    out: FloatArray = ((radii[nb] * w).sum(axis=1) / w.sum(axis=1)).reshape(pp.shape)
    return out
