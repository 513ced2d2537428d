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

import functools
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
#: when no cortex stands out of the trabecular level read around the click, that level is read
#: again over a ball this many times wider (8 mm: wider than a sclerotic focus or the cortex's blur)
FALLBACK_BALL_SCALE = 2.0
#: the body's trabecular level for the second pass is read deeper than this inside the first body
#: (mm): away from the cortex and its partial volume
CORE_DEPTH_MM = 3.0
#: trabecular bone at least this dense is not osteoporotic (CLINICAL.md: < 135 HU suggests
#: osteoporosis); such bone is told from the tissue around the body by its HU, so a cortical peak
#: ends the body only where soft tissue follows it (see ``_edges``)
DENSE_TRABECULAR_HU = 135.0
#: soft tissue around a vertebral body (HU): muscle 40-60, disc 70-100, canal fluid 0-20, fat below
SOFT_TISSUE_HU = 40.0
#: in dense bone, a cortical peak at least this far above the trabecular bone (HU) ends the body even
#: where bone follows it (a pedicle): no trabecula is that bright once smoothed (cortical bone is
#: 1000-2000 HU by CLINICAL.md; thin cortex on 2-3 mm slices reads 250-600)
STRONG_CORTEX_CONTRAST_HU = 200.0
#: in dense bone, the body ends where HU drops below half-way between soft tissue and the least
#: dense bone that counts as dense (not half-way to the body's own median: bodies are not uniform,
#: and a less dense anterior part, 100-130 HU beside a 200 HU core, is still bone)
DENSE_OUTSIDE_HU = 0.5 * (SOFT_TISSUE_HU + DENSE_TRABECULAR_HU)
#: tissue below this (HU) is fat, lung or air, never inside a vertebral body (CLINICAL.md: lytic lesions
#: are of soft-tissue density, roughly 0-100 HU; fat is -100 to -50)
NEVER_IN_BODY_HU = -50.0
#: in dense bone, soft tissue this long ends the body (mm): longer than the smoothing's reach
#: (noise in trabecular bone dips below the soft-tissue level over shorter stretches)
DENSE_OUTSIDE_MM = 2.0


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
    profiles: FloatArray,
    sharp: FloatArray,
    level_c: float,
    outside_hu: float | None = None,
    cortex_hu: float | None = None,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Body edge (index units) on each ray: the outer half-maximum of its cortical peak.

    The cortical peak is the first run of samples above ``level_c`` that is followed by at least
    ``OUTSIDE_GAP_MM`` below it (the disc, muscle, fat, canal outside the body); runs followed by a
    shorter dip are inside the body (a sclerotic focus, a blastic lesion, dense trabeculae) and the
    ray goes on. Runs are found on the smoothed ``profiles``; the edge is placed on the ``sharp``
    ones (smoothing widens a thin cortex and would push its half-maximum outward).

    With ``outside_hu`` (dense trabecular bone, clearly brighter than soft tissue) see
    :func:`_dense_edges` instead.
    """
    if outside_hu is not None:
        return _dense_edges(profiles, sharp, level_c, outside_hu, cortex_hu)
    n_rays, n_s = profiles.shape
    above = profiles >= level_c
    gap = round(OUTSIDE_GAP_MM / RAY_STEP_MM)
    edge: FloatArray = np.full(n_rays, np.nan)
    found = np.zeros(n_rays, dtype=bool)
    for ray in np.flatnonzero(above.any(axis=1)):
        runs = _runs(above[ray])
        chosen: tuple[int, int] | None = None
        for k, (a, b) in enumerate(runs):
            next_start = runs[k + 1][0] if k + 1 < len(runs) else n_s
            if a == 0 and next_start < n_s:
                continue  # the start lies inside the body: a bright focus around it is no cortex
            if next_start - b - 1 >= gap or next_start == n_s:
                chosen = (a, b)
                break
        if chosen is None:
            continue
        found[ray] = True
        edge[ray] = _half_maximum_edge(sharp[ray], chosen[0], chosen[1], n_s)
    return edge, found


def _runs(flags: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """The runs of True in ``flags``: ``(first, last)`` indices, in order."""
    change = np.flatnonzero(np.diff(flags.astype(np.int8)))
    starts = ([0] if flags[0] else []) + [int(c) + 1 for c in change if not flags[c]]
    ends = [int(c) for c in change if flags[c]]
    if len(ends) < len(starts):
        ends.append(len(flags) - 1)
    return list(zip(starts, ends, strict=True))


def _half_maximum_edge(prof: FloatArray, a: int, b: int, look_end: int) -> float:
    """The outer half-maximum (index units) of the peak of ``prof[a:b+1]``, against the minimum that
    follows it within 4 mm (and before ``look_end``)."""
    n_s = len(prof)
    ip = a + int(np.argmax(prof[a : b + 1]))
    tail = prof[ip : min(n_s, ip + round(4.0 / RAY_STEP_MM) + 1, max(look_end, ip + 1))]
    half = 0.5 * (float(prof[ip]) + float(tail.min()))
    j = ip
    while j + 1 < n_s and prof[j + 1] >= half:
        j += 1
    if j + 1 >= n_s:
        return float(j)
    lo_v, hi_v = float(prof[j]), float(prof[j + 1])
    return j + ((lo_v - half) / (lo_v - hi_v) if lo_v != hi_v else 0.0)


def _dense_edges(
    profiles: FloatArray, sharp: FloatArray, level_c: float, outside_hu: float, cortex_hu: float | None
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Body edges in dense trabecular bone: where soft tissue begins.

    Trabecular bone clearly brighter than soft tissue is told from the outside by its HU: the ray
    leaves the body where the smoothed profile first stays below ``outside_hu`` for
    ``DENSE_OUTSIDE_MM``. Bright trabeculae and the dips between them before that are bone, however
    long. Soft tissue inside the body is a lytic lesion, so a stretch of it ends the body only when a
    cortex (a level above ``level_c``) comes within ``OUTSIDE_GAP_MM`` before it, or fat, lung or air
    (below ``NEVER_IN_BODY_HU``) within that distance after its start; a ray with no such stretch is
    left to its neighbours (a lesion through the cortex is bridged with the body's shape). The edge
    is the outer half-maximum of the brightest level (the cortex, or where it is thin or broken the
    last bone) within ``OUTSIDE_GAP_MM`` before the soft tissue.

    A cortex as bright as the typical cortical peak (``cortex_hu``, when given) followed by
    ``OUTSIDE_GAP_MM`` below ``level_c`` also ends the body: bone joined to the body beyond its
    cortex (a pedicle, a rib head across a closed joint) is not the body.
    """
    n_rays, n_s = profiles.shape
    run = max(1, round(DENSE_OUTSIDE_MM / RAY_STEP_MM))
    soft = (profiles < outside_hu).astype(np.int32)
    csum = np.concatenate([np.zeros((n_rays, 1), dtype=np.int32), np.cumsum(soft, axis=1)], axis=1)
    window = csum[:, run:] - csum[:, :-run]  # soft samples in [i, i + run)
    starts_soft = window >= run
    back = round(OUTSIDE_GAP_MM / RAY_STEP_MM)
    edge: FloatArray = np.full(n_rays, np.nan)
    found = np.zeros(n_rays, dtype=bool)
    # where each stretch of soft tissue begins
    begins = starts_soft & ~np.concatenate([np.zeros((n_rays, 1), dtype=bool), starts_soft[:, :-1]], axis=1)
    for ray in np.flatnonzero(begins.any(axis=1)):
        for j0 in np.flatnonzero(begins[ray]):
            j = int(j0)
            # soft tissue inside the body is a lytic lesion: the body ends only where a cortex comes
            # before it, or where the tissue beyond is fat, lung or air (never inside a body)
            cortex_before = j > 0 and float(profiles[ray, max(0, j - back) : j].max()) >= level_c
            fat_beyond = float(profiles[ray, j : min(n_s, j + back + 1)].min()) < NEVER_IN_BODY_HU
            if not (cortex_before or fat_beyond):
                continue
            found[ray] = True
            if j == 0:
                edge[ray] = 0.0
                break
            # the cortex is the brightest level within OUTSIDE_GAP_MM before the soft tissue
            a = max(0, j - back)
            edge[ray] = min(_half_maximum_edge(sharp[ray], a, j - 1, j + run), float(j + run))
            break
    if cortex_hu is None:
        return edge, found
    above = profiles >= level_c
    # oblique rays meet the cortex blurred, below its typical peak; and a peak this little above the
    # trabecular bone may be a trabecula (dense bone on thick slices: cortex 250-300 HU over 160-200)
    trab = 2.0 * level_c - cortex_hu
    strong = max(0.5 * (level_c + cortex_hu), trab + STRONG_CORTEX_CONTRAST_HU)
    for ray in np.flatnonzero(above.any(axis=1)):
        runs = [(a, b) for a, b in _runs(above[ray]) if a > 0]  # a run at the start is inside
        for k, (a, b) in enumerate(runs):
            next_start = runs[k + 1][0] if k + 1 < len(runs) else n_s
            if next_start - b - 1 < back or profiles[ray, a : b + 1].max() < strong:
                continue
            e = _half_maximum_edge(sharp[ray], a, b, n_s)
            if not found[ray] or e < edge[ray]:
                edge[ray] = e
                found[ray] = True
            break
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
    rays = _Rays(dirs, neighbours[:, 1:], np.arange(0.0, RAY_LENGTH_MM + 1e-9, RAY_STEP_MM))
    region = roi.inside if allowed is None else (allowed & roi.inside)
    sp = roi.spacing_mm
    k = np.arange(-TRABECULAR_RADIUS_MM, TRABECULAR_RADIUS_MM + 1e-9, sp)
    ball = np.stack(np.meshgrid(k, k, k, indexing="ij"), axis=-1).reshape(-1, 3)
    ball = ball[np.linalg.norm(ball, axis=1) <= TRABECULAR_RADIUS_MM]
    start = np.asarray(start_lps, dtype=np.float64)
    axis_v = np.asarray(axis, dtype=np.float64)
    trace = functools.partial(
        _trace, roi, rays, smoothed=smoothed, sharp=sharp, region=region, ball=ball, axis=axis_v, slab=slab
    )
    first = trace(start, trabecular_hu=None)
    if first is None:
        # the click may sit in a sclerotic spot or next to the cortex, which raises the median
        # around it to the cortex's level: retry with the darker quarter of a wider ball
        wide = roi.sample(smoothed, start + FALLBACK_BALL_SCALE * ball)
        first = trace(start, trabecular_hu=float(np.percentile(wide, 25.0)))
    if first is None:
        return None
    mask = _voxelize(roi, first.centre, dirs, first.radii, tree) & region
    # second pass, independent of where in the body the click fell: from the first body's centre,
    # with the trabecular level of the first body's core (the click may sit in a bright or dark
    # spot, or near the cortex, where a ball around it misjudges the bone)
    depth = ndimage.distance_transform_edt(mask, sampling=sp)
    core = depth >= CORE_DEPTH_MM
    # (not when the field of view cuts the body: the centroid of its visible part is not its centre)
    if core.sum() * sp**3 >= 1000.0 and not roi.reaches_view_edge(mask):  # at least 1 mL of core
        trab_body = float(np.median(smoothed[core]))
        if trab_body < DENSE_TRABECULAR_HU:
            # osteoporotic bone: sclerotic foci raise the core's median, and the lower level (as
            # when recentring) keeps the cortex standing out of it
            trab_body = min(trab_body, first.trabecular_hu)
        second = trace(first.centre, trabecular_hu=trab_body)
        if second is not None:
            mask = _voxelize(roi, second.centre, dirs, second.radii, tree) & region
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
    )


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


