"""The intervertebral discs above and below a point in a vertebral body, from a profile along the spine.

Along the spine's axis a vertebral body reads: trabecular bone, a thin bright endplate, the disc
(soft tissue, 3-6 mm in the thoracic spine, 8-12 mm in the lumbar spine), the next endplate, the next
body. On real CT the disc is often no darker than osteoporotic trabecular bone, and thoracic discs on
2-3 mm slices are too thin for a ray from the body's centre to see the soft tissue beyond its
endplate (:mod:`imaging.vertebra_star` then runs into the next vertebra). What tells a disc apart is
the *pair* of thin bright lines around it. Averaging the CT over a disc-shaped cross-section
(``PROFILE_RADIUS_MM``) removes the trabecular texture and keeps the endplates, which are planar.

Here the profile's ridges (bright lines thinner than ``RIDGE_SCALE_MM``) are found; a disc is a dip
with a ridge within ``PAIR_REACH_MM`` on each side, scored by the two ridges' strength. The body is
bounded by the nearest strong disc above and below the point. Positions LPS mm, HU.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.vertebra_roi import LpsRoi, perpendicular_pair

FloatArray = npt.NDArray[np.float64]

#: radius of the cross-section averaged at each level (mm): well inside the smallest adult body
#: (upper thoracic, about 25 mm wide and 15 mm deep) so no soft tissue around it enters the average
PROFILE_RADIUS_MM = 6.0
#: profile half-length and step along the axis (mm): beyond a whole vertebra above and below
PROFILE_HALF_LENGTH_MM = 45.0
PROFILE_STEP_MM = 0.5
#: ridge scale (mm): a line is as bright as its surroundings this far each side; an endplate cortex
#: is about 1 mm thick (blurred to 2-4 mm by 1-3 mm slices), the trabecular texture left after
#: averaging varies over 5-10 mm
RIDGE_SCALE_MM = 2.5
#: a disc's endplate ridges lie within this distance of its darkest level (mm): half of a 12 mm
#: lumbar disc plus the endplate's blur
PAIR_REACH_MM = 8.0
#: a disc is strong when its score is at least this fraction of the reference score: the median of
#: the ``REFERENCE_RANK`` best (the endplate pairs of one spine are alike; a dip between trabecular
#: humps scores far lower; the median ignores one outlier such as a calcified disc or an implant)
STRONG_FRACTION = 0.6
REFERENCE_RANK = 3
#: both ridges must stand at least this far above their surroundings (HU)
MIN_RIDGE_HU = 15.0
#: a region thinner than this between two end plates is taken for a disc, not a body (mm): adult
#: discs are up to about 12 mm tall, bodies 17 mm (upper thoracic) and more; a body collapsed below
#: this (vertebra plana) is refused too
MIN_BODY_HEIGHT_MM = 12.0
#: adult vertebral bodies are up to about 32 mm tall (L5 included): a slab taller than this between
#: the strong discs holds more than one body, and weaker discs between them are taken
MAX_BODY_HEIGHT_MM = 32.0
#: a slab cut by the field of view reaches this far past the last level the profile reads whole (mm):
#: the view's edge lies within a step and the cross-section's tilt (6 mm at up to 30 degrees, 3 mm) of it
VIEW_EDGE_MARGIN_MM = 3.0
#: a weaker disc scores at least this fraction of the reference score (its two endplate ridges
#: still stand ``MIN_RIDGE_HU`` above their surroundings)
WEAK_FRACTION = 0.4
#: a disc whose endplate ridge lies within this distance of the origin (mm) bounds the body only when
#: both its ridges stand out as endplates: a quarter of the thinnest body (``MIN_BODY_HEIGHT_MM``), the
#: margin within which no disc was taken at all before (a point's own level can read as a faint ridge)
NEAR_RIDGE_MM = 0.25 * MIN_BODY_HEIGHT_MM
#: such a near disc's fainter ridge stands at least this fraction of a typical endplate ridge (half
#: the reference score) above its surroundings; ``WEAK_FRACTION``, the faintest disc taken
ENDPLATE_FRACTION = WEAK_FRACTION


@dataclass(frozen=True)
class Disc:
    """A disc on the profile: its darkest level and its two endplate ridges (mm along the axis)."""

    centre_mm: float
    lower_endplate_mm: float  # the ridge on the inferior side of the disc
    upper_endplate_mm: float  # the ridge on the superior side
    score_hu: float
    weaker_ridge_hu: float  # the fainter of the two endplate ridges (HU above its surroundings)


@dataclass(frozen=True)
class BodySlab:
    """The body between two discs, along ``axis_lps`` from ``origin_lps`` (mm, signed)."""

    origin_lps: FloatArray
    axis_lps: FloatArray
    inferior_mm: float  # the inferior endplate's outer edge (negative: below the origin)
    superior_mm: float  # the superior endplate's outer edge
    discs: tuple[Disc, ...]

    @property
    def height_mm(self) -> float:
        return self.superior_mm - self.inferior_mm

    def contains(self, points_lps: FloatArray) -> npt.NDArray[np.bool_]:
        """True where points lie between the slab's two planes."""
        t = (points_lps - self.origin_lps) @ self.axis_lps
        out: npt.NDArray[np.bool_] = (t >= self.inferior_mm) & (t <= self.superior_mm)
        return out


