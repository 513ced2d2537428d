"""The posterior vertebral wall: the cortex between the body and the spinal canal, and its gaps.

Works in the vertebra's frame: body centroid ``c``, superior axis ``a``, posterior ``p`` (towards the
canal, perpendicular to ``a``) and left ``l = p x a`` (patient left). The wall is probed by rays along
``p`` on a 1 mm grid of lateral positions ``u`` (the canal's width) and heights ``v`` (the body's
height less the endplates). Each ray finds the body's posterior surface and the highest HU within a
few mm of it; where that peak is not cortical (below half-way between the body's own trabecular
bone and the wall's typical cortex, or a fraction of the body's other cortex when the wall as a
whole is much weaker) the cortex is missing. Connected missing areas of at least
``MIN_DEFECT_MM2`` are gaps, with their centre (LPS mm) and size (largest extent, mm).

A gap is a break of the cortex only where the wall beside it reads as cortex
(:mod:`imaging.wall_cortex`: brighter than 9 in 10 equal windows of the body's own trabecular bone,
away from the end plates' partial volume), or where lytic tissue lies behind it (a mass that destroyed
the wall, rim and all). Elsewhere the scan does not resolve the cortex there (a shell a few tenths of
a mm thick on 3 mm voxels, in osteopenic bone): no break is seen, the wall stays intact, and
:attr:`WallResult.notes` says where the cortex was not resolved and that a thin break cannot be
excluded there. Inside such an area a patch of rays with lytic HU behind them is still a defect
(:func:`_lytic_breaks`) unless it has the foramen's size and place, where the basivertebral vein's
channel reads as lytic HU too on thick voxels. A gap of the foramen's size and place (below) is
reported as the foramen either way, saying so when the cortex beside it is not resolved
(abdomen-pelvis-ct, 3 mm: the old single HU cut called the T12, L2, L4 and L5 walls "with defects",
up to 22 x 21 mm at L5, and flipped L2 between two clicks 0.6 mm apart; the walls beside those gaps
read 135-159 HU against trabecular references of 140-237 HU).

A gap is the normal basivertebral foramen (where the basivertebral vein leaves the body), not a
defect, when all of these hold (:func:`_foramen_reason` says which one fails):

- size: at most ``FORAMEN_MAX_WIDTH_MM`` across and ``FORAMEN_MAX_HEIGHT_MM`` tall (mean + 2 SD of the
  CT measurements of He, Wang, Li 2023, Chin J Clin Anat 41(3):283: width 7.8 +- 1.6 mm, height
  5.4 +- 1.1 mm), plus one voxel of the source image per edge (partial volume moves each edge of a gap
  in a thin cortex by up to a voxel) and one ray-grid cell;
- place: centred within ``FORAMEN_MIDLINE_MM`` of the canal's midline (a median opening between the
  pedicles; Tzika et al. 2021, Surg Radiol Anat 43:889: one or two foramina, asymmetric in 12.3%),
  or one of two gaps mirrored about the midline within ``PAIR_MAX_U_MM`` of it (two foramina, 36.9% of
  vertebrae in Tzika); and
  within the middle half of the wall's height (Tzika: closer to the upper rim at T10-L4 and to the
  lower rim at T6-T8, never at the rims);
- no mass behind it: a lytic lesion that breaks the wall replaces the bone in front of the gap, so
  along most of the gap's rays the HU ``LYTIC_DEPTH_MM`` in front of the surface lies nearer the
  lytic reference (``LYTIC_HU``) than the body's own trabecular bone. A foramen's canal is narrow
  and tapers (triangular on axial CT, He 2023), so most rays behind it meet bone.

A lytic breach as small as a normal foramen, at the midline and with no mass behind the cortex,
cannot be told from one by these rules and is reported as a foramen; the foramen is itself a
leakage-risk item (planning.leakage).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_model import WallDefect
from imaging.vertebra_roi import LpsRoi
from imaging.wall_cortex import cortex_reference, deep_hu, rim_is_cortex, rim_peak_hu

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: ray grid step across and along the wall (mm)
WALL_STEP_MM = 1.0
#: step of the wall points returned (mm)
WALL_POINT_STEP_MM = 2.0
#: the wall band's thickness inside the body surface (mm)
WALL_BAND_MM = 3.0
#: the endplate zones excluded at the top and bottom of the wall (mm)
ENDPLATE_MARGIN_MM = 2.5
#: where the cortical peak is looked for, relative to the body's posterior surface (mm)
PEAK_WINDOW_MM = (-3.0, 1.5)
#: the smallest gap reported (mm^2 of wall, a gap about 3.5 mm across; smaller ones are noise)
MIN_DEFECT_MM2 = 10.0
#: the largest normal basivertebral foramen (mm): mean + 2 SD of CT widths and heights (He 2023)
FORAMEN_MAX_WIDTH_MM = 7.8 + 2 * 1.6
FORAMEN_MAX_HEIGHT_MM = 5.4 + 2 * 1.1
#: a single foramen's centre from the canal's midline (mm): the midline (canal extent percentiles) and
#: the gap's centre (1 mm ray cells) are each known to about +-1 mm, plus 0.5 mm of noise
FORAMEN_MIDLINE_MM = 2.5
#: two foramina lie where one would: each within half the largest foramen's width (plus the midline
#: tolerance) of the midline; mirrored gaps further out are the pedicles' bases, not foramina
PAIR_MAX_U_MM = 0.5 * FORAMEN_MAX_WIDTH_MM + FORAMEN_MIDLINE_MM
#: the foramen lies within this fraction of the wall's half-height from mid-height (middle half)
FORAMEN_HEIGHT_FRACTION = 0.5
#: depths in front of the wall surface where a lytic mass behind a gap is looked for (mm): beyond the
#: cortex and its blur, within the reach of a lesion that breaks through the wall
LYTIC_DEPTH_MM = (4.0, 8.0)
#: lytic tissue reference (HU): CLINICAL.md gives roughly 0-100 HU for a lytic lesion; its middle
LYTIC_HU = 50.0
#: below this trabecular-to-lytic contrast (HU) a lytic mass cannot be told from bone: not judged
MIN_LYTIC_CONTRAST_HU = 50.0
#: a gap with lytic HU along at least this fraction of its rays has a mass behind it
LYTIC_RAY_FRACTION = 0.5
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

    Returns
    -------
    WallResult
    """
    left = np.cross(posterior, axis)
    u_lo, u_hi = canal_u_range_mm
    us = np.arange(np.ceil(u_lo), np.floor(u_hi) + 0.5, WALL_STEP_MM)
    v_half = 0.5 * height_mm - ENDPLATE_MARGIN_MM
    vs = np.arange(-np.floor(v_half), np.floor(v_half) + 0.5, WALL_STEP_MM)
    if len(us) < 2 or len(vs) < 2:
        return WallResult(np.zeros_like(body), (), (), False)
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
    surface_pts = centroid_lps + us[:, None, None] * left + vs[None, :, None] * axis
    surface_pts = surface_pts + t_surface[..., None] * posterior

    assessed = bool(any_in.sum() >= 0.5 * any_in.size)
    defects: list[WallDefect] = []
    foramina: list[WallDefect] = []
    notes: list[str] = []
    if assessed:
        wall_contrast = float(np.median(peak[any_in])) - trabecular_hu
        # a wall much weaker than the body's other cortex is judged against that cortex instead
        contrast = max(wall_contrast, WALL_CONTRAST_FRACTION * (body_cortex_hu - trabecular_hu))
        missing = any_in & (peak < trabecular_hu + 0.5 * contrast)
        labels, n = ndimage.label(missing)
        frame = (centroid_lps, left, axis, posterior)
        reference = cortex_reference(
            roi,
            smoothed,
            frame=frame,
            us=us,
            vs=vs,
            t_surface=t_surface,
            rays=any_in,
            window_mm=window,
            source_voxel_mm=source_voxel_mm,
        )

        # mean HU along each ray LYTIC_DEPTH_MM in front of the surface: lytic tissue behind a gap
        deep = deep_hu(roi, smoothed, frame=frame, us=us, vs=vs, t_surface=t_surface, depth_mm=LYTIC_DEPTH_MM)

        def measure(comp: BoolArray) -> _Gap:
            return _measure_gap(
                comp,
                deep,
                us=us,
                vs=vs,
                t_surface=t_surface,
                frame=frame,
                u_mid=0.5 * (u_lo + u_hi),
                trabecular_hu=trabecular_hu,
            )

        gaps: list[_Gap] = []
        comps: list[BoolArray] = []
        rims: list[float | None] = []
        faint: list[tuple[_Gap, BoolArray, float | None]] = []  # gaps where the cortex is not resolved
        for lab in range(1, n + 1):
            comp = labels == lab
            if float(comp.sum()) * WALL_STEP_MM**2 < MIN_DEFECT_MM2:
                continue
            rims.append(rim_peak_hu(comp, missing, any_in, peak, reference))
            gaps.append(measure(comp))
            comps.append(comp)
        limits = _ForamenLimits(
            width_mm=FORAMEN_MAX_WIDTH_MM + 2.0 * source_voxel_mm + WALL_STEP_MM,
            height_mm=FORAMEN_MAX_HEIGHT_MM + 2.0 * source_voxel_mm + WALL_STEP_MM,
            v_max_mm=FORAMEN_HEIGHT_FRACTION * v_half,
            lytic_judged=trabecular_hu - LYTIC_HU >= MIN_LYTIC_CONTRAST_HU,
        )
        lytic = [limits.lytic_judged and g.lytic_fraction >= LYTIC_RAY_FRACTION for g in gaps]
        seen = [rim_is_cortex(r, reference) or m for r, m in zip(rims, lytic, strict=True)]
        reasons = [_foramen_reason(g, limits) for g in gaps]
        paired = _mirrored_pair(gaps, reasons)
        for i, (gap, why, rim_hu, is_seen) in enumerate(zip(gaps, reasons, rims, seen, strict=True)):
            if why is None or i in paired:
                # the foramen's size and place: normal, whether or not the cortex beside it shows
                what = "basivertebral foramen (normal)" if is_seen else FORAMEN_IN_FAINT_WALL
                foramina.append(gap.as_defect(what, limits))
            elif is_seen:
                defects.append(gap.as_defect(f"posterior wall gap ({why}: not the basivertebral foramen)"))
            else:
                faint.append((gap, comps[i], rim_hu))
        # where the cortex is not resolved, a mass that broke the wall still shows as lytic HU behind it
        lost = _lytic_breaks(
            [c for _, c, _ in faint],
            lytic_below_hu=0.5 * (trabecular_hu + LYTIC_HU) if limits.lytic_judged else None,
            deep=deep,
            measure=measure,
            limits=limits,
        )
        defects.extend(d for d, _ in lost)
        for gap, comp, rim_hu in faint:
            lytic_inside = any(bool((comp & part).any()) for _, part in lost)
            notes.append(
                gap.unresolved_note(rim_hu, reference.trabecular_peak_hu, source_voxel_mm, lytic_inside)
            )

    # the band: body voxels within WALL_BAND_MM of the posterior surface, in the wall's extent
    band = np.zeros_like(body)
    idx = np.argwhere(body)
    bpts = roi.index_to_lps(idx.astype(np.float64))
    rel = bpts - centroid_lps
    bu, bv, bt = rel @ left, rel @ axis, rel @ posterior
    in_extent = (bu >= us[0] - 0.5) & (bu <= us[-1] + 0.5) & (np.abs(bv) <= v_half + 0.5)
    iu = np.clip(np.rint((bu - us[0]) / WALL_STEP_MM).astype(int), 0, len(us) - 1)
    iv = np.clip(np.rint((bv - vs[0]) / WALL_STEP_MM).astype(int), 0, len(vs) - 1)
    near = in_extent & any_in[iu, iv] & (bt >= t_surface[iu, iv] - WALL_BAND_MM)
    band[tuple(idx[near].T)] = True

    stride = max(1, round(WALL_POINT_STEP_MM / WALL_STEP_MM))
    points: list[tuple[float, float, float]] = []
    for jv in range(0, len(vs), stride):  # caudal to cranial
        for ju in range(len(us) - 1, -1, -stride):  # patient left to right
            if any_in[ju, jv]:
                q = surface_pts[ju, jv]
                points.append((float(q[0]), float(q[1]), float(q[2])))
    defects.sort(key=lambda d: -d.size_mm)
    foramina.sort(key=lambda d: -d.size_mm)
    return WallResult(band, tuple(points), tuple(defects), assessed, tuple(foramina), tuple(notes))


