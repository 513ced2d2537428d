"""An end plate's plane read on the columns' mean profile, where the edge is too faint for single columns.

Between abdomen T12 and L1 (3 mm slices) the disc is thin and reads 100-130 HU beside end plates of 140-190
HU: the fall from the end plate into the disc is 35-60 HU on the columns' mean profile, below what one
column's noise lets :mod:`imaging.endplate_edge` read (80 HU), so the edge showed on under a third of the
columns and the plane fell back to the mask's slice steps, whose tilt swung 19-22 degrees with the click
(tests/benchmarks/endplate_click_spread.py). Averaged over the plate, the noise falls and the edge shows;
but only where the columns are lined up along the plate's own tilt. So the plane is the one along which the
columns' mean profile falls most steeply from the end plate into the disc: each candidate tilt shifts every
column's profile by the plane's height there, and the mean of the shifted profiles is sharpest when the
shifts follow the plate (misaligned columns blur the mean's edge). The edge on that mean is read as in
:mod:`imaging.endplate_edge` (half way from the end plate's brightest value to the disc's darkest), but the
disc's darkest is the first low point after the brightest (a thin disc's dip, not the next body's bone).

The plate's footprint is cut into 3 x 3 blocks of about equal numbers of columns (front, middle, back by
left, middle, right); the fit is repeated with each block left out (a block jackknife:
:mod:`imaging.endplate_fit` turns these planes into the tilt's uncertainty), and the mean's fall must stand
out from how much it changes between those fits (3 standard errors, the outlier rule of
:mod:`imaging.endplate_edge`), else no plane is given. Positions LPS mm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage

from imaging.endplate_edge import (
    INSIDE_REACH_MM,
    MIN_EDGE_POINTS,
    OUTLIER_SDS,
    OUTSIDE_REACH_MM,
    PEAK_REACH_MM,
    PROFILE_SIGMA_MM,
    STEP_MM,
    PlateColumns,
)
from imaging.vertebra_roi import OUTSIDE_HU, sample_source_hu
from imaging.volume import Volume

__all__ = ["BLOCKS_PER_SIDE", "MeanEdgeFit", "mean_edge_plane", "plate_blocks"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: the plate is cut into this many bands each way for the block jackknife (front / middle / back by left /
#: middle / right: one block holds one part of the plate, such as an osteophyte's corner or a Schmorl's node)
BLOCKS_PER_SIDE = 3
#: tilts of the plate against the body's axis searched (degrees, each way): the axis is the mean of the two
#: plates' normals, so a plate departs from it by half the body's wedge; 30 covers a 60-degree wedge, more
#: than any body the search accepts
MAX_TILT_FROM_AXIS_DEG = 30.0
#: the search's steps (degrees): a coarse grid over the whole range, then finer grids (step, reach) around
#: the best; the block-left-out fits start from the whole plate's tilts with the last two
COARSE_STEP_DEG = 3.0
FINE_GRIDS_DEG: tuple[tuple[float, float], ...] = ((1.0, 3.0), (0.5, 3.0), (0.25, 0.5))
#: the mean profiles of this many tilts or more are summed column by column; of fewer, their columns' windows
#: are gathered at once, this many values (8 bytes each) at a time (the faster ways, both sums in the same
#: order: the columns')
_ROW_BY_ROW_TILTS = 100
_GATHER_VALUES = 1_000_000
#: tilts whose sharpness, summed at once, lies within this share of the most are summed again one by one:
#: the two sums of the same (at most a window's worth of) squares differ by about 1e-14 of it
_SCREEN = 1e-9


class MeanEdgeFit:
    """The plane's points over the columns, and its points refitted with each block left out."""

    def __init__(self, points: FloatArray, left_out: list[FloatArray], fall_hu: float) -> None:
        self.points = points
        self.left_out = left_out
        self.fall_hu = fall_hu


