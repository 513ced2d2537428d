"""A pedicle's bony width along one line, measured on the source CT to a fraction of a voxel.

Positions LPS mm, lengths mm, CT values HU. A profile of the CT is sampled along the line (three
parallel lines 0.75 mm apart, averaged, and lightly smoothed); the bone run through the line's middle is
taken from the bony solid, and each of its ends placed on the CT: where the CT falls fastest towards the
tissue outside (a cortex's half-maximum), or at the pedicle's own outer cortex where a clear dip follows
it (a rib head or articular process pressed against the pedicle beyond the dip). Used by
:mod:`imaging.vertebra_pedicles` across the pedicle, and for the axis's exit from bone posteriorly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_roi import LpsRoi, RoiPoints, sample_source_hu
from imaging.volume import Volume

__all__ = [
    "PROFILE_SMOOTH_MM",
    "PROFILE_STEP_MM",
    "LineProfiles",
    "bone_edge",
    "edges_across",
    "edges_over_heights",
    "profiles_on_lines",
    "run_through_middle",
    "width_across",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: width profiles: half length, step, and the 1D smoothing (mm)
PROFILE_HALF_MM = 15.0
PROFILE_STEP_MM = 0.25
PROFILE_SMOOTH_MM = 0.4
#: bone going on this far beyond the traced pedicle's region is a neighbour fused with it (mm)
FUSED_MM = 2.0
#: a pedicle's wall is the first fall of the CT (from outside in) at least this fraction of the steepest
#: one within reach: a blurred edge's falls rise to one peak at its half-maximum, which noise on the
#: smoothed, three-line profile does not mimic at half the height
EDGE_FALL_FRACTION = 0.5
#: a rise of less than this from the tissue outside to the bone is no wall (HU): the profile's noise
#: after smoothing is a few tens of HU, and bone against soft tissue rises by hundreds
MIN_EDGE_STEP_HU = 50.0
#: across a pedicle, its own outer cortex is the first that a dip of at least this fraction of the way
#: down to soft tissue follows (a joint with a rib head or an articular process pressed against it)
WALL_DIP_FRACTION = 0.25
#: ... within this distance beyond that cortex's peak (mm)
WALL_DIP_REACH_MM = 6.0


def bone_edge(profile: FloatArray, r: FloatArray, i_end: int, direction: int) -> float | None:
    """Sub-sample position of a bone edge beyond run end ``i_end``, going ``direction`` (+1/-1).

    Half-way between the cortical peak just inside the end and the lowest value just outside it.
    """
    n = len(profile)
    # reach: 3 mm inwards covers a cortex (1-2 mm) and its blur on 2 mm slices; 4 mm outwards finds the
    # tissue outside past the blur
    steps_in = round(3.0 / PROFILE_STEP_MM)
    steps_out = round(4.0 / PROFILE_STEP_MM)
    inner = np.clip(np.arange(i_end - direction * steps_in, i_end + direction, direction), 0, n - 1)
    outer = np.clip(np.arange(i_end, i_end + direction * steps_out, direction), 0, n - 1)
    i_peak = int(inner[np.argmax(profile[inner])])
    peak = float(profile[i_peak])
    low = float(profile[outer].min())
    if peak - low < 50.0:
        return None
    level = 0.5 * (peak + low)
    i = i_peak
    while 0 <= i + direction < n and profile[i + direction] >= level:
        i += direction
    j = i + direction
    if not 0 <= j < n:
        return float(r[i])
    a, b = float(profile[i]), float(profile[j])
    frac = (a - level) / (a - b) if a != b else 0.0
    return float(r[i] + frac * (r[j] - r[i]))


def _fall_edge(profile: FloatArray, r: FloatArray, i_end: int, direction: int, *, i_mid: int) -> float | None:
    """Position of a pedicle's wall across it, beyond run end ``i_end`` going ``direction`` (+1/-1).

    The wall's outer edge is where the CT falls fastest towards the tissue outside: walking in from
    the lowest value outside the run, the first fall at least ``EDGE_FALL_FRACTION`` of the steepest
    one within reach (the centre of that step). For a cortex imaged as a peak this is its half-maximum
    (the half-maximum rule of :func:`bone_edge`); it also holds where the scan does not resolve a thin
    cortex as a peak of its own. Chest T6 left (2 mm slices): the lateral wall of the pedicle's root,
    beside the costovertebral joint, is a 200-400 HU shoulder of the 600 HU medial cortex, whose
    half-maximum put the edge 1 mm inside the bone (2.9 mm measured, about 4 mm on the slices); chest
    T9 right: the bony solid runs 2.5 mm on beyond the cortex into 70-160 HU tissue, so the wall is
    not looked for at the solid's end only. The inner reach stops at ``i_mid`` (the run's middle): the
    opposite wall is not this one.
    """
    n = len(profile)
    # reach: 3 mm inwards covers a cortex (1-2 mm) and its blur on 2 mm slices; 4 mm outwards finds the
    # tissue outside past the blur
    steps_in = round(3.0 / PROFILE_STEP_MM)
    steps_out = round(4.0 / PROFILE_STEP_MM)
    i_in = i_end - direction * steps_in
    if direction * (i_in - i_mid) < 0:
        i_in = i_mid
    i_in = min(max(int(i_in), 0), n - 1)
    # (the clips of these few integers by min and max: np.clip's call costs more than the rest here)
    outer = np.minimum(np.maximum(np.arange(i_end, i_end + direction * steps_out, direction), 0), n - 1)
    i_low = int(outer[np.argmin(profile[outer])])
    # walk inwards from the low: fall[k] is the drop from sample k - direction to sample k
    ks = np.arange(i_low, i_in, -direction)
    ks = ks[(ks - direction >= 0) & (ks - direction < n)]
    if len(ks) < 2:
        return None
    before = profile[ks - direction]
    falls_arr = before - profile[ks]
    if float(before.max() - profile[i_low]) < MIN_EDGE_STEP_HU:
        return None
    need = EDGE_FALL_FRACTION * float(falls_arr.max())
    falls = falls_arr.tolist()  # the same doubles, read one by one below as Python floats
    for m in range(len(falls)):
        inward_next = falls[m + 1] if m + 1 < len(falls) else -np.inf
        outward_prev = falls[m - 1] if m > 0 else -np.inf
        if falls[m] >= need and falls[m] >= inward_next and falls[m] >= outward_prev:
            k = int(ks[m])
            centre = 0.5 * float(r[k] + r[k - direction])
            if not (np.isfinite(inward_next) and np.isfinite(outward_prev)):
                return centre
            # sub-sample: the vertex of the parabola through the three falls (m grows inwards)
            curve = outward_prev - 2.0 * falls[m] + inward_next
            shift = (
                0.0 if curve == 0.0 else float(np.clip(0.5 * (outward_prev - inward_next) / curve, -0.5, 0.5))
            )
            return centre - direction * shift * float(r[1] - r[0])
    return None


def width_across(
    volume: Volume,
    roi: LpsRoi,
    solid: BoolArray,
    *,
    point: FloatArray,
    across: FloatArray,
    up: FloatArray,
    region: BoolArray | None = None,
) -> float | None:
    """Bony width through ``point`` along ``across`` (outer edge to outer edge), or None.

    With ``region`` (the pedicle's traced sections) the bone run stops where it leaves the region: a
    rib head or articular process fused with the pedicle in the bony solid is not measured with it;
    where the run is cut there, the edge is the cut. See :func:`edges_across`.
    """
    edges = edges_across(volume, roi, solid, point=point, across=across, up=up, region=region)
    return None if edges is None else edges[1] - edges[0]


def edges_across(
    volume: Volume,
    roi: LpsRoi,
    solid: BoolArray,
    *,
    point: FloatArray,
    across: FloatArray,
    up: FloatArray,
    region: BoolArray | None = None,
) -> tuple[float, float] | None:
    """The bone's two outer edges on the line through ``point`` along ``across`` (mm from ``point``,
    negative first), or None (see :func:`width_across`).

    The edges hold the point between them: edges that do not are a cortex beside the point (a hollow's
    wall), not bone around it, and give None.
    """
    return edges_over_heights(
        volume, roi, solid, point=point, across=across, up=up, heights_mm=np.zeros(1), region=region
    )[0]


def edges_over_heights(
    volume: Volume,
    roi: LpsRoi,
    solid: BoolArray,
    *,
    point: FloatArray,
    across: FloatArray,
    up: FloatArray,
    heights_mm: FloatArray,
    region: BoolArray | None = None,
) -> list[tuple[float, float] | None]:
    """:func:`edges_across` on the lines through ``point + h * up`` for each ``h`` of ``heights_mm``
    (the CT and the masks sampled for all of them at once), in that order.

    The edges are mm along ``across`` from each line's own point, so they compare between heights.
    """
    centres = np.asarray(point, dtype=np.float64) + np.asarray(heights_mm, dtype=np.float64)[:, None] * up
    lines = profiles_on_lines(volume, roi, solid, centres_lps=centres, across=across, up=up, region=region)
    return [lines.edges(k) for k in range(len(centres))]


@dataclass(frozen=True, eq=False)
class LineProfiles:
    """The smoothed CT profiles (HU) and the bone along lines across a pedicle, sampled together.

    ``r_mm`` are the samples' places along each line from its centre; ``bony`` is the bony solid there,
    ``inside`` the bone limited to the pedicle's region (the bone where no region was given).
    """

    r_mm: FloatArray
    hu: FloatArray  # (lines, samples)
    bony: BoolArray  # (lines, samples)
    inside: BoolArray  # (lines, samples)

    def edges(self, k: int) -> tuple[float, float] | None:
        """Line ``k``'s bone edges (mm from its centre, negative first), as :func:`edges_across`."""
        return _edges_on_profile(self.hu[k], self.r_mm, self.bony[k], self.inside[k])


