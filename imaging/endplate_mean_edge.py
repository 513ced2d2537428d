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

import numpy as np
import numpy.typing as npt
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
    every = np.ones(len(uv), dtype=bool)
    tilt = search.best(every)
    found = search.edge(every, tilt)
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
        t_k = search.best(rest, around=tilt)
        e_k = search.edge(rest, t_k)
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
    """The columns' profiles shifted by a plane's heights; the mean profile's sharpness and edge."""

    def __init__(self, uv: FloatArray, hu: FloatArray, mid: int, window: IntArray) -> None:
        self.uv, self.hu, self.mid, self.window = uv, hu, mid, window
        self.peak_end = int(np.searchsorted(window * STEP_MM, PEAK_REACH_MM, side="right"))

    def mean(self, rows: npt.NDArray[np.bool_], tilt: tuple[float, float]) -> FloatArray:
        uv = self.uv[rows]
        shift = math.tan(math.radians(tilt[0])) * uv[:, 0] + math.tan(math.radians(tilt[1])) * uv[:, 1]
        k = np.rint(shift / STEP_MM).astype(np.int64)
        idx = self.mid + k[:, None] + self.window[None, :]
        out: FloatArray = np.take_along_axis(self.hu[rows], idx, axis=1).mean(axis=0)
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

    def sharpness(self, rows: npt.NDArray[np.bool_], tilt: tuple[float, float]) -> float:
        """How sharply the mean profile falls from the end plate's peak to the disc's first low point: the sum
        of its squared steps there, all falling (for one fall, largest when the fall is steepest; smoother
        over tilts than the single steepest step, whose column shifts are rounded to the profile's step)."""
        m = self.mean(rows, tilt)
        peak, dark = self._peak_dark(m)
        if dark <= peak:
            return 0.0
        return float(np.sum(np.diff(m[peak : dark + 1]) ** 2))

    def best(
        self, rows: npt.NDArray[np.bool_], around: tuple[float, float] | None = None
    ) -> tuple[float, float]:
        """The tilts (degrees, along u and v) whose shifted mean falls most steeply."""
        if around is None:
            grid = np.arange(-MAX_TILT_FROM_AXIS_DEG, MAX_TILT_FROM_AXIS_DEG + 1e-9, COARSE_STEP_DEG)
            tilt = max(((a, b) for a in grid for b in grid), key=lambda t: self.sharpness(rows, t))
            steps = FINE_GRIDS_DEG
        else:
            tilt, steps = around, FINE_GRIDS_DEG[1:]
        for step, reach in steps:
            offsets = np.arange(-reach, reach + 1e-9, step)
            centre = tilt
            candidates = [
                (
                    float(np.clip(centre[0] + da, -MAX_TILT_FROM_AXIS_DEG, MAX_TILT_FROM_AXIS_DEG)),
                    float(np.clip(centre[1] + db, -MAX_TILT_FROM_AXIS_DEG, MAX_TILT_FROM_AXIS_DEG)),
                )
                for da in offsets
                for db in offsets
            ]
            tilt = max(candidates, key=lambda t: self.sharpness(rows, t))
        return tilt

    def edge(self, rows: npt.NDArray[np.bool_], tilt: tuple[float, float]) -> tuple[float, float] | None:
        """Where the shifted mean falls half way from its peak to the disc's darkest (mm from the window's
        middle, outwards), and that fall (HU); None when it does not fall."""
        m = self.mean(rows, tilt)
        peak, dark = self._peak_dark(m)
        fall = float(m[peak] - m[dark])
        if dark <= peak or fall <= 0.0:
            return None
        level = float(m[peak]) - 0.5 * fall
        j = peak + int(np.nonzero(m[peak : dark + 1] < level)[0][0])
        a, b = float(m[j - 1]), float(m[j])
        t = self.window * STEP_MM
        return float(t[j - 1] + (a - level) / (a - b) * (t[j] - t[j - 1])), fall
