"""Pedicle axes and narrowest widths, from the body, the canal and the bony solid.

Frame: body centroid ``c``, superior axis ``a``, posterior ``p`` (towards the canal, perpendicular to
``a``), patient left ``l = p x a``. Positions LPS mm, lengths mm.

The pedicle is the bone lateral to the canal between the posterior wall and the canal's centre (the
lamina and facets join further back). Its centre line is traced by the centroids of its cross-sections
in planes normal to ``p`` over that range, and fitted with a straight line. Along that axis the bony
width is measured across it (mediolateral, perpendicular to the axis) on the *source* CT at full
resolution: outer edge to outer edge, each edge at half-way between the cortical peak and the tissue
outside. The narrowest width is the isthmus. The entry is where the axis leaves bone posteriorly; the
target lies on the axis at two thirds of the body's depth along it (the junction of its middle and
anterior thirds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage, stats

from imaging.vertebra_model import Side
from imaging.vertebra_roi import LpsRoi, sample_source_hu
from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: in-plane sampling of the cross-sections (mm)
SECTION_STEP_MM = 0.5
#: smallest pedicle cross-section accepted (mm^2)
MIN_SECTION_MM2 = 8.0
#: least number of cross-sections to fit an axis
MIN_SECTIONS = 3
#: a pedicle section closer than this to the edge of the field of view is taken as cut by it (mm,
#: one voxel of a 1.5 mm scan)
VIEW_MARGIN_MM = 1.5
#: spacing of the cross-sections along the posterior direction (mm)
SECTION_SPACING_MM = 0.5
#: the sections span at least this much along the posterior direction (mm)
MIN_SECTION_SPAN_MM = 3.0
#: sections larger than this multiple of the smallest have merged with other bone
PURE_AREA_FACTOR = 1.4
#: widths below this fraction of the pedicle's median width are profiles that slipped off it
MIN_WIDTH_FRACTION = 0.6
#: plausible transverse (medial convergence) pedicle angles, degrees: CLINICAL.md gives 35.4 at T1
#: down to -9.8 at T12, rising again from L1 to L5 (about 30 at L5); a traced angle outside this
#: range is reported as uncertain
CONVERGENCE_RANGE_DEG = (-15.0, 45.0)
#: first section this far behind the body's most posterior point (mm)
SECTION_CLEARANCE_MM = 2.0
#: section centroids further than this from the fitted axis are outliers (mm)
FIT_OUTLIER_MM = 1.0
#: width profiles: half length, step, and the 1D smoothing (mm)
PROFILE_HALF_MM = 15.0
PROFILE_STEP_MM = 0.25
PROFILE_SMOOTH_MM = 0.4
#: depth fraction of the target along the axis inside the body (from its posterior surface)
TARGET_DEPTH_FRACTION = 2.0 / 3.0
#: a gap in bone this long along the axis ends it (a facet joint space is 1-2 mm) (mm)
ENTRY_GAP_MM = 1.0


@dataclass(frozen=True, eq=False)
class PedicleResult:
    """One pedicle's axis and width."""

    side: Side
    entry_lps: FloatArray
    target_lps: FloatArray
    isthmus_lps: FloatArray
    min_width_mm: float
    direction_lps: FloatArray  # unit, from the body towards the entry
    mask: BoolArray  # ROI grid
    n_sections: int
    note: str | None = None


@dataclass(frozen=True)
class VertebraFrame:
    """The vertebra's frame and the canal measures the pedicle search needs (LPS mm)."""

    centroid_lps: FloatArray
    axis: FloatArray
    posterior: FloatArray
    left: FloatArray
    canal_center_u_mm: float
    canal_half_width_mm: float
    wall_t_mm: float  # posterior body surface at the midline, along p from the centroid
    body_back_t_mm: float  # the body's most posterior point along p (its posterolateral corners)
    canal_t_mm: float  # canal centroid along p from the centroid
    height_mm: float


def _edge(profile: FloatArray, r: FloatArray, i_end: int, direction: int) -> float | None:
    """Sub-sample position of a bone edge beyond run end ``i_end``, going ``direction`` (+1/-1).

    Half-way between the cortical peak just inside the end and the lowest value just outside it.
    """
    n = len(profile)
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


