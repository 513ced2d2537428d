"""The vertebral body as a star-shaped region bounded by its cortex, found by rays from inside it.

Real vertebral bodies often have trabecular bone as dark as muscle (osteoporosis: 50-100 HU) and a
thin cortex with gaps (vascular foramina, the basivertebral foramen, lytic destruction, partial
volume on thick slices), so filling the cortical shell's holes fails wherever the shell is open.
Here rays are cast from a point inside the body in ``N_DIRECTIONS`` directions; on each, the body
ends at the outer half-maximum edge of the first cortical peak (HU above half-way between the
body's own trabecular bone and the typical cortical peak). Rays that find no cortex, or one far
from their neighbours', take the median radius of neighbouring rays, which bridges gaps in the
cortex with the body's own shape. The posterior limit (the canal's front) clips the rays; within the
canal's width, where that limit comes from the slices on which the canal is enclosed and the wall at
other heights may lie millimetres in front of it, a ray that meets no cortex before it ends where it
entered the canal's dark contents (``CANAL_RUN_MM``). Voxels that metal has corrupted (the metal, its
blur and its streaks: :mod:`imaging.metal_unknown`) are unknown: no ray stops on them as on a cortex or
ends there as in soft tissue, and a ray whose edge they hide takes its radius from its neighbours (the
share of the surface so filled is reported). A body
is star-shaped from any point near its centre (its posterior concavity is shallow), so the region
is exact for it. Positions LPS mm, HU smoothed.

The edge on each ray is found in :mod:`imaging.star_edges`; the star-shaped solid's geometry (ray
directions, repair of radii from their neighbours, clamps at the endplates and the discs, centroid,
mask) is in :mod:`imaging.star_shape`. This module traces the rays from the click and recentres them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage, spatial

from imaging.canal_holes import CANAL_CONTENT_HU, CANAL_DARK_FLOOR_HU
from imaging.star_edges import (
    DENSE_OUTSIDE_HU,
    DENSE_TRABECULAR_HU,
    OUTSIDE_GAP_MM,
    RAY_STEP_MM,
    ray_edges,
)
from imaging.star_shape import (
    clamp_caps,
    clamp_to_slab,
    fibonacci_directions,
    repair_radii,
    star_centroid_offset,
    voxelize_star,
)
from imaging.vertebra_discs import BodySlab
from imaging.vertebra_roi import LpsRoi

__all__ = [
    "DENSE_OUTSIDE_HU",
    "DENSE_TRABECULAR_HU",
    "RAY_STEP_MM",
    "StarBody",
    "clamp_to_slab",
    "fibonacci_directions",
    "star_body",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: number of ray directions (a Fibonacci sphere; about 7 degrees apart)
N_DIRECTIONS = 800
#: ray length (mm): beyond any vertebral body's half-width from a point inside it (the step,
#: ``RAY_STEP_MM``, is the edges' unit in :mod:`imaging.star_edges`)
RAY_LENGTH_MM = 45.0
#: neighbours used to judge and repair a ray's radius
N_NEIGHBOURS = 12
#: the cortex must stand at least this far above the trabecular bone (HU) to be traced (3 mm slices:
#: a cortical peak of ~200 HU over ~115 HU trabecular bone in abdomen-pelvis-ct)
MIN_CORTEX_CONTRAST_HU = 60.0
#: radius around the start point whose median HU is the body's trabecular level (mm)
TRABECULAR_RADIUS_MM = 4.0
#: a ray stopped by the canal's front (the posterior cut) without meeting a cortex ends where it ran
#: into the canal's dark contents, when they last from there to the cut for at least the gap that ends
#: a body after its cortex (``OUTSIDE_GAP_MM``): the cut is the canal's front on the slices where the
#: canal is enclosed (near the pedicles), and the posterior wall elsewhere may lie several mm in front
#: of it (a wall that leans, a faint wall of 70-290 HU that does not stand out as a cortex); shorter dark
#: runs are the cortex's blur at the cut or the basivertebral foramen's channel, bridged as before
CANAL_RUN_MM = OUTSIDE_GAP_MM
#: recentring iterations (the click may be off-centre)
RECENTRE_ITERATIONS = 2
#: when no cortex stands out of the trabecular level read around the click, that level is read
#: again over a ball this many times wider (8 mm: wider than a sclerotic focus or the cortex's blur)
FALLBACK_BALL_SCALE = 2.0
#: the body's trabecular level for the second pass is read deeper than this inside the first body
#: (mm): away from the cortex and its partial volume
CORE_DEPTH_MM = 3.0


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
    #: the share of the body's surface (rays weighed by their radius squared) not seen but filled from
    #: neighbouring rays because metal or its streaks hid it (0 without metal)
    inferred_fraction: float = 0.0


def star_body(
    roi: LpsRoi,
    smoothed: npt.NDArray[np.float32],
    sharp: npt.NDArray[np.float32],
    start_lps: npt.ArrayLike,
    *,
    allowed: BoolArray | None = None,
    canal_band: BoolArray | None = None,
    axis: npt.ArrayLike = (0.0, 0.0, 1.0),
    slab: BodySlab | None = None,
    unknown: BoolArray | None = None,
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
    canal_band
        Where the limit of ``allowed`` is the canal's front (within the canal's width), ROI grid: a
        ray stopped there without meeting a cortex ends where it entered the canal's dark contents
        (``CANAL_RUN_MM``). None: nowhere.
    axis
        The spine's direction near the body (unit, LPS), for the endplate check.
    slab
        The body's extent between its discs (:func:`imaging.vertebra_discs.body_slab`), when the
        rays alone ran through an endplate: rays end at its planes.
    unknown
        Voxels whose HU says nothing of the tissue (metal and its streaks,
        :func:`imaging.metal_unknown.metal_unknown`), ROI grid, or None. The trabecular levels skip them;
        a ray that runs into them before its edge is confirmed neither stops on them as on a cortex nor
        ends there as in soft tissue: its radius is filled from its neighbours, and the share of the
        surface so filled is the result's ``inferred_fraction``.

    Returns
    -------
    StarBody or None
        None when fewer than half the rays meet a cortex standing ``MIN_CORTEX_CONTRAST_HU`` above
        the trabecular level.
    """
    dirs = fibonacci_directions(N_DIRECTIONS)
    tree = spatial.cKDTree(dirs)
    _, neighbours = tree.query(dirs, k=N_NEIGHBOURS + 1)
    rays = _Rays(dirs, neighbours[:, 1:], np.arange(0.0, RAY_LENGTH_MM + 1e-9, RAY_STEP_MM))
    region = roi.inside if allowed is None else (allowed & roi.inside)
    sp = roi.spacing_mm
    k = np.arange(-TRABECULAR_RADIUS_MM, TRABECULAR_RADIUS_MM + 1e-9, sp)
    ball = np.stack(np.meshgrid(k, k, k, indexing="ij"), axis=-1).reshape(-1, 3)
    ball = ball[np.linalg.norm(ball, axis=1) <= TRABECULAR_RADIUS_MM]
    start = np.asarray(start_lps, dtype=np.float64)
    axis_v = np.asarray(axis, dtype=np.float64)
    trace = functools.partial(
        _trace,
        roi,
        rays,
        unknown=unknown,
        smoothed=smoothed,
        sharp=sharp,
        region=region,
        canal_band=canal_band,
        ball=ball,
        axis=axis_v,
        slab=slab,
    )
    first = trace(start, trabecular_hu=None)
    if first is None:
        # the click may sit in a sclerotic spot or next to the cortex, which raises the median
        # around it to the cortex's level: retry with the darker quarter of a wider ball
        wide = _known(roi, smoothed, unknown, start + FALLBACK_BALL_SCALE * ball)
        if len(wide) > 0:
            first = trace(start, trabecular_hu=float(np.percentile(wide, 25.0)))
    if first is None:
        return None
    mask = voxelize_star(roi, first.centre, dirs, first.radii, tree) & region
    # second pass, independent of where in the body the click fell: from the first body's centre,
    # with the trabecular level of the first body's core (the click may sit in a bright or dark
    # spot, or near the cortex, where a ball around it misjudges the bone)
    box = _padded_box(mask)
    depth = ndimage.distance_transform_edt(mask[box], sampling=sp)
    core = depth >= CORE_DEPTH_MM
    if unknown is not None:
        core &= ~unknown[box]
    # (not when the field of view cuts the body: the centroid of its visible part is not its centre)
    if core.sum() * sp**3 >= 1000.0 and not roi.reaches_view_edge(mask):  # at least 1 mL of core
        trab_body = float(np.median(smoothed[box][core]))
        if trab_body < DENSE_TRABECULAR_HU:
            # osteoporotic bone: sclerotic foci raise the core's median, and the lower level (as
            # when recentring) keeps the cortex standing out of it
            trab_body = min(trab_body, first.trabecular_hu)
        second = trace(first.centre, trabecular_hu=trab_body)
        if second is not None:
            mask = voxelize_star(roi, second.centre, dirs, second.radii, tree) & region
            first = second
    return StarBody(
        centre_lps=first.centre,
        directions=dirs,
        radii_mm=first.radii,
        traced_fraction=float(first.found.mean()),
        out_of_view=np.asarray(first.left_view & ~first.found, dtype=bool),
        trabecular_hu=first.trabecular_hu,
        cortex_hu=first.cortex_hu,
        mask=mask,
        inferred_fraction=_surface_share(first.radii, first.hidden),
    )


