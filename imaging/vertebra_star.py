"""The vertebral body as a star-shaped region bounded by its cortex, found by rays from inside it.

Real vertebral bodies often have trabecular bone as dark as muscle (osteoporosis: 50-100 HU) and a
thin cortex with gaps (vascular foramina, the basivertebral foramen, lytic destruction, partial
volume on thick slices), so filling the cortical shell's holes fails wherever the shell is open.
Here rays are cast from a point inside the body in ``N_DIRECTIONS`` directions; on each, the body
ends at the outer half-maximum edge of the first cortical peak (HU above half-way between the
body's own trabecular bone and the typical cortical peak). Rays that find no cortex, or one far
from their neighbours', take the median radius of neighbouring rays, which bridges gaps in the
cortex with the body's own shape. The posterior limit (the canal's front) clips the rays. A body
is star-shaped from any point near its centre (its posterior concavity is shallow), so the region
is exact for it. Positions LPS mm, HU smoothed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage, spatial

from imaging.vertebra_discs import BodySlab
from imaging.vertebra_roi import LpsRoi

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: number of ray directions (a Fibonacci sphere; about 7 degrees apart)
N_DIRECTIONS = 800
#: ray length and step (mm): beyond any vertebral body's half-width from a point inside it
RAY_LENGTH_MM = 45.0
RAY_STEP_MM = 0.5
#: neighbours used to judge and repair a ray's radius
N_NEIGHBOURS = 12
#: a radius this far from its neighbours' median (mm, or this fraction of it) is repaired
OUTLIER_MM = 3.0
OUTLIER_FRACTION = 0.15
#: the cortex must stand at least this far above the trabecular bone (HU) to be traced (3 mm slices:
#: a cortical peak of ~200 HU over ~115 HU trabecular bone in abdomen-pelvis-ct)
MIN_CORTEX_CONTRAST_HU = 60.0
#: radius around the start point whose median HU is the body's trabecular level (mm)
TRABECULAR_RADIUS_MM = 4.0
#: rays within this cosine of the body axis belong to a cap (endplate), and may end at most this far
#: beyond its median height (mm; endplates are concave by 1-2 mm)
CAP_COS = 0.8
CAP_TOLERANCE_MM = 2.0
#: angular step of the radius lookup table (degrees; the rays are about 7 degrees apart)
TABLE_STEP_DEG = 2
#: a cortical peak is followed by at least this much outside the body (mm); shorter dips are inside
OUTSIDE_GAP_MM = 4.0
#: recentring iterations (the click may be off-centre)
RECENTRE_ITERATIONS = 2


@dataclass(frozen=True, eq=False)
class StarBody:
    """A star-shaped body: centre, ray directions and radii, and its mask on the ROI."""

    centre_lps: FloatArray
    directions: FloatArray
    radii_mm: FloatArray
    traced_fraction: float  # rays that met a cortex themselves (the rest were repaired)
    out_of_view: npt.NDArray[np.bool_]  # per ray: it left the field of view before meeting a cortex
    trabecular_hu: float
    cortex_hu: float
    mask: BoolArray


def fibonacci_directions(n: int) -> FloatArray:
    """``n`` unit vectors spread evenly over the sphere."""
    i = np.arange(n, dtype=np.float64) + 0.5
    z = 1.0 - 2.0 * i / n
    r = np.sqrt(1.0 - z * z)
    phi = np.pi * (1.0 + 5.0**0.5) * i
    out: FloatArray = np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)
    return out


def _edges(
    profiles: FloatArray, sharp: FloatArray, level_c: float
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Body edge (index units) on each ray: the outer half-maximum of its cortical peak.

    The cortical peak is the first run of samples above ``level_c`` that is followed by at least
    ``OUTSIDE_GAP_MM`` below it (the disc, muscle, fat, canal outside the body); runs followed by a
    shorter dip are inside the body (a sclerotic focus, a blastic lesion, dense trabeculae) and the
    ray goes on. Runs are found on the smoothed ``profiles``; the edge is placed on the ``sharp``
    ones (smoothing widens a thin cortex and would push its half-maximum outward).
    """
    n_rays, n_s = profiles.shape
    above = profiles >= level_c
    gap = round(OUTSIDE_GAP_MM / RAY_STEP_MM)
    edge: FloatArray = np.full(n_rays, np.nan)
    found = np.zeros(n_rays, dtype=bool)
    out_look = round(4.0 / RAY_STEP_MM)
    for ray in np.flatnonzero(above.any(axis=1)):
        flags = above[ray]
        change = np.flatnonzero(np.diff(flags.astype(np.int8)))
        starts = [0] if flags[0] else []
        starts += [int(c) + 1 for c in change if not flags[c]]
        ends = [int(c) for c in change if flags[c]]
        if len(ends) < len(starts):
            ends.append(n_s - 1)
        chosen: tuple[int, int] | None = None
        for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
            next_start = starts[k + 1] if k + 1 < len(starts) else n_s
            if next_start - b - 1 >= gap or next_start == n_s:
                chosen = (a, b)
                break
        if chosen is None:
            continue
        prof = sharp[ray]
        ip = chosen[0] + int(np.argmax(prof[chosen[0] : chosen[1] + 1]))
        tail = prof[ip : min(n_s, ip + out_look + 1)]
        half = 0.5 * (float(prof[ip]) + float(tail.min()))
        j = ip
        while j + 1 < n_s and prof[j + 1] >= half:
            j += 1
        found[ray] = True
        if j + 1 >= n_s:
            edge[ray] = float(j)
            continue
        lo_v, hi_v = float(prof[j]), float(prof[j + 1])
        edge[ray] = j + ((lo_v - half) / (lo_v - hi_v) if lo_v != hi_v else 0.0)
    return edge, found


