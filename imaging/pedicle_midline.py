"""A pedicle's axis from the midline between its walls, along its whole length.

Frame: the vertebra's (:class:`VertebraFrame`): body centroid ``c``, superior axis ``a``, posterior ``p``,
patient left ``l``. Positions LPS mm, lengths mm; a row at depth ``t`` (mm along ``p``) runs along ``l``
and its walls are offsets along ``l`` (mm). The sections a pedicle's axis is first fitted to
(:mod:`imaging.vertebra_pedicle_sections`) can cover only a few millimetres at its back, where the
transverse process and the lamina join it (case1 left, a lumbar vertebra on 1 mm voxels: 3 mm of
sections, the axis 11-37 degrees off the images' midline). The pedicle's two walls, medial (the canal's
side) and lateral, run its whole length from the body's posterolateral corner back to the transverse
process's root: rows across it (:func:`imaging.pedicle_profile.edges_across` on the source CT), each
through the previous row's midpoint, follow them (:func:`track_walls`), and the midpoints' straight-line
fit (:func:`fit_midline`, Theil-Sen: a row that met other bone moves one midpoint, not the line) gives
the axis's convergence (:func:`walls_direction`); its tilt stays the sections'.

Only the pedicle proper counts: where its width is at most ``PROPER_WIDTH_FACTOR`` times the narrowest
(in front it flares into the body, behind into the transverse process and the lamina, whose walls are
not the pedicle's).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from imaging.pedicle_profile import profiles_on_lines
from imaging.vertebra_pedicle_sections import VertebraFrame
from imaging.vertebra_roi import LpsRoi
from imaging.volume import Volume

__all__ = ["MidlineFit", "fit_midline", "track_walls", "track_walls_together", "walls_direction"]

FloatArray = npt.NDArray[np.float64]

#: the pedicle proper: widths at most this times the narrowest along the axis. A lumbar pedicle's
#: width grows by about a third from its isthmus to where it flares (case1: 8.3-9.6 mm over the
#: middle heights, 11-13 mm where the body's corner or the transverse process's root begins)
PROPER_WIDTH_FACTOR = 1.35
#: least midpoints (and their span along the axis, mm) for a fitted midline: 4 mm holds a straight
#: pedicle's direction to some 10 degrees with midpoints scattered by 0.3 mm (half-maximum edges)
MIN_MIDPOINTS = 6
MIN_SPAN_MM = 4.0
#: the walls are followed at these heights from the trial axis (mm, along the body's axis): a pedicle's
#: section is an oval whose width changes with height, so one chord's midline turns with the height
#: it is taken at (case1 left: 15, 15 and 23 degrees at these heights; 14-27 over the middle heights
#: on the images). The section's centre is the mean of its chords' midpoints: the mean of three chords
#: within the middle of a pedicle at least 10 mm tall (CLINICAL.md gives widths only; lumbar and lower
#: thoracic pedicles are 12-16 mm tall, *unverified*)
HEIGHTS_MM = (-2.5, 0.0, 2.5)
#: rows across the pedicle every this along the posterior direction (mm)
ROW_STEP_MM = 0.5
#: the walls are followed until this many rows in a row (2 mm) find none or an edge that moved more
#: than ``MAX_EDGE_STEP_MM`` from the last row kept (the row has left the pedicle for other bone: the
#: body's posterior wall in front, the transverse process or the lamina behind; one row through the
#: transverse process's root beside the pedicle does not end it)
MAX_MISSES = 4
MAX_EDGE_STEP_MM = 2.0
#: where a row's point lies in the pedicle's marrow read as soft tissue (no bone there, so no width
#: through it), the row is tried through points this far either side (mm), and kept only at least
#: ``MIN_ROW_FRACTION`` of the last width wide, or ``MIN_ROW_MM`` for the first row: through one
#: cortex alone it is 2-3 mm (case1 right)
ROW_SHIFTS_MM = (1.5, -1.5, 3.0, -3.0)
MIN_ROW_FRACTION = 0.7
MIN_ROW_MM = 4.0
#: a midline is used only where its slope is known to this (mm per mm; tan 5 degrees): half-maximum
#: edges are placed to about ``EDGE_ERROR_VOXELS`` of the source's largest voxel size ``v``, and rows
#: within one voxel share their error (a staircase), so over a span ``L`` the slope's error is about
#: ``EDGE_ERROR_VOXELS v sqrt(12) / (L sqrt(L / v))``: spans of 4.6 mm on 1 mm voxels, 6.9 mm on
#: 1.5 mm, 9.2 mm on 2 mm and 13.8 mm on 3 mm (abdomen, 3 mm voxels: L2's midline over 6 mm turned
#: its axis onto a wall, 3.2-3.6 mm wide for 10-11 mm)
MAX_SLOPE_ERROR = float(np.tan(np.radians(5.0)))
EDGE_ERROR_VOXELS = 0.25
#: a midline steeper than this (degrees from the rows' normal) is not trusted: rows that followed
#: other bone (CLINICAL.md's transverse pedicle angles reach 35 degrees)
MAX_TURN_DEG = 40.0


@dataclass(frozen=True)
class MidlineFit:
    """The midline: its offset along the rows at depth 0 and its slope (mm along the rows per mm of
    depth), over ``span_mm`` of depth and ``n_points`` midpoints."""

    offset_mm: float
    slope: float
    span_mm: float
    n_points: int


def fit_midline(
    s_mm: FloatArray, lo_mm: FloatArray, hi_mm: FloatArray, *, min_span_mm: float = MIN_SPAN_MM
) -> MidlineFit | None:
    """The pedicle proper's midline from its walls' edges ``lo_mm`` < ``hi_mm`` at positions ``s_mm``.

    Returns None with too few midpoints over less than ``min_span_mm``, or a turn over ``MAX_TURN_DEG``.
    """
    s = np.asarray(s_mm, dtype=np.float64)
    lo = np.asarray(lo_mm, dtype=np.float64)
    hi = np.asarray(hi_mm, dtype=np.float64)
    if len(s) < MIN_MIDPOINTS:
        return None
    # a row much narrower than the others went through one cortex, not across the pedicle
    keep = (hi - lo) >= MIN_ROW_FRACTION * float(np.median(hi - lo))
    s, lo, hi = s[keep], lo[keep], hi[keep]
    if len(s) < MIN_MIDPOINTS:
        return None
    width = hi - lo
    proper = width <= PROPER_WIDTH_FACTOR * float(width.min())
    # the pedicle proper is one stretch: the run of proper widths around the narrowest
    k = int(np.argmin(width))
    a = k
    while a - 1 >= 0 and proper[a - 1]:
        a -= 1
    b = k
    while b + 1 < len(s) and proper[b + 1]:
        b += 1
    s, mid = s[a : b + 1], 0.5 * (lo + hi)[a : b + 1]
    span = float(np.ptp(s)) if len(s) else 0.0
    if len(s) < MIN_MIDPOINTS or span < min_span_mm:
        return None
    slope, intercept, _, _ = stats.theilslopes(mid, s)
    if abs(np.degrees(np.arctan(slope))) > MAX_TURN_DEG:
        return None
    return MidlineFit(offset_mm=float(intercept), slope=float(slope), span_mm=span, n_points=len(s))


def walls_direction(
    d: FloatArray,
    mid: FloatArray,
    *,
    volume: Volume,
    roi: LpsRoi,
    solid: npt.NDArray[np.bool_],
    frame: VertebraFrame,
    min_posterior: float,
) -> tuple[FloatArray, FloatArray]:
    """The trial axis (through ``mid`` along ``d``, towards the entry) turned, about the body's axis, onto
    the midline between the pedicle's walls.

    Rows across the pedicle along the frame's left, from ``mid`` forwards to the body's centroid and
    backwards to the canal's back (:func:`track_walls`), at ``HEIGHTS_MM`` from the height the trial
    axis gives; the mean of the midlines fitted to the pedicle proper (:func:`fit_midline`) at
    those heights gives the convergence, the trial axis
    the tilt (``d``'s posterior component taken at least ``min_posterior``). Where the walls give no
    midline, ``d`` and ``mid`` are returned as they are.
    """
    c, a, p, lft = frame.centroid_lps, frame.axis, frame.posterior, frame.left
    rise = float(d @ a) / max(float(d @ p), min_posterior)
    t_mid = float((mid - c) @ p)
    t_back = frame.canal_t_mm + frame.canal_half_width_mm
    fits: list[MidlineFit] = []
    # the heights' rows are independent: followed together, each step's rows sampled at once
    tracked = track_walls_together(
        volume,
        roi,
        solid,
        starts_lps=[mid + h * a for h in HEIGHTS_MM],
        posterior=p,
        left=lft,
        up=a,
        rise=rise,
        t_range_mm=(-t_mid, t_back - t_mid),
    )
    for t, lo, hi in tracked:
        fit = fit_midline(t, lo, hi, min_span_mm=_least_span_mm(max(volume.spacing_mm)))
        if fit is not None:
            fits.append(fit)
    if not fits:
        return d, mid
    slope = float(np.mean([f.slope for f in fits]))
    offset = float(np.mean([f.offset_mm for f in fits]))
    turned = p + slope * lft + rise * a
    out: FloatArray = turned / np.linalg.norm(turned)
    return out, mid + offset * lft


def track_walls(
    volume: Volume,
    roi: LpsRoi,
    solid: npt.NDArray[np.bool_],
    *,
    start_lps: FloatArray,
    posterior: FloatArray,
    left: FloatArray,
    up: FloatArray,
    rise: float,
    t_range_mm: tuple[float, float],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The pedicle's walls on rows along ``left`` at every ``ROW_STEP_MM`` of depth along ``posterior``.

    The rows start at ``start_lps`` (inside the pedicle) and go forwards and backwards, each through
    the previous row's midpoint (so they follow the pedicle whatever the trial axis), at the height
    ``rise`` mm per mm of depth from the start's, until the walls are lost (``MAX_MISSES`` rows
    without, or an edge stepping over ``MAX_EDGE_STEP_MM``) or ``t_range_mm`` (depths from the start,
    mm, negative forwards) ends. Returns the depths and the two walls' offsets along ``left`` from
    the start (mm), in increasing depth.
    """
    return track_walls_together(
        volume,
        roi,
        solid,
        starts_lps=[start_lps],
        posterior=posterior,
        left=left,
        up=up,
        rise=rise,
        t_range_mm=t_range_mm,
    )[0]


def track_walls_together(
    volume: Volume,
    roi: LpsRoi,
    solid: npt.NDArray[np.bool_],
    *,
    starts_lps: Sequence[FloatArray],
    posterior: FloatArray,
    left: FloatArray,
    up: FloatArray,
    rise: float,
    t_range_mm: tuple[float, float],
) -> list[tuple[FloatArray, FloatArray, FloatArray]]:
    """:func:`track_walls` from each of ``starts_lps``, in that order, the walks followed side by side.

    Each walk's rows depend on its own previous rows only; the rows the walks ask for next are sampled
    on the CT and the solid at once (:func:`imaging.pedicle_profile.profiles_on_lines`), which gives
    each walk the same walls as followed alone.
    """
    walks = [
        _walk(start, posterior=posterior, left=left, up=up, rise=rise, t_range_mm=t_range_mm)
        for start in starts_lps
    ]
    out: list[tuple[FloatArray, FloatArray, FloatArray] | None] = [None] * len(walks)
    asked: dict[int, FloatArray] = {}

    def advance(k: int, edges: tuple[float, float] | None) -> None:
        try:
            asked[k] = walks[k].send(edges)
        except StopIteration as done:
            asked.pop(k, None)
            out[k] = done.value

    for k in range(len(walks)):
        advance(k, None)  # a fresh generator starts on None
    while asked:
        keys = list(asked)
        lines = profiles_on_lines(
            volume, roi, solid, centres_lps=np.array([asked[k] for k in keys]), across=left, up=up
        )
        for n, k in enumerate(keys):
            advance(k, lines.edges(n))
    return [walk for walk in out if walk is not None]


#: a walk along one pedicle's walls: yields the centre (LPS mm) of the row it needs next, is sent that
#: row's edges (mm along the row from the centre, or None), returns its depths and walls
_Walk = Generator[FloatArray, tuple[float, float] | None, tuple[FloatArray, FloatArray, FloatArray]]


def _walk(
    start_lps: FloatArray,
    *,
    posterior: FloatArray,
    left: FloatArray,
    up: FloatArray,
    rise: float,
    t_range_mm: tuple[float, float],
) -> _Walk:
    """:func:`track_walls` from ``start_lps``, asking for each row it samples (see ``_Walk``)."""
    rows: list[tuple[float, float, float]] = []
    first: tuple[float, float] | None = None  # the start's row: where the backward rows begin from
    for direction in (-1.0, 1.0):
        last = first
        u = 0.0 if first is None else 0.5 * (first[0] + first[1])
        misses = 0
        t = 0.0 if direction < 0 else ROW_STEP_MM
        limit = t_range_mm[0] if direction < 0 else t_range_mm[1]
        while direction * (limit - t) >= 0.0 and misses < MAX_MISSES:
            edges = yield from _row(start_lps + t * posterior + rise * t * up, u=u, left=left, last=last)
            if edges is None or (
                last is not None and max(abs(edges[0] - last[0]), abs(edges[1] - last[1])) > MAX_EDGE_STEP_MM
            ):
                misses += 1
                t += direction * ROW_STEP_MM
                continue
            lo, hi = edges
            misses = 0
            rows.append((t, lo, hi))
            if t == 0.0:
                first = (lo, hi)
            last = (lo, hi)
            u = 0.5 * (lo + hi)
            t += direction * ROW_STEP_MM
    rows.sort()
    arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return arr[:, 0], arr[:, 1], arr[:, 2]


def _row(
    base_lps: FloatArray, *, u: float, left: FloatArray, last: tuple[float, float] | None
) -> Generator[FloatArray, tuple[float, float] | None, tuple[float, float] | None]:
    """The walls' offsets along ``left`` from ``base_lps`` on the row through ``base + u left``, or
    through a point shifted by ``ROW_SHIFTS_MM`` when that one finds no bone around it: yields each
    row's centre and is sent its edges."""
    least = MIN_ROW_MM if last is None else MIN_ROW_FRACTION * (last[1] - last[0])
    for shift in (0.0, *ROW_SHIFTS_MM):
        edges = yield base_lps + (u + shift) * left
        if edges is not None and edges[1] - edges[0] >= least:
            return u + shift + edges[0], u + shift + edges[1]
    return None


def _least_span_mm(voxel_mm: float) -> float:
    """The least span (mm) over which a midline's slope is known to ``MAX_SLOPE_ERROR`` on voxels of
    ``voxel_mm`` (see ``MAX_SLOPE_ERROR``), and at least ``MIN_SPAN_MM``."""
    # error = e v sqrt(12) / (L^1.5 / sqrt(v))  =>  L = (e v^1.5 sqrt(12) / max_error)^(2/3)
    span = (EDGE_ERROR_VOXELS * voxel_mm**1.5 * np.sqrt(12.0) / MAX_SLOPE_ERROR) ** (2.0 / 3.0)
    return max(MIN_SPAN_MM, float(span))