def plate_blocks(uv: FloatArray) -> IntArray:
    """Each column's block (0 .. BLOCKS_PER_SIDE**2 - 1): bands of about equal counts along u and along v."""
    n = BLOCKS_PER_SIDE
    qu = np.quantile(uv[:, 0], np.linspace(0.0, 1.0, n + 1)[1:-1])
    qv = np.quantile(uv[:, 1], np.linspace(0.0, 1.0, n + 1)[1:-1])
    out: IntArray = (np.searchsorted(qu, uv[:, 0]) * n + np.searchsorted(qv, uv[:, 1])).astype(np.int64)
    return out


def mean_edge_plane(volume: Volume, cols: PlateColumns, *, jackknife: bool = True) -> MeanEdgeFit | None:
    """The end plate's plane from the columns' mean profile (see the module), or None without a clear edge.
    ``jackknife`` False skips the block-left-out fits and the test of the fall against them (no
    ``left_out``): the plane alone, a third of the time (imaging.endplate_fit's tipped reads)."""
    uv = cols.uv
    if len(uv) < MIN_EDGE_POINTS:
        return None
    # profiles on one line of heights for all columns, around the mask's usual end: the window read for any
    # tilt (the column method's reach) plus the largest shift a searched tilt gives at the plate's rim
    s0 = float(np.median(cols.end * cols.sign))
    half = round(max(INSIDE_REACH_MM, OUTSIDE_REACH_MM) / STEP_MM)
    rim = float(np.abs(uv).sum(axis=1).max()) * math.tan(math.radians(MAX_TILT_FROM_AXIS_DEG))
    margin = math.ceil(rim / STEP_MM)
    s = s0 + STEP_MM * np.arange(-(half + margin), half + margin + 1)
    line = cols.points(uv, np.zeros(len(uv)))[:, None, :] + cols.sign * s[None, :, None] * cols.axis
    hu = sample_source_hu(volume, line)
    inside = np.all(hu > OUTSIDE_HU + 1.0, axis=1)
    if inside.sum() < MIN_EDGE_POINTS:
        return None
    uv, hu = uv[inside], hu[inside]
    hu = ndimage.gaussian_filter1d(hu, PROFILE_SIGMA_MM / STEP_MM, axis=1, mode="nearest")
    window = np.arange(-half, half + 1)
    search = _Search(uv, hu, half + margin, window)
    tilt = search.best()
    found = search.edge(tilt)
    if found is None:
        return None
    level, fall = found
    if not jackknife:
        return MeanEdgeFit(_plane_points(cols, uv, s0, tilt, level), [], fall)
    blocks = plate_blocks(uv)
    left_out: list[FloatArray] = []
    falls: list[float] = []
    for k in range(BLOCKS_PER_SIDE**2):
        rest = blocks != k
        if rest.sum() < MIN_EDGE_POINTS:
            continue
        part = search.subset(rest)
        t_k = part.best(around=tilt)
        e_k = part.edge(t_k)
        if e_k is None:
            return None
        left_out.append(_plane_points(cols, uv, s0, t_k, e_k[0]))
        falls.append(e_k[1])
    # the fall must stand out from its own spread over the block-left-out fits (jackknife standard error)
    m = len(falls)
    spread = float(np.sum((np.array(falls) - np.mean(falls)) ** 2))
    se = math.sqrt((m - 1) / m * spread) if m > 1 else math.inf
    if fall < OUTLIER_SDS * se:
        return None
    return MeanEdgeFit(_plane_points(cols, uv, s0, tilt, level), left_out, fall)


def _plane_points(
    cols: PlateColumns, uv: FloatArray, s0: float, tilt: tuple[float, float], level: float
) -> FloatArray:
    """Points over the columns on the plane at ``level`` (mm outwards from ``s0``) with slopes ``tilt``."""
    slope_u, slope_v = math.tan(math.radians(tilt[0])), math.tan(math.radians(tilt[1]))
    outward = s0 + level + slope_u * uv[:, 0] + slope_v * uv[:, 1]
    return cols.points(uv, cols.sign * outward)