def _pure_sections(cents: FloatArray, areas: FloatArray) -> FloatArray:
    """The run of sections around the smallest one whose area stays within ``PURE_AREA_FACTOR`` of it.

    Larger sections have merged with the lamina, the facets or the body's corner.
    """
    k = int(np.argmin(areas))
    limit = PURE_AREA_FACTOR * float(areas[k])
    lo = k
    while lo - 1 >= 0 and areas[lo - 1] <= limit:
        lo -= 1
    hi = k
    while hi + 1 < len(areas) and areas[hi + 1] <= limit:
        hi += 1
    if hi - lo + 1 < MIN_SECTIONS:
        return cents
    out: FloatArray = cents[lo : hi + 1]
    return out


def _fit_direction(
    cents: FloatArray, c: FloatArray, p: FloatArray, lft: FloatArray, a: FloatArray
) -> tuple[FloatArray, FloatArray] | None:
    """Axis direction from section centroids: ``u(t)`` and ``v(t)`` fitted as straight lines.

    The sections' position ``t`` along ``p`` is exact, so lateral and vertical offsets are regressed
    on it (Theil-Sen, then least squares; a free 3D line fit can tip sideways when the sections
    span a few mm). Centroids more than ``FIT_OUTLIER_MM`` off the robust fit (a section still
    touching the body's corner) are dropped before the least-squares fit.
    """
    rel = cents - c
    t, u, v = rel @ p, rel @ lft, rel @ a
    if len(t) < MIN_SECTIONS:
        return None
    su, iu, _, _ = stats.theilslopes(u, t)
    sv, iv, _, _ = stats.theilslopes(v, t)
    resid = np.hypot(u - (iu + su * t), v - (iv + sv * t))
    keep = resid <= FIT_OUTLIER_MM
    if keep.sum() < MIN_SECTIONS:
        return None
    cu = np.polyfit(t[keep], u[keep], 1)
    cv = np.polyfit(t[keep], v[keep], 1)
    d = p + cu[0] * lft + cv[0] * a
    d = d / np.linalg.norm(d)
    return d, cents[keep]


def _width_at(
    volume: Volume,
    roi: LpsRoi,
    solid: BoolArray,
    *,
    point: FloatArray,
    across: FloatArray,
    up: FloatArray,
) -> float | None:
    """Bony width through ``point`` along ``across`` (outer edge to outer edge), or None."""
    r = np.arange(-PROFILE_HALF_MM, PROFILE_HALF_MM + 1e-9, PROFILE_STEP_MM)
    offsets = (-0.75, 0.0, 0.75)
    pts = np.stack([point + o * up + r[:, None] * across for o in offsets])
    prof = sample_source_hu(volume, pts).mean(axis=0)
    prof = ndimage.gaussian_filter1d(prof, PROFILE_SMOOTH_MM / PROFILE_STEP_MM)
    inside = roi.sample(solid, point + r[:, None] * across, order=0) > 0.5
    i0 = len(r) // 2
    if not inside[i0]:
        return None
    i_hi = i0
    while i_hi + 1 < len(r) and inside[i_hi + 1]:
        i_hi += 1
    i_lo = i0
    while i_lo - 1 >= 0 and inside[i_lo - 1]:
        i_lo -= 1
    if i_hi == len(r) - 1 or i_lo == 0:
        return None  # bone runs off the profile: not a pedicle cross-section here
    right = _edge(prof, r, i_hi, 1)
    left = _edge(prof, r, i_lo, -1)
    if right is None or left is None:
        return None
    return right - left


