"""A pedicle's widths along its axis: the walls followed from one line across it to the next, and the
narrowest of the widths.

Positions along the axis ``s`` are mm (larger towards the entry, behind); widths and edges mm across the
axis. The lines across are measured by :mod:`imaging.pedicle_station`; :func:`imaging.vertebra_pedicles.
find_pedicle` lays them every ``WIDTH_STEP_MM`` over the pedicle's traced sections, follows them
forwards to its base (:func:`widths_to_base`) and behind the sections for as long as the walls run on
(:func:`follow_walls`), and takes the isthmus at the narrowest (:func:`narrowest`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
import numpy.typing as npt
from scipy import ndimage

__all__ = [
    "BASE_EDGE_JUMP_MM",
    "BASE_GAP_MM",
    "ISTHMUS_REACH_MM",
    "LOCAL_WIDTH_MM",
    "MIN_WIDTH_FRACTION",
    "WIDTH_STEP_MM",
    "follow_walls",
    "narrowest",
    "width_spread_near",
    "widths_to_base",
]

FloatArray = npt.NDArray[np.float64]

#: widths below this fraction of the median width within ``LOCAL_WIDTH_MM`` along the axis are profiles
#: that slipped off the pedicle (past its upper or lower edge, through a vascular foramen)
MIN_WIDTH_FRACTION = 0.6
#: a pedicle's width changes smoothly along it: the neighbourhood (either side, mm along the axis) a
#: width is judged against; the whole span's median is no reference, since behind the pedicle the run
#: reaches the lamina and the transverse process (widths up to 17 mm on the chest CT)
LOCAL_WIDTH_MM = 2.0
#: the width's uncertainty looks this far along the axis either side of the isthmus (mm): how far the
#: narrowest place can lie from where it is read, one voxel of the 3 mm scans the tool meets (the isthmus
#: of a pedicle traced on 3 mm voxels is placed no better than that)
ISTHMUS_REACH_MM = 1.5
#: widths are measured every this along the axis (mm)
WIDTH_STEP_MM = 0.5
#: in front of the sections, the pedicle has joined the body where this much along the axis gives no
#: width across it (mm): two profiles in a row, so that one noisy profile does not end it
BASE_GAP_MM = 1.0
#: ... or where a wall's edge moves more than this from one profile to the next, WIDTH_STEP_MM apart
#: (mm): a wall turning by 76 degrees from the axis is no longer the pedicle's (case1: at most 0.6 mm
#: over the isthmus, 1.6 mm where the pedicle flares into the body)
BASE_EDGE_JUMP_MM = 2.0


def narrowest(s_mm: FloatArray, widths: FloatArray) -> tuple[int, float]:
    """Index and value of the narrowest width along the axis (at positions ``s_mm``), judged against
    its neighbours.

    A single profile that slipped off the pedicle is replaced by the median of three; a width below
    ``MIN_WIDTH_FRACTION`` of the median of the widths within ``LOCAL_WIDTH_MM`` along the axis (by
    position, not by count: a stretch of profiles off bone is a gap, and the span's ends have
    neighbours on one side only) is not a width.
    """
    w_med = ndimage.median_filter(widths, size=3, mode="nearest")
    near = np.abs(s_mm[:, None] - s_mm[None, :]) <= LOCAL_WIDTH_MM + 1e-9
    local = np.array([np.median(widths[row]) for row in near])
    w_use = np.where(widths >= MIN_WIDTH_FRACTION * local, w_med, np.inf)
    k = int(np.argmin(w_use))
    return k, float(w_use[k])


def width_spread_near(s_mm: FloatArray, widths: FloatArray, k: int) -> float:
    """How much the width changes within ``ISTHMUS_REACH_MM`` along the axis of the isthmus (index ``k``
    of :func:`narrowest`): max - min of the median-of-three widths there (mm), the single profiles that
    slipped off the pedicle left out as :func:`narrowest` leaves them out.
    """
    w_med = ndimage.median_filter(widths, size=3, mode="nearest")
    near = np.abs(s_mm - s_mm[k]) <= ISTHMUS_REACH_MM + 1e-9
    return float(np.ptp(w_med[near]))


def widths_to_base(
    edges_at: Callable[[float], tuple[float, float] | None],
    s_first: float,
    *,
    s_body: float,
    last: tuple[float, float] | None,
) -> list[tuple[float, float]]:
    """Widths in front of ``s_first`` (mm along the axis), followed forwards to the pedicle's base.

    The front of the sections is placed from the body's mask (its midline wall), which runs back into
    the canal where the posterior wall is faint at mid-height (case1: 5-7 mm, so that the search began
    at the transverse process's root, 3-4 mm behind the isthmus). The pedicle goes on forwards as long
    as the line across it finds its walls (``edges_at``: edges across the axis, mm); it has joined the
    body where ``BASE_GAP_MM`` in a row find none (the bone runs off the profile), and the search stops
    at the body's centroid (``s_body``). The walls are followed as :func:`follow_walls` does (abdomen,
    3 mm voxels: L5 right 14 mm, then an edge 3.5 mm nearer and the widths falling to 5 mm where the
    line runs along the body's corner), from ``last``, the edges at ``s_first``. Returns ``(s, width)``
    pairs in increasing ``s``.
    """

    def forwards() -> Iterator[float]:
        s = s_first - WIDTH_STEP_MM
        while s >= s_body:
            yield s
            s -= WIDTH_STEP_MM

    return follow_walls(edges_at, forwards(), last=last)[::-1]


def follow_walls(
    edges_at: Callable[[float], tuple[float, float] | None],
    places: Iterable[float],
    *,
    last: tuple[float, float] | None,
) -> list[tuple[float, float]]:
    """Widths at ``places`` (mm along the axis, in the order walked) for as long as the line across
    follows the pedicle's walls from ``last`` (the edges where the walk starts; None: not known).

    A pedicle's walls run smoothly along it: an edge that moves more than ``BASE_EDGE_JUMP_MM`` from one
    profile to the next, or a width below ``MIN_WIDTH_FRACTION`` of the one before it, is the line
    leaving the pedicle for other bone, and ends the walk; so do ``BASE_GAP_MM`` in a row without walls
    (the bone runs off the profile). Returns ``(s, width)`` pairs in the order walked.
    """
    found: list[tuple[float, float]] = []
    misses = 0
    for s in places:
        if misses * WIDTH_STEP_MM >= BASE_GAP_MM:
            break
        edges = edges_at(s)
        if edges is None:
            misses += 1
            continue
        width = edges[1] - edges[0]
        if last is not None and (
            max(abs(edges[0] - last[0]), abs(edges[1] - last[1])) > BASE_EDGE_JUMP_MM
            or width < MIN_WIDTH_FRACTION * (last[1] - last[0])
        ):
            break
        misses = 0
        found.append((s, width))
        last = edges
    return found