def _repair(radii: FloatArray, valid: npt.NDArray[np.bool_], neighbours: npt.NDArray[np.int64]) -> FloatArray:
    """Replace missing and outlying radii by their neighbours' median (twice)."""
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


def star_body(
    roi: LpsRoi,
    smoothed: npt.NDArray[np.float32],
    sharp: npt.NDArray[np.float32],
    start_lps: npt.ArrayLike,
    *,
    allowed: BoolArray | None = None,
    axis: npt.ArrayLike = (0.0, 0.0, 1.0),
    slab: BodySlab | None = None,
) -> StarBody | None:
    """The star-shaped body around a start point inside it, or None when no cortex surrounds it.

    Parameters
    ----------
    roi
        LPS ROI.
    smoothed
        Smoothed HU on the ROI (finds the cortex).
    sharp
        Lightly smoothed HU on the ROI (places its edge).
    start_lps
        A point inside the body (the click), LPS mm.
    allowed
        Where the body may lie (anterior to the canal's front), ROI grid; rays stop where it ends,
        and where the field of view ends.
    axis
        The spine's direction near the body (unit, LPS), for the endplate check.
    slab
        The body's extent between its discs (:func:`imaging.vertebra_discs.body_slab`), when the
        rays alone ran through an endplate: rays end at its planes.

    Returns
    -------
    StarBody or None
        None when fewer than half the rays meet a cortex standing ``MIN_CORTEX_CONTRAST_HU`` above
        the trabecular level.
    """
    dirs = fibonacci_directions(N_DIRECTIONS)
    tree = spatial.cKDTree(dirs)
    _, neighbours = tree.query(dirs, k=N_NEIGHBOURS + 1)
    neighbours = neighbours[:, 1:]
    s = np.arange(0.0, RAY_LENGTH_MM + 1e-9, RAY_STEP_MM)
    centre = np.asarray(start_lps, dtype=np.float64)
    sp = roi.spacing_mm
    k = np.arange(-TRABECULAR_RADIUS_MM, TRABECULAR_RADIUS_MM + 1e-9, sp)
    ball = np.stack(np.meshgrid(k, k, k, indexing="ij"), axis=-1).reshape(-1, 3)
    ball = ball[np.linalg.norm(ball, axis=1) <= TRABECULAR_RADIUS_MM]
    trab = float(np.median(roi.sample(smoothed, centre + ball)))
    radii = np.zeros(N_DIRECTIONS)
    found = np.zeros(N_DIRECTIONS, dtype=bool)
    cortex = trab
    region = roi.inside if allowed is None else (allowed & roi.inside)
    for _ in range(RECENTRE_ITERATIONS + 1):
        pts = centre + s[None, :, None] * dirs[:, None, :]
        prof = roi.sample(smoothed, pts)
        prof_sharp = roi.sample(sharp, pts)
        out = ~(roi.sample(region, pts, order=0) > 0.5)
        out[:, 0] = False
        limit = np.where(out.any(axis=1), np.argmax(out, axis=1) - 1, len(s) - 1)
        stop = np.clip(limit + 1, 0, len(s) - 1)
        left_view = out.any(axis=1) & (roi.sample(roi.inside, pts[np.arange(len(dirs)), stop], order=0) < 0.5)
        # beyond the allowed region (or the field of view) the profile cannot hold the body's cortex
        beyond = np.arange(len(s))[None, :] > limit[:, None]
        prof = np.where(beyond, trab, prof)
        prof_sharp = np.where(beyond, trab, prof_sharp)
        maxima = prof.max(axis=1)
        # the typical cortical peak, from rays not stopped early by the cut or the field of view
        full_length = limit >= len(s) - 1
        cortex = float(np.median(maxima[full_length] if full_length.sum() >= 0.1 * len(s) else maxima))
        if cortex - trab < MIN_CORTEX_CONTRAST_HU:
            return None
        level = trab + 0.5 * (cortex - trab)
        edge, found = _edges(prof, prof_sharp, level)
        edge = np.minimum(np.where(found, edge, np.inf), limit.astype(np.float64))
        ended = np.isfinite(edge) & (found | (limit < len(s) - 1))
        if ended.mean() < 0.5:
            return None
        radii = _repair(np.where(ended, edge, 0.0) * RAY_STEP_MM, ended, neighbours)
        radii = _clamp_caps(dirs, radii, axis)
        if slab is not None:
            radii = clamp_to_slab(dirs, radii, centre, slab)
        new_centre = centre + _star_centroid_offset(dirs, radii)
        shift = float(np.linalg.norm(new_centre - centre))
        centre = new_centre
        if shift < 1.0:
            break
        trab_new = float(np.median(roi.sample(smoothed, centre + ball)))
        trab = min(trab, trab_new) if np.isfinite(trab_new) else trab
    if slab is not None:
        radii = clamp_to_slab(dirs, radii, centre, slab)  # about the final centre
    mask = _voxelize(roi, centre, dirs, radii, tree) & region
    return StarBody(
        centre_lps=centre,
        directions=dirs,
        radii_mm=radii,
        traced_fraction=float(found.mean()),
        out_of_view=np.asarray(left_view & ~found, dtype=bool),
        trabecular_hu=trab,
        cortex_hu=cortex,
        mask=mask,
    )


