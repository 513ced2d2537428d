"""Where a line leaves the body: the skin along a needle, and the gas or air crossed inside the body.

Frames and units: LPS mm (+x patient left, +y posterior, +z superior); the CT in HU, sampled
trilinearly on its ``[slice, row, col]`` grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.volume import Volume
from planning.grid_sampling import SAMPLE_STEP_FRACTION, sample_trilinear
from planning.trajectory_geometry import Point, TrajectoryGeometry, as_point, point_tuple

#: Body outline threshold (HU): above it is patient, below it air (task brief: -300 HU).
BODY_OUTLINE_HU = -300.0
#: Air must last this long along the line before the skin is declared (skips noise, small gas).
_AIR_RUN_MM = 2.0
#: Tissue this long beyond a stretch of air makes that air internal (lung, bowel gas), not the skin.
_TISSUE_RUN_MM = 5.0
_INTERNAL_AIR_LOOKAHEAD_MM = 60.0


@dataclass(frozen=True)
class SkinCrossing:
    """Where a line leaves the body outline (HU > ``BODY_OUTLINE_HU``) going outward.

    ``found`` is False when the line reached the edge of the image first; ``skin_lps`` is then the
    last point inside the image and ``distance_mm`` a lower bound. ``internal_air_mm`` is the length
    of gas or air crossed *inside* the body on the way (lung, bowel gas): runs of air followed by
    tissue again, which are not the skin.
    """

    skin_lps: Point
    distance_mm: float
    found: bool
    internal_air_mm: float = 0.0


def find_skin_along_line(
    volume: Volume,
    start_lps: Sequence[float] | npt.ArrayLike,
    outward_lps: Sequence[float] | npt.ArrayLike,
    *,
    max_distance_mm: float = 300.0,
    threshold_hu: float = BODY_OUTLINE_HU,
) -> SkinCrossing:
    """Follow a line outward from a point inside the body until it leaves the body.

    The skin is the start of the first stretch of air (at least 2 mm below ``threshold_hu``) that is
    not followed, within 60 mm, by 5 mm or more of tissue again: air with tissue beyond it is inside
    the body (lung, bowel gas) and is counted in ``internal_air_mm`` instead. A thin table shell
    under a supine patient does not count as tissue.

    Parameters
    ----------
    volume
        The CT (HU).
    start_lps
        Starting point inside the body (LPS mm).
    outward_lps
        Direction to follow (need not be unit length).
    max_distance_mm
        Search length.
    threshold_hu
        Body outline threshold (HU).

    Returns
    -------
    SkinCrossing
        The skin point, its distance from ``start_lps`` and the internal air crossed.
    """
    start = as_point(start_lps, "start_lps")
    d = as_point(outward_lps, "outward_lps")
    norm = float(np.linalg.norm(d))
    if norm < 1e-9:
        raise ValueError('Argument "outward_lps" must not be zero')
    d = d / norm
    step = SAMPLE_STEP_FRACTION * 2.0 * min(volume.spacing_mm)
    s = np.arange(0.0, max_distance_mm + step, step)
    pts = start + s[:, None] * d
    hu = sample_trilinear(volume.array, volume.lps_to_index_points(pts), outside=np.nan)
    in_image = np.isfinite(hu)
    n_in = int(np.argmin(in_image)) if not in_image.all() else len(hu)  # samples before leaving
    air = hu[:n_in] < threshold_hu
    tissue_runs = [(a, b) for a, b in _runs(~air) if (b - a) * step >= _TISSUE_RUN_MM]
    internal = 0.0
    for a, b in _runs(air):
        if (b - a) * step < _AIR_RUN_MM:
            continue
        beyond = [t for t in tissue_runs if b <= t[0] <= b + _INTERNAL_AIR_LOOKAHEAD_MM / step]
        if beyond:
            internal += (b - a) * step
            continue
        k = max(0, a - 1)
        return SkinCrossing(point_tuple(pts[k]), float(s[k]), True, internal)
    last = max(0, n_in - 1)
    return SkinCrossing(point_tuple(pts[last]), float(s[last]), False, internal)


def skin_to_target_depth_mm(volume: Volume, geometry: TrajectoryGeometry) -> SkinCrossing:
    """Depth of the needle tip below the skin along the trajectory, and the internal air crossed.

    Walks from the tip back towards the entry (and beyond it) to where the line leaves the body
    (see :func:`find_skin_along_line`); ``distance_mm`` is the tip's depth, to compare with the
    needle's usable length.
    """
    return find_skin_along_line(
        volume, geometry.target_lps, -geometry.direction_lps, max_distance_mm=geometry.length_mm + 150.0
    )


def _runs(flags: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``[start, stop)`` index runs where ``flags`` is True."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