def find_pedicle(
    side: Side,
    volume: Volume,
    roi: LpsRoi,
    *,
    solid: BoolArray,
    body: BoolArray,
    frame: VertebraFrame,
    bone_fraction: npt.NDArray[np.float32] | None = None,
) -> PedicleResult | None:
    """One pedicle's axis, isthmus and narrowest width, or None when it cannot be traced.

    Parameters
    ----------
    side
        Which pedicle (patient side).
    volume
        Source CT (widths are measured on it at full resolution).
    roi
        LPS ROI.
    solid
        Bony solid on the ROI.
    body
        Vertebral body mask on the ROI.
    frame
        The vertebra's frame and canal measures.
    bone_fraction
        Fuzzy bone membership (0-1) on the ROI from HU, weighting the section centroids below
        the voxel size (partial volume); None weights by the mask alone.

    Returns
    -------
    PedicleResult or None
        None when fewer than ``MIN_SECTIONS`` sections are found, the axis cannot be fitted, or the
        field of view cuts a section (a pedicle only partly imaged is not traced).
    """
    sgn = 1.0 if side is Side.LEFT else -1.0
    sp = roi.spacing_mm
    c, a, p, lft = frame.centroid_lps, frame.axis, frame.posterior, frame.left
    body_grown = ndimage.binary_dilation(body, iterations=max(1, round(1.0 / sp)))
    posterior_bone = solid & ~body_grown

    # sections start clear of the body (its 1 voxel dilation would eat into the first ones)
    t_start = max(frame.wall_t_mm, frame.body_back_t_mm) + SECTION_CLEARANCE_MM
    # and end at the canal's centre: further back the lamina and facets join the pedicle
    t_stop = max(frame.canal_t_mm, t_start + MIN_SECTION_SPAN_MM)
    us = np.arange(-45.0, 45.0 + 1e-9, SECTION_STEP_MM)
    v_half = 0.5 * frame.height_mm + 4.0
    vs = np.arange(-v_half, v_half + 1e-9, SECTION_STEP_MM)
    uu, vv = np.meshgrid(us, vs, indexing="ij")
    expected_u = frame.canal_center_u_mm + sgn * (frame.canal_half_width_mm + 4.0)
    min_px = MIN_SECTION_MM2 / SECTION_STEP_MM**2
    centroids: list[FloatArray] = []
    areas: list[float] = []
    for t in np.arange(t_start, t_stop + 1e-9, SECTION_SPACING_MM):
        pts = c + t * p + uu[..., None] * lft + vv[..., None] * a
        occupancy = roi.sample(posterior_bone, pts, order=1)
        plane = occupancy > 0.5
        labels, n = ndimage.label(plane)
        if n == 0:
            continue
        index = np.arange(1, n + 1)
        sizes = ndimage.sum_labels(np.ones_like(labels), labels, index)
        # sub-voxel centroids: each component (grown by one sample) weighted by its bone fraction
        grown = ndimage.grey_dilation(labels, size=3)
        weight = occupancy
        if bone_fraction is not None:
            weight = roi.sample(bone_fraction, pts, order=1) * (roi.sample(body_grown, pts, order=0) < 0.5)
        coms = ndimage.center_of_mass(weight, grown, index)
        best: tuple[float, FloatArray, float] | None = None
        best_truncated = False
        in_view = roi.sample(roi.inside, pts, order=0) > 0.5
        cut_by_view = ndimage.binary_dilation(~in_view, iterations=round(VIEW_MARGIN_MM / SECTION_STEP_MM))
        for lab, size, com in zip(index, sizes, coms, strict=True):
            if size < min_px:
                continue
            u_c = us[0] + com[0] * SECTION_STEP_MM
            v_c = vs[0] + com[1] * SECTION_STEP_MM
            if sgn * (u_c - frame.canal_center_u_mm) < 0.5 * frame.canal_half_width_mm:
                continue
            score = abs(u_c - expected_u)
            if best is None or score < best[0]:
                truncated = bool((cut_by_view & (labels == lab)).any())
                best = (score, c + t * p + u_c * lft + v_c * a, float(size) * SECTION_STEP_MM**2)
                best_truncated = truncated
        if best is not None:
            if best_truncated:
                return None  # the field of view cuts the pedicle: its axis cannot be traced
            centroids.append(best[1])
            areas.append(best[2])
    if len(centroids) < MIN_SECTIONS:
        return None
    cents = _pure_sections(np.array(centroids), np.array(areas))
    d_fit = _fit_direction(cents, c, p, lft, a)
    if d_fit is None:
        return None
    d, cents = d_fit
    mid = cents.mean(axis=0)
    note: str | None = None
    convergence = float(np.degrees(np.arctan2(sgn * (d @ lft), d @ p)))
    if not CONVERGENCE_RANGE_DEG[0] <= convergence <= CONVERGENCE_RANGE_DEG[1]:
        note = (
            f"{side.value} pedicle axis direction uncertain (traced convergence {convergence:.0f} deg, "
            f"outside {CONVERGENCE_RANGE_DEG[0]:.0f}..{CONVERGENCE_RANGE_DEG[1]:.0f}); shown parallel "
            "to the midline through the isthmus"
        )
        d = p - (p @ a) * a
        d /= np.linalg.norm(d)

    across = lft - (lft @ d) * d
    across /= np.linalg.norm(across)
    up = np.cross(d, across)
    # axis parameter s (mm from mid, along d); the pedicle zone spans the traced sections
    s_secs = (cents - mid) @ d
    widths: list[tuple[float, float]] = []
    for s in np.arange(s_secs.min() - 1.0, s_secs.max() + 1.0 + 1e-9, 0.5):
        w = _width_at(volume, roi, solid, point=mid + s * d, across=across, up=up)
        if w is not None and w > 1.0:
            widths.append((s, w))
    if len(widths) < 3:
        return None
    w_arr = np.array(widths)
    # a profile that slipped off the pedicle gives a spuriously small width: judge each against
    # its neighbours (median of three) and against the pedicle's typical width
    w_med = ndimage.median_filter(w_arr[:, 1], size=3, mode="nearest")
    plausible = w_arr[:, 1] >= MIN_WIDTH_FRACTION * float(np.median(w_arr[:, 1]))
    w_use = np.where(plausible, w_med, np.inf)
    k = int(np.argmin(w_use))
    s_isthmus, min_width = float(w_arr[k, 0]), float(w_use[k])
    isthmus = mid + s_isthmus * d

    # entry: where the axis leaves bone posteriorly (half-maximum edge on the source CT)
    ss = np.arange(s_isthmus, s_isthmus + 60.0, PROFILE_STEP_MM)
    line = mid + ss[:, None] * d
    in_solid = roi.sample(solid, line, order=0) > 0.5
    gap = round(ENTRY_GAP_MM / PROFILE_STEP_MM)
    i_last = 0
    for i in range(len(ss)):
        if in_solid[i]:
            i_last = i
        elif i - i_last > gap:
            break
    prof = ndimage.gaussian_filter1d(sample_source_hu(volume, line), PROFILE_SMOOTH_MM / PROFILE_STEP_MM)
    s_edge = _edge(prof, ss, i_last, 1)
    entry = mid + (s_edge if s_edge is not None else ss[i_last]) * d

    # target: two thirds of the body's depth along the axis
    sb = np.arange(s_isthmus, s_isthmus - 120.0, -0.5)
    in_body = roi.sample(body, mid + sb[:, None] * d, order=0) > 0.5
    if not in_body.any():
        return None
    i_back = int(np.argmax(in_body))
    i_front = i_back
    while i_front + 1 < len(sb) and in_body[i_front + 1]:
        i_front += 1
    s_target = sb[i_back] + TARGET_DEPTH_FRACTION * (sb[i_front] - sb[i_back])
    target = mid + s_target * d

    # the pedicle zone: posterior bone near the axis between the body and the traced sections' end
    idx = np.argwhere(posterior_bone)
    pts_b = roi.index_to_lps(idx.astype(np.float64))
    rel = pts_b - mid
    s_b = rel @ d
    across_b = np.abs(rel @ across)
    up_b = np.abs(rel @ up)
    zone = (
        (s_b >= sb[i_back] - 1.0)
        & (s_b <= s_secs.max() + 1.0)
        & (across_b <= 0.5 * min_width + 3.0)
        & (up_b <= 0.5 * frame.height_mm)
    )
    mask = np.zeros_like(solid)
    mask[tuple(idx[zone].T)] = True
    return PedicleResult(
        side=side,
        entry_lps=entry,
        target_lps=target,
        isthmus_lps=isthmus,
        min_width_mm=min_width,
        direction_lps=d,
        mask=mask,
        n_sections=len(cents),
        note=note,
    )