def _clamp_caps(dirs: FloatArray, radii: FloatArray, axis: npt.ArrayLike) -> FloatArray:
    """Stop rays that crossed an endplate into the disc: clamp to the cap's median height.

    An endplate blurred by thick slices lets a cone of neighbouring rays run on into the disc and
    the next vertebra, which the neighbour median cannot repair. Endplates are nearly planar (a
    shallow concavity), so a cap ray ending more than ``CAP_TOLERANCE_MM`` beyond the median
    height of its cap's rays is clamped to that height plus the tolerance.
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


def _star_centroid_offset(dirs: FloatArray, radii: FloatArray) -> FloatArray:
    """Centroid of a star-shaped solid relative to its centre (each ray's cone weighs r^3)."""
    w = radii**3
    # the centroid of a cone of height r from the apex is at 3/4 r
    out: FloatArray = (0.75 * (radii * w)[:, None] * dirs).sum(axis=0) / w.sum()
    return out


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


def _voxelize(
    roi: LpsRoi, centre: FloatArray, dirs: FloatArray, radii: FloatArray, tree: spatial.cKDTree
) -> BoolArray:
    """ROI voxels whose distance from the centre is within the interpolated radius of their direction."""
    r_max = float(radii.max()) + 1.0
    c_idx = roi.lps_to_index(centre)
    lo = np.maximum(np.floor(c_idx - r_max / roi.spacing_mm).astype(int), 0)
    hi = np.minimum(np.ceil(c_idx + r_max / roi.spacing_mm).astype(int) + 1, roi.shape)
    mask = np.zeros(roi.shape, dtype=bool)
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
