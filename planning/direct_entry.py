"""What a point the operator marks (the window's crosshair) means for a direct (extraspinal) route, and
what a direct route crosses, in words.

A point in or near the lesion gives no direction: the program chooses the route itself
(:func:`planning.direct_route.choose_direct_skin_point`). A point away from the lesion marks the way in:
the entry is where the line from the lesion's centroid through that point leaves the body (the skin),
or the point itself when the image ends before the skin.

Frames and units: LPS mm (+x patient left, +y posterior, +z superior); the lesion mask on the volume's
``[slice, row, col]`` grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from imaging.mask import Mask
from imaging.volume import Volume
from planning.direct_route import CROSSED_BONE_HU, OWN_CORTEX_MM
from planning.grid_sampling import SAMPLE_STEP_FRACTION, mask_at_points, sample_trilinear
from planning.skin_crossing import find_skin_along_line, skin_to_target_depth_mm
from planning.trajectory_geometry import Point, TrajectoryGeometry, as_point, point_tuple

#: A point within this distance of the lesion's box marks the lesion, not a way in (mm): the crosshair
#: stays where the lesion was clicked, and a direction taken from a point so close to the centre would
#: swing widely with a small move. A planning choice, stated here (CLINICAL.md gives no figure).
NEAR_LESION_MM = 10.0
#: How far past the point the line is followed looking for the skin (mm): the access needles are 10-15
#: cm long (CLINICAL.md), so a skin farther than that from the lesion is no entry anyway.
SKIN_SEARCH_MM = 200.0


@dataclass(frozen=True)
class MarkedEntry:
    """The entry a marked point gives: ``entry_lps``, and ``on_skin`` False when the image ended before
    the skin along the line (the entry is then the marked point itself)."""

    entry_lps: Point
    on_skin: bool


def entry_from_marked_point(volume: Volume, lesion: Mask, point_lps: Sequence[float]) -> MarkedEntry | None:
    """The direct route's entry a marked point gives, or None when the point lies in or near the lesion.

    Parameters
    ----------
    volume
        The planning CT (HU).
    lesion
        The lesion mask on ``volume``'s grid (not empty).
    point_lps
        The marked point (LPS mm).

    Returns
    -------
    MarkedEntry or None
        None when the point lies within :data:`NEAR_LESION_MM` of the lesion's box (the program should
        choose the route); else the skin where the line from the lesion's centroid through the point
        leaves the body, or the point itself when the image ends first.

    Raises
    ------
    ValueError
        When the lesion is empty.
    """
    if not lesion.any():
        raise ValueError('Argument "lesion" must not be empty')
    p = as_point(point_lps, "point_lps")
    idx = lesion.voxel_indices().astype(np.float64)
    corners = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], dtype=np.float64)
    lo, hi = idx.min(axis=0), idx.max(axis=0)
    box_lps = volume.index_to_lps_points(lo + corners * (hi - lo))
    low, high = box_lps.min(axis=0), box_lps.max(axis=0)
    gap = np.maximum(np.maximum(low - p, p - high), 0.0)
    if float(np.linalg.norm(gap)) <= NEAR_LESION_MM:
        return None
    centroid = volume.index_to_lps_points(idx.mean(axis=0))
    u = p - centroid
    reach = float(np.linalg.norm(u))
    outline = find_skin_along_line(volume, centroid, u, max_distance_mm=reach + SKIN_SEARCH_MM)
    if outline.found:
        return MarkedEntry(outline.skin_lps, True)
    return MarkedEntry(point_tuple(p), False)


def route_crossings(volume: Volume, lesion: Mask, geometry: TrajectoryGeometry) -> tuple[float, float]:
    """Gas or air inside the body (lung, bowel), and dense bone other than the lesion's own cortex,
    crossed from the skin to the needle tip: ``(gas_mm, other_bone_mm)``."""
    gas_mm = skin_to_target_depth_mm(volume, geometry).internal_air_mm
    step = SAMPLE_STEP_FRACTION * min(volume.spacing_mm)
    s = np.arange(0.0, geometry.length_mm, step)
    points = np.asarray(geometry.entry_lps) + s[:, None] * np.asarray(geometry.direction_lps)
    in_lesion = mask_at_points(lesion, volume, points)
    first_mm = float(s[np.flatnonzero(in_lesion)[0]]) if in_lesion.any() else float(geometry.length_mm)
    hu = sample_trilinear(volume.array, volume.lps_to_index_points(points), outside=np.nan)
    other = (s < first_mm - OWN_CORTEX_MM) & (hu > CROSSED_BONE_HU)
    return gas_mm, float(np.count_nonzero(other)) * step


def describe_crossings(gas_mm: float, other_bone_mm: float) -> str:
    """``"crosses no gas and no other bone"`` or the lengths crossed, in the operator's words."""
    parts = []
    if gas_mm > 0:
        parts.append(f"{gas_mm:.0f} mm of gas or air inside the body (lung or bowel)")
    if other_bone_mm > 0:
        parts.append(f"{other_bone_mm:.0f} mm of bone before the lesion's own cortex")
    if not parts:
        return "crosses no gas and no other bone"
    return "crosses " + " and ".join(parts)