@dataclass(frozen=True)
class _ForamenLimits:
    width_mm: float
    height_mm: float
    v_max_mm: float
    lytic_judged: bool


@dataclass(frozen=True)
class _Gap:
    """A connected gap of the wall, measured on the ray grid (u across, v along the axis; mm)."""

    center_lps: FloatArray
    size_mm: float  # largest extent
    area_mm2: float
    width_mm: float
    height_mm: float
    u_mm: float  # centre from the canal's midline (+ patient left)
    v_mm: float  # centre from the body's mid-height (+ superior)
    lytic_fraction: float  # fraction of its rays with lytic HU at LYTIC_DEPTH_MM

    def as_defect(self, what: str, limits: _ForamenLimits | None = None) -> WallDefect:
        side = self._side()
        text = (
            f"{what}, {self.area_mm2:.0f} mm^2, {self.width_mm:.0f} x {self.height_mm:.0f} mm "
            f"(across x along the spine), {side}, {self.v_mm:+.0f} mm from mid-height"
        )
        if limits is not None and not limits.lytic_judged:
            text += "; bone too close to lytic HU to look for a mass behind it"
        c = self.center_lps
        return WallDefect(
            center_lps=(float(c[0]), float(c[1]), float(c[2])), size_mm=self.size_mm, description=text
        )

    def unresolved_note(
        self, rim_hu: float | None, trabecular_peak_hu: float, source_voxel_mm: float, lytic_inside: bool
    ) -> str:
        """The operator's note for a gap where the scan does not resolve the cortex."""
        beside = (
            "the wall around it is too small to judge"
            if rim_hu is None
            else f"the wall beside it reads {rim_hu:.0f} HU, no brighter than the body's trabecular bone "
            f"({trabecular_peak_hu:.0f} HU)"
        )
        seen = (
            "lytic destruction inside it is listed as a defect; elsewhere no break seen"
            if lytic_inside
            else "no break of the cortex seen there"
        )
        return (
            f"posterior wall: cortex not resolved over {self.area_mm2:.0f} mm^2 {self._side()}, "
            f"{self.v_mm:+.0f} mm from mid-height, on this {source_voxel_mm:.1f} mm scan ({beside}): "
            f"{seen}; a thin break cannot be excluded"
        )

    def _side(self) -> str:
        if self.u_mm > 2.0:
            return "left of midline"
        return "right of midline" if self.u_mm < -2.0 else "at the midline"