def profiles_on_lines(
    volume: Volume,
    roi: LpsRoi,
    solid: BoolArray,
    *,
    centres_lps: FloatArray,
    across: FloatArray,
    up: FloatArray,
    region: BoolArray | None = None,
) -> LineProfiles:
    """The profiles of :func:`edges_across` on the lines through each of ``centres_lps`` ``(n, 3)``
    along ``across``, sampled at once (their edges come from :meth:`LineProfiles.edges`, only for the
    lines that are needed)."""
    r = np.arange(-PROFILE_HALF_MM, PROFILE_HALF_MM + 1e-9, PROFILE_STEP_MM)
    offsets = np.array((-0.75, 0.0, 0.75))
    centres = np.asarray(centres_lps, dtype=np.float64)
    lines = centres[:, None, :] + r[None, :, None] * across  # (lines, samples, 3)
    pts = lines[:, None, :, :] + offsets[None, :, None, None] * up
    prof = sample_source_hu(volume, pts).mean(axis=1)
    prof = ndimage.gaussian_filter1d(prof, PROFILE_SMOOTH_MM / PROFILE_STEP_MM, axis=1)
    on_grid = RoiPoints(roi, lines)  # placed once for both masks, read around the lines only
    bony = on_grid.sample(solid, order=0) > 0.5
    inside = bony
    if region is not None:
        inside = bony & (on_grid.sample(region, order=0) > 0.5)
    return LineProfiles(r_mm=r, hu=prof, bony=bony, inside=inside)