def _surface_share(radii: FloatArray, rays: npt.NDArray[np.bool_]) -> float:
    """The share of a star's surface on the given rays (each ray's patch weighs its radius squared)."""
    if not rays.any():
        return 0.0
    w = radii**2
    total = float(w.sum())
    return float(w[rays].sum()) / total if total > 0.0 else 1.0


def _known(
    roi: LpsRoi, smoothed: npt.NDArray[np.float32], unknown: BoolArray | None, points: FloatArray
) -> FloatArray:
    """Smoothed HU at the points, those on unknown voxels (metal, streaks) left out."""
    values = roi.sample(smoothed, points)
    if unknown is None:
        return values
    out: FloatArray = values[roi.sample(unknown, points, order=0) < 0.5]
    return out


def _ball_level(
    roi: LpsRoi, smoothed: npt.NDArray[np.float32], unknown: BoolArray | None, points: FloatArray
) -> float:
    """The median smoothed HU over a ball's points, NaN when metal or streaks hide more than half of
    it (the rest may be one side of the body only)."""
    values = _known(roi, smoothed, unknown, points)
    if 2 * len(values) < len(points):
        return float("nan")
    return float(np.median(values))


def _padded_box(mask: BoolArray) -> tuple[slice, slice, slice]:
    """The mask's bounding box grown by one voxel (within the array): its depth (distance to the
    nearest voxel outside it) is the same there as over the whole array, since beyond the box every
    voxel is outside the mask and the box's outer layer is nearer than any of them. Empty: all of it."""
    if not mask.any():
        return (slice(None), slice(None), slice(None))
    lo, hi = [], []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hit = np.flatnonzero(mask.any(axis=other))
        lo.append(max(int(hit[0]) - 1, 0))
        hi.append(min(int(hit[-1]) + 2, mask.shape[axis]))
    return (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))