def _measure_gap(
    comp: BoolArray,
    deep: FloatArray,
    *,
    us: FloatArray,
    vs: FloatArray,
    t_surface: FloatArray,
    frame: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    u_mid: float,
    trabecular_hu: float,
) -> _Gap:
    centroid, left, axis, posterior = frame
    ju, jv = np.nonzero(comp)
    cu, cv, ct = us[ju], vs[jv], t_surface[comp]
    surface = centroid + cu[:, None] * left + cv[:, None] * axis + ct[:, None] * posterior
    diffs = surface[:, None, :] - surface[None, :, :]
    extent = float(np.sqrt((diffs**2).sum(axis=2)).max()) + WALL_STEP_MM
    lytic = deep[comp] < 0.5 * (trabecular_hu + LYTIC_HU)
    return _Gap(
        center_lps=surface.mean(axis=0),
        size_mm=extent,
        area_mm2=float(comp.sum()) * WALL_STEP_MM**2,
        width_mm=float(cu.max() - cu.min()) + WALL_STEP_MM,
        height_mm=float(cv.max() - cv.min()) + WALL_STEP_MM,
        u_mm=float(cu.mean()) - u_mid,
        v_mm=float(cv.mean()),
        lytic_fraction=float(lytic.mean()),
    )


def _lytic_breaks(
    faint: list[BoolArray],
    *,
    lytic_below_hu: float | None,
    deep: FloatArray,
    measure: Callable[[BoolArray], _Gap],
    limits: _ForamenLimits,
) -> list[tuple[WallDefect, BoolArray]]:
    """Lytic patches behind the gaps where the cortex is not resolved that are no foramen, as defects.

    A patch of rays with lytic HU ``LYTIC_DEPTH_MM`` in front of the surface (``deep`` below
    ``lytic_below_hu``; None: bone too close to lytic HU, not judged) is a mass that broke the wall,
    unless it has the foramen's size and place: on thick voxels the basivertebral vein's channel reads
    as lytic HU too (abdomen-pelvis-ct L2-L5, 3 mm: 50-80 HU patches at the midline), and the two
    cannot be told apart there.
    """
    if lytic_below_hu is None or not faint:
        return []
    unresolved = np.logical_or.reduce(faint)
    sub, n = ndimage.label(unresolved & (deep < lytic_below_hu))
    patches = [sub == k for k in range(1, n + 1)]
    patches = [p for p in patches if float(p.sum()) * WALL_STEP_MM**2 >= MIN_DEFECT_MM2]
    masses = [measure(p) for p in patches]
    shape_only = replace(limits, lytic_judged=False)  # every patch is lytic: judge its size and place
    why_not = [_foramen_reason(g, shape_only) for g in masses]
    channel = _mirrored_pair(masses, why_not)
    return [
        (mass.as_defect(f"posterior wall destroyed (lytic tissue behind it, {why}; cortex not resolved)"), p)
        for j, (mass, why, p) in enumerate(zip(masses, why_not, patches, strict=True))
        if why is not None and j not in channel
    ]


