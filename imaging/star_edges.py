"""Where a ray from inside a vertebral body leaves it: the body's edge on HU profiles along the rays.

Used by :mod:`imaging.vertebra_star`. Each row of ``profiles`` is the HU sampled along one ray from a
point inside the body, ``RAY_STEP_MM`` apart; edges are returned in index units along the ray (sample
steps; times ``RAY_STEP_MM`` for mm). On each ray the body ends at the outer half-maximum edge of the
first cortical peak followed by soft tissue (:func:`ray_edges`); in dense trabecular bone, clearly
brighter than soft tissue, it ends where soft tissue begins. HU smoothed (to find runs) and lightly
smoothed (to place edges).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "DENSE_OUTSIDE_HU",
    "DENSE_OUTSIDE_MM",
    "DENSE_TRABECULAR_HU",
    "NEVER_IN_BODY_HU",
    "OUTSIDE_GAP_MM",
    "RAY_STEP_MM",
    "SOFT_TISSUE_HU",
    "STRONG_CORTEX_CONTRAST_HU",
    "ray_edges",
]

FloatArray = npt.NDArray[np.float64]

#: ray sample step (mm): the unit of the edges' index
RAY_STEP_MM = 0.5

#: a cortical peak is followed by at least this much outside the body (mm); shorter dips are inside
OUTSIDE_GAP_MM = 4.0
#: trabecular bone at least this dense is not osteoporotic (CLINICAL.md: < 135 HU suggests
#: osteoporosis); such bone is told from the tissue around the body by its HU, so a cortical peak
#: ends the body only where soft tissue follows it (see :func:`ray_edges`)
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


def ray_edges(
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

    Parameters
    ----------
    profiles
        Smoothed HU along each ray, ``(n_rays, n_samples)``, ``RAY_STEP_MM`` apart from the start.
    sharp
        Lightly smoothed HU on the same samples (places the edge).
    level_c
        The cortex level (HU): half-way between the trabecular bone and the typical cortical peak.
    outside_hu
        In dense trabecular bone, the HU below which the ray is outside the body; None otherwise.
    cortex_hu
        The typical cortical peak (HU); with ``outside_hu``, a peak this bright followed by a gap
        also ends the body.

    Returns
    -------
    tuple of ndarray
        The edge on each ray (index units, NaN where none) and whether the ray met one.
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