def run_through_middle(inside: BoolArray) -> tuple[int, int]:
    """The first and last index of the run of ``inside`` through the profile's middle sample (the middle
    itself when it is not inside)."""
    i0 = len(inside) // 2
    i_hi = i0
    while i_hi + 1 < len(inside) and inside[i_hi + 1]:
        i_hi += 1
    i_lo = i0
    while i_lo - 1 >= 0 and inside[i_lo - 1]:
        i_lo -= 1
    return i_lo, i_hi


def _edges_on_profile(
    prof: FloatArray, r: FloatArray, bony: BoolArray, inside: BoolArray
) -> tuple[float, float] | None:
    """The two outer edges of the bone run through the profile's middle (``inside``: the bone, limited
    to the pedicle's region where one is given; ``bony``: the bone), or None."""
    i0 = len(r) // 2
    if not inside[i0]:
        return None
    i_lo, i_hi = run_through_middle(inside)
    if i_hi == len(r) - 1 or i_lo == 0:
        return None  # bone runs off the profile: not a pedicle cross-section here
    i_mid = (i_lo + i_hi) // 2
    right = _run_end(prof, r, bony, i_hi, 1, i_mid=i_mid)
    left = _run_end(prof, r, bony, i_lo, -1, i_mid=i_mid)
    if right is None or left is None:
        return None
    # a cortex followed by a clear dip before the run's end is the pedicle's own outer wall, with
    # a neighbour (rib head, articular process) pressed against it beyond the dip
    inner_right = _first_wall(prof, r, i0, i_hi, 1)
    inner_left = _first_wall(prof, r, i0, i_lo, -1)
    if inner_right is not None:
        right = min(right, inner_right)
    if inner_left is not None:
        left = max(left, inner_left)
    if right <= left:
        return None  # the walls' edges crossed: a profile grazing the pedicle's edge, not across it
    if not left <= 0.0 <= right:
        # the edges hold bone beside the point, not around it: the point lies in a hollow's blur (a
        # pedicle's fatty marrow reading as soft tissue where its ring opens into the transverse
        # process), and the width is of the one cortex beside it (case1 right: 2.0-2.4 mm for ~9 mm)
        return None
    return left, right


