"""Pedicle axes and narrowest widths, from the body, the canal and the bony solid.

Frame: body centroid ``c``, superior axis ``a``, posterior ``p`` (towards the canal, perpendicular to
``a``), patient left ``l = p x a``. Positions LPS mm, lengths mm.

The pedicle is the bone lateral to the canal between the posterior wall and the canal's centre (the
lamina and facets join further back). Its cross-sections in planes normal to ``p`` over that range are
traced by :mod:`imaging.vertebra_pedicle_sections` (the blob forming the canal's lateral wall, kept
apart from a rib head or neck and from the articular processes), and their centroids fitted with a
straight line. The sections can cover only a few millimetres at the pedicle's back, whose centroids move
with the section's shape: the craniocaudal slope is shrunk towards the end plates' plane as the span
shortens, the convergence is taken from the midline between the pedicle's walls over its whole length
(:mod:`imaging.pedicle_midline`) where they give one, and an implausible convergence or tilt is replaced
by zero and said in a note. Where the pedicle's waist is found, the waist's normal through its middle
is a second candidate (it does not depend on the sections, which can be the posterior arch behind the
pedicle, as at a tilted cervicothoracic body): of the two, the axis is the one that stays centred in the
pedicle's bone around its waist (:mod:`imaging.pedicle_axis_choice`). Where there is no waist, every
section lies behind the canal's centre and the walls give no midline either, a note says the axis is
uncertain.

The narrowest width is the pedicle's waist (:mod:`imaging.pedicle_waist`), which does not depend on that
axis. Along the axis the bony width is also measured across it (mediolateral, perpendicular to the axis;
:mod:`imaging.pedicle_profile`) on the *source* CT at full resolution, over the whole pedicle: from the
front of the sections split and carried (its base, just behind the body's midline wall) to the traced
sections' end (and 1 mm on behind them while the walls run on smoothly: :mod:`imaging.pedicle_run`),
the run limited over the traced sections to the pedicle's own blobs (not the rib head fused with them),
and on forwards from that front for as long as the line across finds the pedicle's
walls (a body mask that runs back into the canal puts the front behind the isthmus). A width is only
taken where its edges hold the axis's point (not a cortex beside a marrow that reads as soft tissue).
The narrowest of these places the isthmus on the axis, and is the width where no
waist is found (the ring round the canal open at the pedicle's heights, or the shortest way out through
other bone). The entry is where the axis leaves bone posteriorly; the target lies on the axis at two
thirds of the body's depth along it (the junction of its middle and anterior thirds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage, stats

from imaging.mask_crop import dilate_in_box
from imaging.pedicle_axis_choice import best_centred
from imaging.pedicle_axis_direction import (
    CONVERGENCE_RANGE_DEG,
    across_waist,
    plausible_direction,
    toward_body,
)
from imaging.pedicle_midline import walls_direction
from imaging.pedicle_profile import PROFILE_SMOOTH_MM, PROFILE_STEP_MM, bone_edge
from imaging.pedicle_run import WIDTH_STEP_MM, follow_walls, narrowest, width_spread_near, widths_to_base
from imaging.pedicle_station import widest_edges
from imaging.pedicle_waist import WaistPlanes, pedicle_waist, wall_depth_range
from imaging.vertebra_model import Side
from imaging.vertebra_pedicle_sections import MIN_SECTIONS, VertebraFrame, trace_sections
from imaging.vertebra_roi import LpsRoi, sample_source_hu
from imaging.volume import Volume

__all__ = ["PedicleResult", "VertebraFrame", "find_pedicle"]  # VertebraFrame: built by imaging.vertebra

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: sections larger than this multiple of the smallest have merged with other bone
PURE_AREA_FACTOR = 1.4
#: least posterior component of the axis direction used to find where it crosses a section plane (the
#: plausible convergence and tilt ranges keep it above cos 45 deg * cos 20 deg = 0.66)
MIN_AXIS_POSTERIOR = 0.5
#: span of sections (mm) at which the traced craniocaudal slope is trusted half (shrunk towards the end
#: plates' plane by span^2 / (span^2 + this^2)): a section's height centre wanders by a millimetre or
#: so as its shape changes, which over a 3 mm span of a thoracic pedicle would tilt the axis ~20 degrees
TILT_PRIOR_SPAN_MM = 5.0
#: section centroids further than this from the fitted axis are outliers (mm)
FIT_OUTLIER_MM = 1.0
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
    #: how well the width is known on this scan, +- mm (:func:`width_uncertainty`)
    width_uncertainty_mm: float | None = None


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
    # the craniocaudal slope over a few mm is mostly the section's shape changing (a pedicle widens
    # upwards into the articular pillar): shrunk towards the end plates' plane as the span shortens
    span = float(np.ptp(t[keep]))
    shrink = span**2 / (span**2 + TILT_PRIOR_SPAN_MM**2)
    d = p + cu[0] * lft + shrink * cv[0] * a
    d = d / np.linalg.norm(d)
    return d, cents[keep]


def find_pedicle(
    side: Side,
    volume: Volume,
    roi: LpsRoi,
    *,
    solid: BoolArray,
    body: BoolArray,
    frame: VertebraFrame,
    bone_fraction: npt.NDArray[np.float32] | None = None,
    waist_planes: WaistPlanes | None = None,
    refusals: list[str] | None = None,
    unknown: BoolArray | None = None,
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
    waist_planes
        The planes the waist is looked for in (:class:`imaging.pedicle_waist.WaistPlanes` on the same
        ``roi``, ``solid`` and ``frame``), shared with the other side's search; None samples them anew.
    refusals
        Given, why the pedicle was not traced is appended to it where that is known (the field of
        view cutting its sections, or metal's streaks joining it to bone out there).
    unknown
        The ROI's voxels marked for metal and its streaks (:func:`imaging.metal_unknown.metal_unknown`),
        None without metal: names the metal as the reason where it stopped the trace.

    Returns
    -------
    PedicleResult or None
        None when fewer than ``MIN_SECTIONS`` sections are found, the axis cannot be fitted, or the
        field of view cuts a section (a pedicle only partly imaged is not traced).
    """
    sgn = 1.0 if side is Side.LEFT else -1.0
    sp = roi.spacing_mm
    c, a, p, lft = frame.centroid_lps, frame.axis, frame.posterior, frame.left
    body_grown = dilate_in_box(body, iterations=max(1, round(1.0 / sp)))
    posterior_bone = solid & ~body_grown

    traced = trace_sections(
        roi,
        posterior_bone,
        body_grown=body_grown,
        bone_fraction=bone_fraction,
        frame=frame,
        sgn=sgn,
        body_bone=solid & body_grown,
        refusals=refusals,
        unknown=unknown,
    )
    if traced is None:
        return None
    region = dilate_in_box(traced.region)
    front = dilate_in_box(traced.front_region)
    cents = _pure_sections(traced.centroids, traced.areas)
    d_fit = _fit_direction(cents, c, p, lft, a)
    if d_fit is None:
        return None
    d, cents = d_fit
    mid = cents.mean(axis=0)
    # the width itself from the waist, which does not turn with the fitted axis (imaging.pedicle_waist);
    # the widths across the axis give it only where the ring round the canal is open
    waist = pedicle_waist(
        volume,
        roi,
        solid,
        frame=frame,
        sgn=sgn,
        t_range_mm=wall_depth_range(traced.front_t_mm, frame.canal_t_mm),
        axis_height_mm=float((mid - c) @ a),
        convergence_range_deg=CONVERGENCE_RANGE_DEG,
        planes=waist_planes,
    )
    # two ways to the axis's direction, which disagree by 25-60 degrees where the traced sections are the
    # posterior arch behind the pedicle (bone-lesions case7 right, a tilted body whose canal's centre
    # lies within a section's clearance of its midline wall: sections at 15-18 mm, the waist at 8-9):
    # the waist's normal through its middle (it crosses the pedicle perpendicular to its walls at the
    # isthmus), and the midline between the pedicle's walls followed from the sections (their own line
    # where the walls give none; case1: 3 mm of sections where the transverse process and the lamina
    # join the pedicle). The one that stays centred in the pedicle's bone around its waist is the
    # pedicle's (imaging.pedicle_axis_choice): chosen from the image, not from where the body's back lies
    # against the canal's centre (a 1-3 mm move of the body's back flipped such a switch: case7 right
    # -3..37 degrees over seven clicks, 26 on the images). The walls' line is kept unless the waist's
    # normal is clearly better centred (imaging.pedicle_axis_choice.CHOICE_MARGIN)
    d_walls, mid_walls = walls_direction(
        d, mid, volume=volume, roi=roi, solid=solid, frame=frame, min_posterior=MIN_AXIS_POSTERIOR
    )
    uncertain: str | None = None
    if waist is not None:
        (d, mid), _ = best_centred(
            [(d_walls, mid_walls), across_waist(d, waist.chord, frame)],
            volume=volume,
            roi=roi,
            solid=solid,
            frame=frame,
            chord=waist.chord,
            min_posterior=MIN_AXIS_POSTERIOR,
        )
    else:
        # every section traced begins behind the canal's centre (the sections split and carried from
        # the midline wall do) and the walls give no midline: the line is the arch's
        if traced.front_t_mm >= frame.canal_t_mm and d_walls is d:
            uncertain = (
                f"{side.value} pedicle axis uncertain: it could only be traced on the bone behind the "
                "pedicle, so a needle proposed along it may run along the canal's wall: check its path "
                "through the pedicle on the images"
            )
        d, mid = d_walls, mid_walls
    d, note = plausible_direction(d, side, frame)
    if uncertain is not None:
        note = f"{uncertain}; {note}" if note else uncertain
    d, turned = toward_body(d, mid, side, frame=frame, roi=roi, body=body)
    if turned is not None:
        note = f"{note}; {turned}" if note else turned

    across = lft - (lft @ d) * d
    across /= np.linalg.norm(across)
    up = np.cross(d, across)
    # axis parameter s (mm from mid, along d). The isthmus is looked for over the whole pedicle, from
    # the front of the sections split and carried (the midline wall + clearance: a place that does not
    # move with the body mask's posterolateral corners, which do move with the click) to the traced
    # sections' end: the pedicle narrows towards its base, in front of the traced sections, and a
    # search starting at them found the width at their first section (T8 left 5.6-9.9 mm over six
    # clicks 3-6 mm apart, the first section at t 18.5-20.5 mm where the width grows 2 mm a mm)
    s_secs = (cents - mid) @ d
    along_p = max(float(d @ p), MIN_AXIS_POSTERIOR)
    s_front = (traced.front_t_mm - float((mid - c) @ p)) / along_p
    s_first = min(s_front, s_secs.min() - 1.0)
    widths: list[tuple[float, float]] = []

    def edges_at(s: float) -> tuple[float, float] | None:
        # the traced region bounds the run only where sections were traced (it ends abruptly beyond,
        # and in front of them the pedicle's base is partly under the body's mask, which would cut it)
        within = s_secs.min() <= s <= s_secs.max()
        # across the section where it is widest, not at the height the axis happens to cross it
        edges = widest_edges(
            volume, roi, solid, point=mid + s * d, across=across, up=up, region=region if within else None
        )
        return edges if edges is not None and edges[1] - edges[0] > 1.0 else None

    first = edges_at(s_first)
    places = np.arange(s_first, s_secs.max() + 1.0 + 1e-9, WIDTH_STEP_MM)
    last = None
    for i, s in enumerate(places[places <= s_secs.max()]):
        edges = first if i == 0 else edges_at(float(s))
        if edges is not None:
            widths.append((float(s), edges[1] - edges[0]))
            last = edges
    # behind the traced sections nothing bounds the line across to the pedicle: it is followed on only
    # while the walls run on smoothly from the last section's (lumbar-ct-labels L3, 1.5 mm voxels: 1 mm
    # behind them an edge moved 4.6-5.0 mm and the width fell from 11.8-12.9 to 7.6-7.9 mm where the
    # line left the pedicle's back, which was taken for its isthmus, for the 9 mm the images show)
    widths += follow_walls(edges_at, (float(s) for s in places[places > s_secs.max()]), last=last)
    s_body = -float((mid - c) @ p) / along_p
    widths = widths_to_base(edges_at, s_first, s_body=s_body, last=first) + widths
    if len(widths) < 3:
        return None
    w_arr = np.array(widths)
    k, min_width = narrowest(w_arr[:, 0], w_arr[:, 1])
    # the waist's width is read across the pedicle wherever along it the waist lies: only the voxel's
    # share of the uncertainty applies to it; the widths across the axis depend on where along it the
    # isthmus is read
    spread_near = 0.0 if waist is not None else width_spread_near(w_arr[:, 0], w_arr[:, 1], k)
    if waist is not None:
        min_width = waist.width_mm
    uncertainty = width_uncertainty(volume, spread_near)
    s_isthmus = float(w_arr[k, 0])
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
    s_edge = bone_edge(prof, ss, i_last, 1)
    entry = mid + (s_edge if s_edge is not None else ss[i_last]) * d

    # target: two thirds of the body's depth along the axis
    sb = np.arange(s_isthmus, s_isthmus - 120.0, -0.5)
    in_body = roi.sample(body, mid + sb[:, None] * d, order=0) > 0.5
    if not in_body.any():
        return None
    i_back = int(np.argmax(in_body))
    # the body's front along the axis is where the axis leaves it for the last time: a gap in its mask
    # (a posterolateral corner reaching into the pedicle's base, the basivertebral foramen, a lytic
    # hole) is not its front
    i_front = int(np.flatnonzero(in_body)[-1])
    s_target = sb[i_back] + TARGET_DEPTH_FRACTION * (sb[i_front] - sb[i_back])
    target = mid + s_target * d

    # the pedicle zone: posterior bone near the axis between the body and the traced sections' end
    def axis_frame(idx: npt.NDArray[np.intp]) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Voxels' LPS points and their place along the axis, across it and up from it (mm)."""
        pts = roi.index_to_lps(idx.astype(np.float64))
        rel = pts - mid
        return pts, rel @ d, np.abs(rel @ across), np.abs(rel @ up)

    idx = np.argwhere(posterior_bone)
    pts_b, s_b, across_b, up_b = axis_frame(idx)
    t_b = (pts_b - c) @ p
    zone = (
        (s_b >= sb[i_back] - 1.0)
        & (s_b <= s_secs.max() + 1.0)
        & (across_b <= 0.5 * min_width + 3.0)
        & (up_b <= 0.5 * frame.height_mm)
        # over the traced sections, only the pedicle's own blobs (not a rib head fused with it); in
        # front of them, over the sections split and carried only, the pedicle's blobs there (not a
        # rib head lying beside its base)
        & (
            region[tuple(idx.T)]
            | ((s_b < s_secs.min()) & (front[tuple(idx.T)] | (t_b < traced.front_t_mm - 0.5 * sp)))
        )
    )
    mask = np.zeros_like(solid)
    mask[tuple(idx[zone].T)] = True
    # the isthmus can lie at the pedicle's base, within the 1 mm the body's mask was grown by: the bone
    # of its narrowest section there belongs to the pedicle too (the needle is centred and its clearance
    # measured in this mask), across the axis within the width measured
    idx_base = np.argwhere(solid & body_grown)
    _, s_base, across_base, up_base = axis_frame(idx_base)
    base = (
        (s_base >= s_isthmus - WIDTH_STEP_MM)
        & (s_base <= max(s_isthmus, s_secs.min()) + WIDTH_STEP_MM)
        & (across_base <= 0.5 * min_width + 0.5 * sp)
        & (up_base <= 0.5 * frame.height_mm)
    )
    mask[tuple(idx_base[base].T)] = True
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
        width_uncertainty_mm=uncertainty,
    )


def width_uncertainty(volume: Volume, spread_near_isthmus_mm: float) -> float:
    """How well a pedicle's narrowest width is known on this scan, +- mm: the larger of half the source's
    coarsest voxel and half the change of the width within ``ISTHMUS_REACH_MM`` (1.5 mm) of the isthmus
    along the axis (``spread_near_isthmus_mm``, :func:`imaging.pedicle_run.width_spread_near`).

    Each wall is placed at its cortex's half-maximum, between voxels; a pedicle's oval section is sampled
    only every slice in height, so its widest extent can lie between two slices. Measured over 8 clicks
    within 3 mm of each body's centre (tests/benchmarks/pedicle_width_spread.py): where the width comes
    from the waist, the clicks' widths lie within a voxel of each other (chest T7-T10, 2 mm slices: 0.1-1.0
    mm apart); where it is read across a fitted axis on 3 mm voxels (abdomen L1, L2) they lie 2.5-3.9 mm
    apart, the outliers read where the width changes by 6-7 mm within 1.5 mm along the axis: there where
    along the axis the isthmus is read matters more than the voxel, and that is said instead.
    """
    return max(0.5 * float(max(volume.spacing_mm)), 0.5 * spread_near_isthmus_mm)