def _foramen_reason(gap: _Gap, limits: _ForamenLimits) -> str | None:
    """None when the gap can be the basivertebral foramen, else why not (the first rule it fails)."""
    if gap.width_mm > limits.width_mm or gap.height_mm > limits.height_mm:
        return (
            f"larger than a normal foramen ({limits.width_mm:.0f} x {limits.height_mm:.0f} mm at this "
            "resolution)"
        )
    if limits.lytic_judged and gap.lytic_fraction >= LYTIC_RAY_FRACTION:
        return "lytic tissue behind it"
    if abs(gap.v_mm) > limits.v_max_mm:
        return "away from mid-height"
    if abs(gap.u_mm) > FORAMEN_MIDLINE_MM:
        return "off the midline"
    return None


def _mirrored_pair(gaps: list[_Gap], reasons: list[str | None]) -> set[int]:
    """Indices of two off-midline gaps mirrored about the midline at the same height (two foramina)."""
    off = [i for i, r in enumerate(reasons) if r == "off the midline"]
    for a in off:
        for b in off:
            ga, gb = gaps[a], gaps[b]
            if (
                a < b
                and ga.u_mm * gb.u_mm < 0
                and max(abs(ga.u_mm), abs(gb.u_mm)) <= PAIR_MAX_U_MM
                and abs(ga.u_mm + gb.u_mm) <= FORAMEN_MIDLINE_MM
                and abs(ga.v_mm - gb.v_mm) <= 0.5 * FORAMEN_MAX_HEIGHT_MM
            ):
                return {a, b}
    return set()
