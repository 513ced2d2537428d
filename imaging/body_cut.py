"""Where the vertebral body ends posteriorly: the spinal canal's anterior boundary, as a cut.

:func:`cut_from_canal` builds a :class:`PosteriorCut` from the canal's points: in a frame of origin,
posterior and left unit vectors, the body lies where ``t <= front_t(u)`` (``t`` posterior, ``u`` left,
mm), tabulated on 1 mm ``u`` bins. Positions LPS mm, frame coordinates mm. Used by
:mod:`imaging.vertebra` (to build it) and :mod:`imaging.vertebra_body` (to keep the body in front).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

__all__ = ["PosteriorCut", "cut_from_canal"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PosteriorCut:
    """Where the body ends posteriorly: ``t <= front_t(u)`` in a frame (origin, posterior p, left l).

    ``front_t`` is tabulated on ``u`` bins of 1 mm from ``u0_mm``; beyond the table the edge values
    hold. Built from the spinal canal's anterior boundary (the posterior vertebral wall), which it
    follows across ``canal_u_mm`` (lateral to it, where the pedicles join the body, it holds the
    most posterior central value).
    """

    origin_lps: FloatArray
    posterior: FloatArray
    left: FloatArray
    u0_mm: float
    front_t_mm: FloatArray
    canal_u_mm: tuple[float, float] = (-np.inf, np.inf)

    def allowed(self, points_lps: FloatArray) -> npt.NDArray[np.bool_]:
        """True where points lie anterior to the cut."""
        rel = points_lps - self.origin_lps
        u = rel @ self.left
        t = rel @ self.posterior
        k = np.clip(np.rint(u - self.u0_mm).astype(int), 0, len(self.front_t_mm) - 1)
        out: npt.NDArray[np.bool_] = t <= self.front_t_mm[k]
        return out

    def depth_in_front_mm(self, point_lps: FloatArray) -> float:
        """How far (mm) a point lies in front of the cut, along ``-posterior`` (negative: behind it)."""
        rel = np.asarray(point_lps, dtype=np.float64) - self.origin_lps
        k = int(np.clip(np.rint(float(rel @ self.left) - self.u0_mm), 0, len(self.front_t_mm) - 1))
        return float(self.front_t_mm[k] - rel @ self.posterior)

    def across_canal(self, points_lps: FloatArray) -> npt.NDArray[np.bool_]:
        """True where points lie within the canal's width (``canal_u_mm``), where the cut is its front."""
        u = (points_lps - self.origin_lps) @ self.left
        out: npt.NDArray[np.bool_] = (u >= self.canal_u_mm[0]) & (u <= self.canal_u_mm[1])
        return out


def cut_from_canal(
    canal_points_lps: FloatArray,
    origin_lps: FloatArray,
    posterior: FloatArray,
    left: FloatArray,
    *,
    axis: FloatArray,
    half_height_mm: float,
) -> PosteriorCut | None:
    """The body's posterior limit from the canal: its anterior boundary, extended laterally.

    Only canal points within ``half_height_mm`` of the origin along ``axis`` count (at disc level
    the canal's front is the disc, not the body). Each 1 mm slab across the axis gives a front per
    lateral bin; the median over slabs is the limit. Within the central 70 % of the canal's width the
    limit follows that front (the posterior wall); lateral to it, where the pedicles join the body,
    it keeps the most posterior central value (the posterolateral corners of the body).
    """
    rel_all = canal_points_lps - origin_lps
    in_slab = np.abs(rel_all @ axis) <= half_height_mm
    rel = rel_all[in_slab]
    if len(rel) < 10:
        return None
    u = rel @ left
    t = rel @ posterior
    v = np.rint(rel @ axis).astype(int)
    u0 = float(np.floor(u.min()))
    bins = np.rint(u - u0).astype(int)
    n = int(bins.max()) + 1
    slabs = np.unique(v)
    fronts = np.full((len(slabs), n), np.inf)
    for row, slab in enumerate(slabs):
        sel = v == slab
        np.minimum.at(fronts[row], bins[sel], t[sel])
    finite = np.isfinite(fronts)
    counts = finite.sum(axis=0)
    valid = counts >= max(1, len(slabs) // 3)
    if valid.sum() < 3:
        return None
    front = np.full(n, np.inf)
    for b in np.flatnonzero(valid):
        front[b] = float(np.median(fronts[finite[:, b], b]))
    centre = 0.5 * (u.min() + u.max())
    half_width = 0.5 * (u.max() - u.min())
    u_bins = u0 + np.arange(n)
    central = valid & (np.abs(u_bins - centre) <= 0.7 * half_width)
    if not central.any():
        central = valid
    edge_t = float(front[central].max())
    table = np.where(central, front, edge_t)
    table = np.minimum(table, edge_t)
    table = ndimage.median_filter(table, size=3, mode="nearest") + 0.5
    # one bin each side holds the edge value beyond the table
    table = np.concatenate([[edge_t + 0.5], table, [edge_t + 0.5]])
    central_u = u_bins[central]
    return PosteriorCut(
        origin_lps=np.asarray(origin_lps, dtype=np.float64),
        posterior=posterior,
        left=left,
        u0_mm=u0 - 1.0,
        front_t_mm=table,
        canal_u_mm=(float(central_u.min()) - 0.5, float(central_u.max()) + 0.5),
    )