@dataclass(frozen=True, eq=False)
class _Rays:
    directions: FloatArray
    neighbours: npt.NDArray[np.int64]
    s_mm: FloatArray  # sample distances along a ray


@dataclass(frozen=True, eq=False)
class _Trace:
    centre: FloatArray
    radii: FloatArray
    found: npt.NDArray[np.bool_]
    left_view: npt.NDArray[np.bool_]
    trabecular_hu: float
    cortex_hu: float
    hidden: npt.NDArray[np.bool_]  # per ray: its edge was hidden by unknown voxels, its radius inferred


def _trace(
    roi: LpsRoi,
    rays: _Rays,
    start: FloatArray,
    *,
    unknown: BoolArray | None,
    smoothed: npt.NDArray[np.float32],
    sharp: npt.NDArray[np.float32],
    region: BoolArray,
    canal_band: BoolArray | None,
    ball: FloatArray,
    axis: FloatArray,
    slab: BodySlab | None,
    trabecular_hu: float | None,
) -> _Trace | None:
    """Rays from ``start`` to the cortex, recentred on the star's centroid; None when no cortex.

    The trabecular level is ``trabecular_hu`` when given, else the median in ``ball`` around the
    centre (the lower of the start's and the recentred one's).
    """
    dirs, s = rays.directions, rays.s_mm
    centre = start
    trab = trabecular_hu
    if trab is None:
        trab = _ball_level(roi, smoothed, unknown, centre + ball)
        if not np.isfinite(trab):
            return None
    result: _Trace | None = None
    for it in range(RECENTRE_ITERATIONS + 1):
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
        # unknown samples (metal, streaks) read as the body's own trabecular bone: no cortex, no gap
        unk = np.zeros(prof.shape, dtype=bool) if unknown is None else roi.sample(unknown, pts, order=0) > 0.5
        beyond |= unk
        prof = np.where(beyond, trab, prof)
        prof_sharp = np.where(beyond, trab, prof_sharp)
        maxima = prof.max(axis=1)
        # the typical cortical peak, from rays not stopped early by the cut or the field of view
        full_length = limit >= len(s) - 1
        cortex = float(np.median(maxima[full_length] if full_length.sum() >= 0.1 * len(s) else maxima))
        if cortex - trab < MIN_CORTEX_CONTRAST_HU:
            return result
        level = trab + 0.5 * (cortex - trab)
        outside = DENSE_OUTSIDE_HU if trab >= DENSE_TRABECULAR_HU else None
        edge, found = ray_edges(prof, prof_sharp, level, outside, cortex)
        hidden = _hidden(unk, edge, found, limit)
        found &= ~hidden
        edge = np.minimum(np.where(found, edge, np.inf), limit.astype(np.float64))
        edge[hidden] = np.nan
        at_cut = ~found & (limit < len(s) - 1) & ~left_view & ~hidden
        if canal_band is None:
            at_cut[:] = False
        else:
            at_cut &= roi.sample(canal_band, pts[np.arange(len(dirs)), stop], order=0) > 0.5
        edge = np.where(at_cut, _canal_entry(prof, limit, _canal_dark_hu(trab), edge), edge)
        ended = np.isfinite(edge) & (found | (limit < len(s) - 1))
        # the body is enclosed when half the rays seen end at its edge
        if hidden.all() or ended[~hidden].mean() < 0.5:
            return result
        # a ray stopped by the field of view says nothing of the body's shape beyond it: it does not
        # repair its neighbours (its length there is the view's, not the body's), and is repaired from
        # them up to the view's edge
        cut_view = left_view & ~found
        radii = repair_radii(
            np.where(ended, edge, 0.0) * RAY_STEP_MM, ended & ~cut_view & ~hidden, rays.neighbours
        )
        radii = np.where(cut_view, np.minimum(radii, limit * RAY_STEP_MM), radii)
        radii = clamp_caps(dirs, radii, axis)
        if slab is not None:
            radii = clamp_to_slab(dirs, radii, centre, slab)
        result = _Trace(centre, radii, found, left_view, trab, cortex, hidden)
        offset = star_centroid_offset(dirs, radii)
        if float(np.linalg.norm(offset)) < 1.0 or it == RECENTRE_ITERATIONS:
            break
        # the radii are those from this centre: the next pass starts from the star's centroid
        centre = centre + offset
        if trabecular_hu is None:
            trab_new = _ball_level(roi, smoothed, unknown, centre + ball)
            trab = min(trab, trab_new) if np.isfinite(trab_new) else trab
    return result