def _run_end(
    profile: FloatArray, r: FloatArray, bony: BoolArray, i_end: int, direction: int, *, i_mid: int
) -> float | None:
    """Edge of a bone run ending at ``i_end`` (the pedicle region's end or the bone's).

    Where bone goes on for ``FUSED_MM`` or more beyond the region, a neighbour (rib head, articular
    process) is fused with the pedicle in the bony solid: the edge is the region's end. Otherwise the
    run is followed to the bone's end and the edge placed on the CT (:func:`_fall_edge`).
    """
    n = len(bony)
    k = i_end
    while 0 <= k + direction < n and bony[k + direction]:
        k += direction
    if abs(k - i_end) * PROFILE_STEP_MM >= FUSED_MM:
        return float(r[i_end]) + direction * 0.5 * PROFILE_STEP_MM
    if not 0 < k < n - 1:
        return None
    return _fall_edge(profile, r, k, direction, i_mid=i_mid)


def _first_wall(profile: FloatArray, r: FloatArray, i0: int, i_end: int, direction: int) -> float | None:
    """Outer edge of the first cortex from ``i0`` towards ``i_end`` that a clear dip follows, or None.

    A dip is clear when it falls ``WALL_DIP_FRACTION`` of the way from that cortex's peak down to the
    profile's lowest value (soft tissue) within ``WALL_DIP_REACH_MM`` of the peak, before the profile
    rises above the peak again; the edge is the half-way crossing between the peak and the dip.
    """
    n = len(profile)
    stop = min(max(i_end + direction * round(4.0 / PROFILE_STEP_MM), 0), n - 1)
    floor = float(profile.min())
    idx = list(range(i0 + direction, stop, direction))
    for k in idx[:-1]:
        peak = float(profile[k])
        if not (peak >= profile[k - direction] and peak >= profile[k + direction]):
            continue
        need = WALL_DIP_FRACTION * (peak - floor)
        # the dip is looked for within reach of the peak: beyond it the profile may fall lower still
        # (past a rib head pressed against the pedicle), which is not this cortex's dip
        j = k + direction
        low_j = j
        reach_j = k + direction * round(WALL_DIP_REACH_MM / PROFILE_STEP_MM)
        while j not in (stop, reach_j) and profile[j] <= peak:
            if profile[j] < profile[low_j]:
                low_j = j
            j += direction
        low = float(profile[low_j])
        if peak - low < max(need, 50.0):
            continue
        level = 0.5 * (peak + low)
        i = k
        while profile[i + direction] >= level:
            i += direction
        a, b = float(profile[i]), float(profile[i + direction])
        frac = (a - level) / (a - b) if a != b else 0.0
        return float(r[i] + frac * (r[i + direction] - r[i]))
    return None