class _Search:
    """The columns' profiles shifted by a plane's heights; the mean profile's sharpness and edge.

    The mean profiles of many tilts are read at once (:meth:`means`: summed over the columns in their order,
    as one tilt's mean is, the same sums to the bit), and each tilt's profile and sharpness are kept (the
    finer grids of :meth:`best` come back to tilts read before)."""

    def __init__(self, uv: FloatArray, hu: FloatArray, mid: int, window: IntArray) -> None:
        self.uv, self.hu, self.mid, self.window = uv, hu, mid, window
        self.peak_end = int(np.searchsorted(window * STEP_MM, PEAK_REACH_MM, side="right"))
        # each column's windows of the profile, by where they start: (columns, starts, window) (a view)
        self._windows = sliding_window_view(hu, len(window), axis=1)
        # each tilt read: its mean profile, its sharpness summed at once, and (near the most) as said
        self._profiles: dict[tuple[float, float], FloatArray] = {}
        self._rough: dict[tuple[float, float], float] = {}
        self._sharpness: dict[tuple[float, float], float] = {}

    def subset(self, rows: npt.NDArray[np.bool_]) -> _Search:
        """The same search over the columns ``rows`` only."""
        return _Search(self.uv[rows], self.hu[rows], self.mid, self.window)

    def means(self, tilts: Sequence[tuple[float, float]]) -> FloatArray:
        """``(len(tilts), window)``: the columns' mean profile for each tilt, its columns shifted by the
        tilt's plane (heights rounded to the profile's step). Each value is the sum over the columns in their
        order, divided by their number, as ``mean(axis=0)`` of one tilt's ``(columns, window)`` gives it."""
        uv = self.uv
        slopes = np.array([(math.tan(math.radians(a)), math.tan(math.radians(b))) for a, b in tilts])
        shift = slopes[:, :1] * uv[:, 0] + slopes[:, 1:] * uv[:, 1]
        k = np.rint(shift / STEP_MM).astype(np.int64)
        # where each column's window starts, (columns, tilts)
        start = np.ascontiguousarray((self.mid + int(self.window[0]) + k).T)
        n = len(uv)
        if len(tilts) >= _ROW_BY_ROW_TILTS:
            # column by column: all tilts' windows of one column added to the running sum
            acc: FloatArray = self._windows[0][start[0]]
            for r in range(1, n):
                acc += self._windows[r][start[r]]
            acc /= n
            return acc
        out: FloatArray = np.empty((len(tilts), len(self.window)))
        batch = max(1, _GATHER_VALUES // max(1, n * len(self.window)))
        col = np.arange(n)[:, None]
        for b0 in range(0, len(tilts), batch):
            out[b0 : b0 + batch] = self._windows[col, start[:, b0 : b0 + batch]].mean(axis=0)
        return out

    def _peak_dark(self, profile: FloatArray) -> tuple[int, int]:
        # the end plate's brightest point up to just beyond the mask's usual end (as
        # imaging.endplate_edge._edge reads one column); the disc's darkest is the first low point after it,
        # where the fall first stops: a thin disc between bright bones (chest, 2 mm slices) dips to about
        # 200 HU, then the next body's plate climbs back and its bone falls further, darker than the disc.
        # The darkest over the whole run then lay in that bone, and the sharpness summed that body's rise
        # and fall too: the tilt followed its plates as well (chest T8 superior: columns tipped 3 degrees
        # read planes 5-6 degrees off the straight read at five of eight clicks, the straight read's own
        # block-left-out fits at two: ± 5.0-6.25 for tilts within 1 degree of each other; with the first low
        # point ± 0.76-2.67). It also stops before a climb above the peak, the next body's end plate across
        # a disc too thin to show, which an earlier stop there was for (chest T7 superior: the mean rose from
        # 233 HU on T7's plate to 251 on T6's, 3 mm out, then fell to 185 in T6; the "edge" read there lay
        # 5 mm above T7's plate)
        peak = int(np.argmax(profile[: self.peak_end]))
        rises = np.nonzero(np.diff(profile[peak:]) >= 0.0)[0]
        return peak, (peak + int(rises[0])) if len(rises) else len(profile) - 1

    def _sharpness_of(self, profile: FloatArray) -> float:
        """How sharply the mean profile falls from the end plate's peak to the disc's first low point: the sum
        of its squared steps there, all falling (for one fall, largest when the fall is steepest; smoother
        over tilts than the single steepest step, whose column shifts are rounded to the profile's step)."""
        peak, dark = self._peak_dark(profile)
        if dark <= peak:
            return 0.0
        return float(np.sum(np.diff(profile[peak : dark + 1]) ** 2))

    def _sharpest(self, tilts: Sequence[tuple[float, float]]) -> tuple[float, float]:
        """The first of ``tilts`` whose mean profile falls most sharply (as ``max`` with that key).

        The sharpness of every tilt not read before is summed at once, then summed again as
        :meth:`_sharpness_of` sums it for those within :data:`_SCREEN` of the most: the two sums add the same
        squared steps (all >= 0, at most a window's worth) in other orders, so they differ by far less, and
        the tilt picked, its sharpness and its ties are those of :meth:`_sharpness_of` over every tilt."""
        todo = list(dict.fromkeys(t for t in tilts if t not in self._rough))
        if todo:
            profiles = self.means(todo)
            for t, profile, rough in zip(todo, profiles, self._rough_sharpness(profiles), strict=True):
                self._rough[t] = float(rough)
                self._profiles[t] = profile
        rough = [self._rough[t] for t in tilts]
        if all(math.isfinite(r) for r in rough):
            most = max(rough)
            near = [t for t, r in zip(tilts, rough, strict=True) if r >= most - _SCREEN * most]
        else:
            near = list(tilts)
        for t in near:
            if t not in self._sharpness:
                self._sharpness[t] = self._sharpness_of(self._profiles[t])
        return max(near, key=self._sharpness.__getitem__)

    def _rough_sharpness(self, profiles: FloatArray) -> FloatArray:
        """:meth:`_sharpness_of` each profile (rows), its sum taken in another order."""
        peak = np.argmax(profiles[:, : self.peak_end], axis=1)
        steps = np.diff(profiles, axis=1)
        at = np.arange(steps.shape[1])[None, :]
        rises = (steps >= 0.0) & (at >= peak[:, None])
        dark = np.where(rises.any(axis=1), np.argmax(rises, axis=1), profiles.shape[1] - 1)
        falling = (at >= peak[:, None]) & (at < dark[:, None])
        out: FloatArray = np.where(falling, steps**2, 0.0).sum(axis=1)
        return out

    def best(self, around: tuple[float, float] | None = None) -> tuple[float, float]:
        """The tilts (degrees, along u and v) whose shifted mean falls most steeply."""
        if around is None:
            grid = np.arange(-MAX_TILT_FROM_AXIS_DEG, MAX_TILT_FROM_AXIS_DEG + 1e-9, COARSE_STEP_DEG)
            tilt = self._sharpest([(a, b) for a in grid for b in grid])
            steps = FINE_GRIDS_DEG
        else:
            tilt, steps = around, FINE_GRIDS_DEG[1:]
        for step, reach in steps:
            offsets = np.arange(-reach, reach + 1e-9, step)
            centre = tilt
            candidates = [
                (
                    float(min(max(centre[0] + da, -MAX_TILT_FROM_AXIS_DEG), MAX_TILT_FROM_AXIS_DEG)),
                    float(min(max(centre[1] + db, -MAX_TILT_FROM_AXIS_DEG), MAX_TILT_FROM_AXIS_DEG)),
                )
                for da in offsets
                for db in offsets
            ]
            tilt = self._sharpest(candidates)
        return tilt

    def edge(self, tilt: tuple[float, float]) -> tuple[float, float] | None:
        """Where the shifted mean falls half way from its peak to the disc's darkest (mm from the window's
        middle, outwards), and that fall (HU); None when it does not fall."""
        m = self.means([tilt])[0]
        peak, dark = self._peak_dark(m)
        fall = float(m[peak] - m[dark])
        if dark <= peak or fall <= 0.0:
            return None
        level = float(m[peak]) - 0.5 * fall
        j = peak + int(np.nonzero(m[peak : dark + 1] < level)[0][0])
        a, b = float(m[j - 1]), float(m[j])
        t = self.window * STEP_MM
        return float(t[j - 1] + (a - level) / (a - b) * (t[j] - t[j - 1])), fall