def _hidden(
    unk: npt.NDArray[np.bool_], edge: FloatArray, found: npt.NDArray[np.bool_], limit: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Rays whose edge unknown voxels hide: a ray that met them before its limit and found no edge (the
    edge may lie among them), or whose edge's gap (``OUTSIDE_GAP_MM`` after it, which tells a cortex
    from a bright focus inside the body) runs into them. An edge found beyond them, with its gap seen,
    is seen: the ray looked through a rod or a streak at the cortex behind it (one far from its
    neighbours' is repaired as any)."""
    n_rays, n_s = unk.shape
    if not unk.any():
        return np.zeros(n_rays, dtype=bool)
    met = (unk & (np.arange(n_s)[None, :] <= limit[:, None])).any(axis=1)
    gap = round(OUTSIDE_GAP_MM / RAY_STEP_MM)
    csum = np.concatenate([np.zeros((n_rays, 1), dtype=np.int64), np.cumsum(unk, axis=1)], axis=1)
    e0 = np.clip(np.floor(np.nan_to_num(edge, nan=0.0, posinf=0.0)).astype(np.int64), 0, n_s - 1)
    e1 = np.clip(e0 + gap + 1, 0, n_s)
    in_gap = (csum[np.arange(n_rays), e1] - csum[np.arange(n_rays), e0]) > 0
    out: npt.NDArray[np.bool_] = np.where(found, in_gap, met)
    return out


def _canal_dark_hu(trabecular_hu: float) -> float:
    """Below this (HU) a ray behind the body reads the canal's contents, not bone.

    Half-way between the canal's contents and the body's trabecular bone, floored at the cord's and
    roots' 30-40 HU, as the canal search's own limit (:mod:`imaging.vertebra_canal`).
    """
    return max(CANAL_DARK_FLOOR_HU, 0.5 * (trabecular_hu + CANAL_CONTENT_HU))


def _canal_entry(
    prof: FloatArray, limit: npt.NDArray[np.int64], dark_hu: float, edge: FloatArray
) -> FloatArray:
    """Where each ray enters a dark run that lasts to its limit (index units), else ``edge``.

    The run must be at least ``CANAL_RUN_MM`` long and start after some bone (a ray that starts in
    the dark is left alone); the entry is the sub-sample crossing of ``dark_hu``.
    """
    run = round(CANAL_RUN_MM / RAY_STEP_MM)
    out = edge.copy()
    n_s = prof.shape[1]
    bright = (prof >= dark_hu) & (np.arange(n_s)[None, :] <= limit[:, None])
    # the last bone sample up to each ray's limit; all beyond it up to the limit is dark
    last_bright = n_s - 1 - np.argmax(bright[:, ::-1], axis=1)
    rays = np.flatnonzero(np.isfinite(edge) & bright.any(axis=1) & (limit - last_bright >= run))
    j = last_bright[rays]
    p_j, p_next = prof[rays, j], prof[rays, j + 1]
    step = p_j - p_next
    frac = np.full(len(rays), 0.5)
    falls = step > 0
    frac[falls] = (p_j[falls] - dark_hu) / step[falls]
    out[rays] = np.minimum(edge[rays], j + np.clip(frac, 0.0, 1.0))
    return out
