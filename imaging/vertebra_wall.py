"""The posterior vertebral wall: the cortex between the body and the spinal canal, and its gaps.

Works in the vertebra's frame: body centroid ``c``, superior axis ``a``, posterior ``p`` (towards the
canal, perpendicular to ``a``) and left ``l = p x a`` (patient left). The wall is probed by rays along
``p`` on a 1 mm grid of lateral positions ``u`` (the canal's width) and heights ``v`` (the body's
height less the endplates). Each ray finds the body's posterior surface and the highest HU within a
few mm of it; where that peak is not cortical (below half-way between the body's own trabecular
bone and the wall's typical cortex, or a fraction of the body's other cortex when the wall as a
whole is much weaker) the cortex is missing. Connected missing areas of at least
``MIN_DEFECT_MM2`` that reach into the canal's central part (``canal_u_range_mm``; beyond it the rays
meet the pedicles' bases) are gaps, followed out to the canal's whole width
(``canal_full_u_range_mm``), with their centre (LPS mm) and size (largest extent, mm)
(:mod:`imaging.wall_gaps`). Before, a gap was cut at the central part's edge: on case1 a 10 mm lytic
hole 7 mm left of the midline was cut at 7.6 mm and its inner half joined the foramen's gap, which was
then reported "at the midline" (session 17 QA, item 4).

A gap is a break of the cortex only where the wall beside it reads as cortex
(:mod:`imaging.wall_cortex`: brighter than 9 in 10 equal windows of the body's own trabecular bone,
away from the end plates' partial volume), or where lytic tissue lies behind it (a mass that destroyed
the wall, rim and all). Elsewhere the scan does not resolve the cortex there (a shell a few tenths of
a mm thick on 3 mm voxels, in osteopenic bone): no break is seen, the wall stays intact, and
:attr:`WallResult.notes` says where the cortex was not resolved and that a thin break cannot be
excluded there. Inside such an area a patch of rays with lytic HU behind them is still a defect
(:func:`imaging.wall_gaps.lytic_breaks`) unless it has the foramen's size and place, where the
basivertebral vein's channel reads as lytic HU too on thick voxels. A gap of the foramen's size and
place (:func:`imaging.wall_gaps.foramen_reason`) is reported as the foramen either way, saying so when
the cortex beside it is not resolved (abdomen-pelvis-ct, 3 mm: the old single HU cut called the T12,
L2, L4 and L5 walls "with defects", up to 22 x 21 mm at L5, and flipped L2 between two clicks 0.6 mm
apart; the walls beside those gaps read 135-159 HU against trabecular references of 140-237 HU). A gap
that is no foramen but joins a lytic hole to the foramen is split into the two
(:func:`imaging.wall_gaps.foramen_beside_mass`).

Lytic tissue behind the wall is the mean HU ``LYTIC_DEPTH_MM`` in front of the surface (its start
brought to one source voxel plus 1 mm on thinner scans, where the cortex's partial volume fades
sooner: 2-6 mm on 1 mm voxels, 4-8 mm from 3 mm voxels on) below the cut half way between ``LYTIC_HU``
and the body's trabecular bone, judged where the two can be told apart
(:func:`imaging.wall_cortex.lytic_cut_hu`: the body's core 50 HU above lytic HU, or the cut below nine in
ten of the wall's own deep windows, the core above lytic HU; before, only the first, so case1's
osteoporotic body, core 97 HU, was never judged although 0-4 % of its wall's rays read below the cut).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_model import WallDefect
from imaging.vertebra_roi import LpsRoi
from imaging.wall_cortex import cortex_reference, deep_hu, lytic_cut_hu, rim_is_cortex, rim_peak_hu
from imaging.wall_gaps import (
    FORAMEN_HEIGHT_FRACTION,
    FORAMEN_MAX_HEIGHT_MM,
    FORAMEN_MAX_WIDTH_MM,
    LYTIC_RAY_FRACTION,
    MIN_DEFECT_MM2,
    WALL_STEP_MM,
    ForamenLimits,
    Gap,
    foramen_beside_mass,
    foramen_reason,
    lytic_breaks,
    measure_gap,
    mirrored_pair,
    smallest_sure_gap_mm,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: step of the wall points returned (mm)
WALL_POINT_STEP_MM = 2.0
#: the wall band's thickness inside the body surface (mm)
WALL_BAND_MM = 3.0
#: the endplate zones excluded at the top and bottom of the wall (mm)
ENDPLATE_MARGIN_MM = 2.5
#: where the cortical peak is looked for, relative to the body's posterior surface (mm)
PEAK_WINDOW_MM = (-3.0, 1.5)
#: depths in front of the wall surface where a lytic mass behind a gap is looked for (mm): beyond the
#: cortex and its blur (a 3 mm voxel's partial volume and the 1 mm smoothing fade within about 4 mm),
#: within the reach of a lesion that breaks through the wall; on thinner scans the window starts one
#: source voxel plus the smoothing's 1 mm in front of the surface (:func:`_lytic_depth_mm`)
LYTIC_DEPTH_MM = (4.0, 8.0)
#: the smoothing's reach added to the source voxel for the lytic window's start on thin scans (mm)
LYTIC_DEPTH_BLUR_MM = 1.0
#: lytic tissue reference (HU): CLINICAL.md gives roughly 0-100 HU for a lytic lesion; its middle
LYTIC_HU = 50.0
#: below this trabecular-to-lytic contrast (HU) a lytic mass cannot be told from bone: not judged
MIN_LYTIC_CONTRAST_HU = 50.0
#: a foramen-sized gap where the scan does not resolve the cortex beside it
FORAMEN_IN_FAINT_WALL = (
    "basivertebral foramen (normal; the wall's cortex beside it is not resolved on this scan)"
)
#: the wall's cortex is expected to stand at least this fraction of the body's typical cortical
#: contrast above the trabecular bone (a wall destroyed as a whole has no median peak of its own)
WALL_CONTRAST_FRACTION = 0.3


@dataclass(frozen=True, eq=False)
class WallResult:
    """The posterior wall on a ROI."""

    band: BoolArray
    points_lps: tuple[tuple[float, float, float], ...]
    defects: tuple[WallDefect, ...]
    assessed: bool  # False when too few rays met the body to judge the wall
    foramina: tuple[WallDefect, ...] = ()  # gaps judged to be the normal basivertebral foramen
    notes: tuple[str, ...] = ()  # gaps where the scan does not resolve the cortex: no break seen
    #: the smallest round gap sure to be reported on this scan (mm across; :func:`smallest_sure_gap_mm`):
    #: what "intact" means; None when the wall was not assessed
    smallest_gap_mm: float | None = None


def find_posterior_wall(
    roi: LpsRoi,
    body: BoolArray,
    *,
    smoothed: npt.NDArray[np.float32],
    trabecular_hu: float,
    body_cortex_hu: float,
    centroid_lps: FloatArray,
    axis: FloatArray,
    posterior: FloatArray,
    canal_u_range_mm: tuple[float, float],
    height_mm: float,
    source_voxel_mm: float = 1.0,
    canal_full_u_range_mm: tuple[float, float] | None = None,
) -> WallResult:
    """Posterior wall band, points and defects.

    Parameters
    ----------
    roi
        LPS ROI.
    body
        Body mask on the ROI.
    smoothed
        Smoothed HU on the ROI.
    trabecular_hu
        Median HU of the body's core (the patient's own trabecular bone).
    body_cortex_hu
        Typical cortical peak HU around the whole body.
    centroid_lps, axis, posterior
        Body centroid, superior unit axis, posterior unit direction (perpendicular to the axis).
    canal_u_range_mm
        The canal's lateral extent along ``l`` relative to the centroid (mm).
    height_mm
        Body height (mm).
    source_voxel_mm
        The source image's largest voxel size (mm): the partial-volume allowance of the foramen's
        size bounds (one voxel per edge).
    canal_full_u_range_mm
        The canal's whole lateral extent along ``l`` relative to the centroid (mm): gaps found in
        ``canal_u_range_mm`` are followed out to it. None: ``canal_u_range_mm``.

    Returns
    -------
    WallResult
    """
    left = np.cross(posterior, axis)
    u_lo, u_hi = canal_u_range_mm
    core_us = np.arange(np.ceil(u_lo), np.floor(u_hi) + 0.5, WALL_STEP_MM)
    v_half = 0.5 * height_mm - ENDPLATE_MARGIN_MM
    vs = np.arange(-np.floor(v_half), np.floor(v_half) + 0.5, WALL_STEP_MM)
    if len(core_us) < 2 or len(vs) < 2:
        return WallResult(np.zeros_like(body), (), (), False)
    # rays out to the canal's whole width: a gap is looked for in the central part (the rest meets the
    # pedicles' bases) but followed out to its own edge, so a hole beside the central part is measured
    # whole, with its own place (case1: a 10 mm hole 7 mm left of the midline was cut at the central
    # part's edge, 7.6 mm, and its inner half joined the foramen's gap, reported "at the midline")
    full_lo, full_hi = canal_full_u_range_mm if canal_full_u_range_mm is not None else canal_u_range_mm
    n_lo = max(0, int(np.floor((core_us[0] - full_lo) / WALL_STEP_MM)))
    n_hi = max(0, int(np.floor((full_hi - core_us[-1]) / WALL_STEP_MM)))
    us = core_us[0] + WALL_STEP_MM * np.arange(-n_lo, len(core_us) + n_hi, dtype=np.float64)
    core = slice(n_lo, n_lo + len(core_us))
    ts = np.arange(0.0, 60.0, 0.5)
    uu, vv, tt = np.meshgrid(us, vs, ts, indexing="ij")
    pts = centroid_lps + uu[..., None] * left + vv[..., None] * axis + tt[..., None] * posterior
    inside = roi.sample(body, pts, order=0) > 0.5
    any_in: BoolArray = np.asarray(inside.any(axis=2), dtype=bool)
    # the posterior surface: the last sample inside the body along each ray
    last = np.where(any_in, inside.shape[2] - 1 - np.argmax(inside[..., ::-1], axis=2), 0)
    t_surface = ts[last]
    window = np.arange(PEAK_WINDOW_MM[0], PEAK_WINDOW_MM[1] + 0.01, 0.5)
    wt = t_surface[..., None] + window
    wpts = (
        centroid_lps
        + us[:, None, None, None] * left
        + vs[None, :, None, None] * axis
        + wt[..., None] * posterior
    )
    peak = roi.sample(smoothed, wpts, order=1).max(axis=2)
    core_rays = np.zeros_like(any_in)
    core_rays[core] = any_in[core]

    assessed = bool(core_rays.sum() >= 0.5 * any_in[core].size)
    defects: list[WallDefect] = []
    foramina: list[WallDefect] = []
    notes: list[str] = []
    if assessed:
        frame = (centroid_lps, left, axis, posterior)
        wall_contrast = float(np.median(peak[core_rays])) - trabecular_hu
        # a wall much weaker than the body's other cortex is judged against that cortex instead
        contrast = max(wall_contrast, WALL_CONTRAST_FRACTION * (body_cortex_hu - trabecular_hu))
        missing = any_in & (peak < trabecular_hu + 0.5 * contrast)
        reference = cortex_reference(
            roi,
            smoothed,
            frame=frame,
            us=core_us,
            vs=vs,
            t_surface=t_surface[core],
            rays=any_in[core],
            window_mm=window,
            source_voxel_mm=source_voxel_mm,
        )
        # mean HU along each ray LYTIC_DEPTH_MM in front of the surface: lytic tissue behind a gap
        depth = _lytic_depth_mm(source_voxel_mm)
        deep = deep_hu(roi, smoothed, frame=frame, us=us, vs=vs, t_surface=t_surface, depth_mm=depth)
        lytic_below = lytic_cut_hu(
            deep[core_rays], trabecular_hu, lytic_hu=LYTIC_HU, min_contrast_hu=MIN_LYTIC_CONTRAST_HU
        )

        def measure(comp: BoolArray) -> Gap:
            return measure_gap(
                comp,
                deep,
                us=us,
                vs=vs,
                t_surface=t_surface,
                frame=frame,
                u_mid=0.5 * (u_lo + u_hi),
                lytic_below_hu=lytic_below,
            )

        limits = ForamenLimits(
            width_mm=FORAMEN_MAX_WIDTH_MM + 2.0 * source_voxel_mm + WALL_STEP_MM,
            height_mm=FORAMEN_MAX_HEIGHT_MM + 2.0 * source_voxel_mm + WALL_STEP_MM,
            v_max_mm=FORAMEN_HEIGHT_FRACTION * v_half,
            lytic_judged=lytic_below is not None,
        )
        labels, n = ndimage.label(missing)
        comps = [labels == lab for lab in range(1, n + 1)]
        # gaps that reach into the central part (a gap only beside it lies at a pedicle's base)
        comps = [c for c in comps if float(c.sum()) * WALL_STEP_MM**2 >= MIN_DEFECT_MM2 and c[core].any()]

        def rim_of(comp: BoolArray) -> float | None:
            return rim_peak_hu(comp, missing, core_rays, peak, reference)

        gaps = [measure(c) for c in comps]
        rims = [rim_of(c) for c in comps]
        lytic = [limits.lytic_judged and g.lytic_fraction >= LYTIC_RAY_FRACTION for g in gaps]
        seen = [rim_is_cortex(r, reference) or m for r, m in zip(rims, lytic, strict=True)]
        reasons = [foramen_reason(g, limits) for g in gaps]
        paired = mirrored_pair(gaps, reasons)
        faint: list[tuple[Gap, BoolArray, float | None]] = []  # gaps where the cortex is not resolved
        for i, (gap, comp, why, rim_hu, is_seen) in enumerate(
            zip(gaps, comps, reasons, rims, seen, strict=True)
        ):
            if why is None or i in paired:
                # the foramen's size and place: normal, whether or not the cortex beside it shows
                what = "basivertebral foramen (normal)" if is_seen else FORAMEN_IN_FAINT_WALL
                foramina.append(gap.as_defect(what, limits))
                continue
            split = foramen_beside_mass(comp, lytic_below, deep=deep, measure=measure, limits=limits)
            if split is not None:
                # a lytic mass broke the wall beside the foramen: each is reported with its own place and size
                holes, openings = split
                for opening in openings:
                    beside = (
                        "basivertebral foramen (normal)"
                        if rim_is_cortex(rim_of(opening), reference)
                        else FORAMEN_IN_FAINT_WALL
                    )
                    foramina.append(measure(opening).as_defect(beside, limits))
                what = "posterior wall destroyed (lytic tissue behind it, beside the basivertebral foramen"
                what += ")" if is_seen else "; cortex not resolved)"
                defects.extend(measure(hole).as_defect(what) for hole in holes)
            elif is_seen:
                defects.append(gap.as_defect(f"posterior wall gap ({why}: not the basivertebral foramen)"))
            else:
                faint.append((gap, comp, rim_hu))
        # where the cortex is not resolved, a mass that broke the wall still shows as lytic HU behind it
        lost = lytic_breaks(
            [c for _, c, _ in faint], lytic_below_hu=lytic_below, deep=deep, measure=measure, limits=limits
        )
        defects.extend(d for d, _ in lost)
        for gap, comp, rim_hu in faint:
            lytic_inside = any(bool((comp & part).any()) for _, part in lost)
            notes.append(
                gap.unresolved_note(rim_hu, reference.trabecular_peak_hu, source_voxel_mm, lytic_inside)
            )

    # the band: body voxels within WALL_BAND_MM of the posterior surface, in the wall's central extent
    band = np.zeros_like(body)
    idx = np.argwhere(body)
    bpts = roi.index_to_lps(idx.astype(np.float64))
    rel = bpts - centroid_lps
    bu, bv, bt = rel @ left, rel @ axis, rel @ posterior
    in_extent = (bu >= core_us[0] - 0.5) & (bu <= core_us[-1] + 0.5) & (np.abs(bv) <= v_half + 0.5)
    iu = np.clip(np.rint((bu - us[0]) / WALL_STEP_MM).astype(int), core.start, core.stop - 1)
    iv = np.clip(np.rint((bv - vs[0]) / WALL_STEP_MM).astype(int), 0, len(vs) - 1)
    near = in_extent & any_in[iu, iv] & (bt >= t_surface[iu, iv] - WALL_BAND_MM)
    band[tuple(idx[near].T)] = True

    surface_pts = centroid_lps + us[:, None, None] * left + vs[None, :, None] * axis
    surface_pts = surface_pts + t_surface[..., None] * posterior
    stride = max(1, round(WALL_POINT_STEP_MM / WALL_STEP_MM))
    points: list[tuple[float, float, float]] = []
    for jv in range(0, len(vs), stride):  # caudal to cranial
        for ju in range(core.stop - 1, core.start - 1, -stride):  # patient left to right
            if any_in[ju, jv]:
                q = surface_pts[ju, jv]
                points.append((float(q[0]), float(q[1]), float(q[2])))
    defects.sort(key=lambda d: -d.size_mm)
    foramina.sort(key=lambda d: -d.size_mm)
    smallest = smallest_sure_gap_mm(source_voxel_mm) if assessed else None
    return WallResult(band, tuple(points), tuple(defects), assessed, tuple(foramina), tuple(notes), smallest)


def _lytic_depth_mm(source_voxel_mm: float) -> tuple[float, float]:
    """``LYTIC_DEPTH_MM``, its start brought to one source voxel plus the smoothing's reach on thin scans
    (case1, 1 mm: 2-6 mm; a 10 mm hole centred in the wall band reads lytic at 4-8 mm only near its centre,
    8 rays, too few to be a mass)."""
    start = min(LYTIC_DEPTH_MM[0], LYTIC_DEPTH_BLUR_MM + source_voxel_mm)
    return (start, start + LYTIC_DEPTH_MM[1] - LYTIC_DEPTH_MM[0])