def _trace(
    roi: LpsRoi,
    rays: _Rays,
    start: FloatArray,
    *,
    smoothed: npt.NDArray[np.float32],
    sharp: npt.NDArray[np.float32],
    region: BoolArray,
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
        trab = float(np.median(roi.sample(smoothed, centre + ball)))
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
        edge, found = _edges(prof, prof_sharp, level, outside, cortex)
        edge = np.minimum(np.where(found, edge, np.inf), limit.astype(np.float64))
        ended = np.isfinite(edge) & (found | (limit < len(s) - 1))
        if ended.mean() < 0.5:
            return result
        # a ray stopped by the field of view says nothing of the body's shape beyond it: it does not
        # repair its neighbours (its length there is the view's, not the body's), and is repaired from
        # them up to the view's edge
        cut_view = left_view & ~found
        radii = _repair(np.where(ended, edge, 0.0) * RAY_STEP_MM, ended & ~cut_view, rays.neighbours)
        radii = np.where(cut_view, np.minimum(radii, limit * RAY_STEP_MM), radii)
        radii = _clamp_caps(dirs, radii, axis)
        if slab is not None:
            radii = clamp_to_slab(dirs, radii, centre, slab)
        result = _Trace(centre, radii, found, left_view, trab, cortex)
        offset = _star_centroid_offset(dirs, radii)
        if float(np.linalg.norm(offset)) < 1.0 or it == RECENTRE_ITERATIONS:
            break
        # the radii are those from this centre: the next pass starts from the star's centroid
        centre = centre + offset
        if trabecular_hu is None:
            trab_new = float(np.median(roi.sample(smoothed, centre + ball)))
            trab = min(trab, trab_new) if np.isfinite(trab_new) else trab
    return result


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