def axial_profile(
    roi: LpsRoi,
    hu: npt.NDArray[np.float32],
    origin_lps: FloatArray,
    axis_lps: FloatArray,
    *,
    unknown: npt.NDArray[np.bool_] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Mean HU over cross-sections of radius ``PROFILE_RADIUS_MM`` along the axis: ``(t_mm, mean_hu)``.

    Levels outside the ROI, or whose interpolated HU reaches past the scan's edge, are NaN. With
    ``unknown`` (voxels hidden by metal or its streaks, ROI grid) the mean skips them, and a level more
    than half hidden is NaN: a dark streak across the body is no disc.
    """
    axis = axis_lps / np.linalg.norm(axis_lps)
    e1, e2 = perpendicular_pair(axis)
    g = np.arange(-PROFILE_RADIUS_MM, PROFILE_RADIUS_MM + 1e-9, roi.spacing_mm)
    uu, vv = np.meshgrid(g, g)
    keep = uu**2 + vv**2 <= PROFILE_RADIUS_MM**2
    offsets = uu[keep][:, None] * e1 + vv[keep][:, None] * e2
    t = np.arange(-PROFILE_HALF_LENGTH_MM, PROFILE_HALF_LENGTH_MM + 1e-9, PROFILE_STEP_MM)
    pts = origin_lps[None, None, :] + t[:, None, None] * axis[None, None, :] + offsets[None, :, :]
    flat = pts.reshape(-1, 3)
    values = roi.sample(hu, flat).reshape(len(t), -1)
    # a level is in the scan only where its interpolation uses no voxel outside it: the in-scan flag is
    # interpolated as the HU is, and reads 1 only when every voxel weighed is in the scan (up to float
    # rounding). Sampled nearest-neighbour, a level half a voxel past the last slice counted as in the scan
    # while its HU mixed in the padding (chest CT, 1 mm below the last slice's half-voxel: -438 HU), a
    # fake end plate ridge at the scan's edge with no bone measured beyond it (the T12/L1 disc from the
    # middle of the body at (-6, 118, -157.5) was not found)
    inside = roi.in_scan(flat).reshape(len(t), -1)
    full = inside.all(axis=1)
    if unknown is None:
        mean = np.where(full, values.mean(axis=1), np.nan)
        return t, mean
    known = (roi.sample(unknown, flat, order=0) < 0.5).reshape(len(t), -1)
    n_known = known.sum(axis=1)
    seen = full & (2 * n_known >= known.shape[1])
    mean = np.where(seen, (values * known).sum(axis=1) / np.maximum(n_known, 1), np.nan)
    return t, mean


def _ridges(profile: FloatArray) -> FloatArray:
    """How far each level stands above the mean of the levels ``RIDGE_SCALE_MM`` either side (HU).

    Where the profile ends (the scan's edge) within ``RIDGE_SCALE_MM`` on one side, the level is compared
    with the other side alone: an endplate up to that far inside the edge is still a ridge (chest CT, L1's
    superior endplate 1.5 mm above the scan's bottom). Without it the disc below that endplate had one
    ridge, and the dip between its other ridge and the body's middle was taken for the disc, inside T12.
    """
    k = max(1, round(RIDGE_SCALE_MM / PROFILE_STEP_MM))
    out = np.full(profile.shape, np.nan)
    below, above = profile[: -2 * k], profile[2 * k :]
    sides = np.where(np.isfinite(below), np.where(np.isfinite(above), 0.5 * (below + above), below), above)
    out[k:-k] = profile[k:-k] - sides
    return out


def find_discs(t_mm: FloatArray, profile: FloatArray, *, scan_edge: int | None = None) -> list[Disc]:
    """Every dip of the profile with an endplate ridge on each side, strongest first.

    Ridges are local maxima of the ridge measure standing ``MIN_RIDGE_HU`` above their surroundings; a
    disc is the darkest level between two consecutive ridges no more than ``2 * PAIR_REACH_MM``
    apart, scored by the sum of the two ridges.

    ``scan_edge``, when given, is the index of the last level in view before the scan's edge (the next
    level outward lies off the scan). A ridge measure still rising there, ``MIN_RIDGE_HU`` or more, is an
    end plate whose brightest level the edge cuts off: the profile climbs out of a disc's low-density plate
    into the end plate beyond it and the scan ends before it falls again. It counts as a ridge there, so
    a disc whose far end plate lies at the edge is still a disc (see :func:`body_slab`).
    """
    ridge = _ridges(profile)
    n = len(profile)
    finite = np.isfinite(profile) & np.isfinite(ridge)
    # maxima of the ridge measure, not of the profile: an endplate beside a sclerotic lesion or dense
    # bone is a shoulder of the profile, which falls from the lesion through the endplate into the disc
    # (bone-lesions case7, lesion 2 under the superior endplate of an upper thoracic body)
    peaks = [
        i
        for i in range(1, n - 1)
        if finite[i - 1 : i + 2].all()
        and ridge[i] >= ridge[i - 1]
        and ridge[i] > ridge[i + 1]
        and ridge[i] >= MIN_RIDGE_HU
    ]
    if scan_edge is not None and 0 < scan_edge < n - 1:
        inward = scan_edge + 1 if np.isnan(profile[scan_edge - 1]) else scan_edge - 1
        if (
            finite[scan_edge]
            and finite[inward]
            and ridge[scan_edge] >= ridge[inward]
            and ridge[scan_edge] >= MIN_RIDGE_HU
        ):
            peaks = sorted({*peaks, scan_edge})
    # one endplate, one peak: of maxima closer than the ridge scale (noise on a plateau) keep the highest
    merged: list[int] = []
    for i in peaks:
        if merged and t_mm[i] - t_mm[merged[-1]] < RIDGE_SCALE_MM:
            if ridge[i] > ridge[merged[-1]]:
                merged[-1] = i
            continue
        merged.append(i)
    peaks = merged
    reach = 2.0 * PAIR_REACH_MM
    discs: list[Disc] = []
    for jb, ja in itertools.pairwise(peaks):
        if t_mm[ja] - t_mm[jb] > reach or ja - jb < 2:
            continue
        between = profile[jb + 1 : ja]
        if not np.isfinite(between).all():
            continue
        i = jb + 1 + int(np.argmin(between))
        dip = float(profile[i])
        if min(profile[jb], profile[ja]) - dip < MIN_RIDGE_HU:
            continue
        score, weaker = float(ridge[jb] + ridge[ja]), float(min(ridge[jb], ridge[ja]))
        discs.append(Disc(float(t_mm[i]), float(t_mm[jb]), float(t_mm[ja]), score, weaker))
    # an endplate belongs to one disc: a dip between a disc's endplate and a trabecular hump next
    # to it shares that endplate with the stronger true disc and is dropped
    discs.sort(key=lambda d: -d.score_hu)
    kept: list[Disc] = []
    used: set[float] = set()
    for d in discs:
        if d.lower_endplate_mm in used or d.upper_endplate_mm in used:
            continue
        kept.append(d)
        used.update((d.lower_endplate_mm, d.upper_endplate_mm))
    return kept


def _outer_edge(t_mm: FloatArray, profile: FloatArray, ridge_mm: float, disc_mm: float) -> float:
    """Half-maximum between an endplate ridge and the disc's darkest level, on the disc's side."""
    i = int(np.argmin(np.abs(t_mm - ridge_mm)))
    j = int(np.argmin(np.abs(t_mm - disc_mm)))
    half = 0.5 * (profile[i] + profile[j])
    step = 1 if j > i else -1
    k = i
    while k != j and profile[k + step] >= half:
        k += step
    if k == j:
        return float(t_mm[k])
    a, b = float(profile[k]), float(profile[k + step])
    frac = (a - half) / (a - b) if a != b else 0.0
    return float(t_mm[k] + step * frac * PROFILE_STEP_MM)


def _one_sided(
    roi: LpsRoi,
    t_mm: FloatArray,
    profile: FloatArray,
    *,
    origin: FloatArray,
    axis: FloatArray,
    above: list[Disc],
    below: list[Disc],
    strong: list[Disc],
) -> BodySlab | None:
    """The slab between the disc on one side and the field of view's edge on the other, or None.

    Only when the profile on the side without a disc ends at the edge of the scan (not of the ROI) within
    ``MAX_BODY_HEIGHT_MM`` of the origin, with no strong disc at all on that side (not even one too near
    the origin to bound the body: the origin is then on that disc, chest CT z -154.5, 10 mm above the
    scan's bottom): there the body is cut, and the view's edge is its end in view. A slab taller than
    one body (``MAX_BODY_HEIGHT_MM``) is not taken.
    """
    if bool(above) == bool(below):
        return None
    sign = -1.0 if above else 1.0
    if any(sign * d.centre_mm > 0.0 for d in strong):
        return None
    edge = _scan_edge(roi, t_mm, profile, origin=origin, axis=axis, sign=sign)
    if edge is None:
        return None
    end = float(t_mm[edge])
    if abs(end) > MAX_BODY_HEIGHT_MM:
        return None
    # the slab reaches past the edge so that it clips nothing in view (the rays stop at the edge)
    end += sign * VIEW_EDGE_MARGIN_MM
    if above:
        up = min(above, key=lambda d: d.centre_mm)
        top = _outer_edge(t_mm, profile, up.lower_endplate_mm, up.centre_mm)
        slab = BodySlab(origin, axis, end, top, (up,))
    else:
        down = max(below, key=lambda d: d.centre_mm)
        bottom = _outer_edge(t_mm, profile, down.upper_endplate_mm, down.centre_mm)
        slab = BodySlab(origin, axis, bottom, end, (down,))
    in_view_mm = slab.height_mm - VIEW_EDGE_MARGIN_MM
    return slab if MIN_BODY_HEIGHT_MM <= in_view_mm <= MAX_BODY_HEIGHT_MM else None


def _scan_edge(
    roi: LpsRoi, t_mm: FloatArray, profile: FloatArray, *, origin: FloatArray, axis: FloatArray, sign: float
) -> int | None:
    """The index of the profile's last level in view on ``sign``'s side of the origin (+1 above, -1 below)
    when the profile ends there at the scan's edge (the first level past it lies in the ROI but outside
    the scan), else None (the profile runs on, or ends at the ROI's edge)."""
    finite = np.isfinite(profile) & (sign * t_mm >= 0.0)
    if not finite.any():
        return None
    edge = int(np.flatnonzero(finite)[-1 if sign > 0 else 0])
    end = float(t_mm[edge])
    # the first level past the end lies in the ROI but outside the scan: the view's edge, not the ROI's
    beyond = origin + (end + sign * (PROFILE_STEP_MM + PROFILE_RADIUS_MM)) * axis
    index = roi.lps_to_index(beyond)
    if np.any(index < 0) or np.any(index > np.asarray(roi.shape) - 1):
        return None
    if roi.inside[tuple(np.rint(index).astype(int))]:
        return None
    return edge


def body_slab(
    roi: LpsRoi,
    hu: npt.NDArray[np.float32],
    origin_lps: npt.ArrayLike,
    axis_lps: npt.ArrayLike,
    *,
    unknown: npt.NDArray[np.bool_] | None = None,
) -> BodySlab | None:
    """The body around ``origin_lps`` between the nearest strong discs above and below, or None.

    The slab ends at each endplate's outer (half-maximum) edge, the body's surface: the endplate is
    most concave at the centre the profile samples, so its rim lies within the slab. None when no
    strong disc is found on one side and the endplates there are not seen, so the caller keeps its own
    estimate. Where the profile ends at the scan's edge on that side, a disc whose far end plate the edge
    cuts off (:func:`find_discs` with ``scan_edge``) bounds the body as a strong disc in view does; without
    one, where the field of view cuts the body on that side, the view's edge bounds it there.
    """
    origin = np.asarray(origin_lps, dtype=np.float64)
    axis = np.asarray(axis_lps, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    t, prof = axial_profile(roi, hu, origin, axis, unknown=unknown)
    discs = find_discs(t, prof)
    if not discs:
        return None
    reference = float(np.median([d.score_hu for d in discs[:REFERENCE_RANK]]))
    strong = [d for d in discs if d.score_hu >= STRONG_FRACTION * reference]
    # a disc bounds the body on its side of the origin; one whose endplate ridge lies within
    # NEAR_RIDGE_MM of the origin only when both its endplates stand out (see _bounds)
    endplate_hu = ENDPLATE_FRACTION * 0.5 * reference
    above = [d for d in strong if _bounds(d, 1.0, endplate_hu)]
    below = [d for d in strong if _bounds(d, -1.0, endplate_hu)]
    if bool(above) != bool(below):
        # the scan's edge may cut off the far end plate of the disc on the side without one: the disc's
        # low-density plate lies in view between the body's end plate and the profile climbing to the edge
        # (chest CT T12 from 3 mm behind its body click: the T12/L1 disc's dip 81 HU between ridges of
        # 108 HU and 144 HU still rising at the scan's last level; without it the body ran down to the scan's
        # end). It bounds the body as any disc does, scored against the discs in view
        sign = -1.0 if above else 1.0
        edge = _scan_edge(roi, t, prof, origin=origin, axis=axis, sign=sign)
        if edge is not None:
            cut = [
                d
                for d in find_discs(t, prof, scan_edge=edge)
                if d.score_hu >= STRONG_FRACTION * reference and _bounds(d, sign, endplate_hu)
            ]
            if cut:
                discs = sorted({*discs, *cut}, key=lambda d: -d.score_hu)
                above, below = (above, cut) if above else (cut, below)
    if not above or not below:
        # a body cut by the field of view has no disc on that side: the disc on the other side still
        # bounds it (abdomen T12 cut by the scan's top: without its disc below, the rays ran into L1)
        return _one_sided(roi, t, prof, origin=origin, axis=axis, above=above, below=below, strong=strong)
    up = min(above, key=lambda d: d.centre_mm)
    down = max(below, key=lambda d: d.centre_mm)
    top = _outer_edge(t, prof, up.lower_endplate_mm, up.centre_mm)
    bottom = _outer_edge(t, prof, down.upper_endplate_mm, down.centre_mm)
    if top - bottom < MIN_BODY_HEIGHT_MM:
        return None
    if top - bottom > MAX_BODY_HEIGHT_MM:
        # more than one body between the strong discs: a weaker disc lies between them (upper
        # thoracic discs are thin and, with the kyphosis, cut obliquely by the profile)
        weak = [d for d in discs if d.score_hu >= WEAK_FRACTION * reference]
        w_up = min(
            (d for d in weak if _bounds(d, 1.0, endplate_hu)),
            key=lambda d: d.centre_mm,
            default=up,
        )
        w_down = max(
            (d for d in weak if _bounds(d, -1.0, endplate_hu)),
            key=lambda d: d.centre_mm,
            default=down,
        )
        w_top = _outer_edge(t, prof, w_up.lower_endplate_mm, w_up.centre_mm)
        w_bottom = _outer_edge(t, prof, w_down.upper_endplate_mm, w_down.centre_mm)
        if w_top - w_bottom >= MIN_BODY_HEIGHT_MM:
            return BodySlab(origin, axis, w_bottom, w_top, (w_down, w_up))
    return BodySlab(origin, axis, bottom, top, (down, up))


def _bounds(disc: Disc, side: float, endplate_hu: float) -> bool:
    """Whether the disc bounds the origin's body on ``side`` (+1 above, -1 below the origin).

    The disc's endplate ridge facing the origin must lie on the origin's side of the disc, the origin
    in the body (its endplate cortex included), not in the disc. A ridge within ``NEAR_RIDGE_MM`` of the
    origin may be the origin's own level instead of an endplate: the middle of a body can read as a
    faint ridge (15 HU, chest CT T12 from its centroid), and the dip between it and the body's real
    endplate looks like a disc at the origin. Such a near disc bounds the body only when its fainter
    ridge stands ``endplate_hu`` above its surroundings, as an endplate does (a click 2.5 mm below the
    T11/T12 disc's ridge, chest CT (-6, 114, -135.5): its fainter ridge 83 HU, asked 46 HU).
    """
    near_mm = side * (disc.lower_endplate_mm if side > 0 else disc.upper_endplate_mm)
    if near_mm < 0.0 or side * disc.centre_mm <= 0.0:
        return False
    return near_mm >= NEAR_RIDGE_MM or disc.weaker_ridge_hu >= endplate_hu
