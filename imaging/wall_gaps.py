"""A gap of the posterior wall on the wall's ray grid, and whether it is the basivertebral foramen.

:mod:`imaging.vertebra_wall` probes the wall by rays on a grid across (``u``, + patient left, from the
canal's midline) and along (``v``, + superior, from the body's mid-height) the wall, ``WALL_STEP_MM``
apart; a gap is a connected set of rays whose cortical peak is missing (:func:`measure_gap`: its centre
LPS mm, size mm, area mm^2, and the fraction of its rays with lytic HU behind them).

A gap is the normal basivertebral foramen (where the basivertebral vein leaves the body), not a
defect, when all of these hold (:func:`foramen_reason` says which one fails):

- size: at most ``FORAMEN_MAX_WIDTH_MM`` across and ``FORAMEN_MAX_HEIGHT_MM`` tall (mean + 2 SD of the
  CT measurements of He, Wang, Li 2023, Chin J Clin Anat 41(3):283: width 7.8 +- 1.6 mm, height
  5.4 +- 1.1 mm), plus one voxel of the source image per edge (partial volume moves each edge of a gap
  in a thin cortex by up to a voxel) and one ray-grid cell (:class:`ForamenLimits`);
- place: centred within ``FORAMEN_MIDLINE_MM`` of the canal's midline (a median opening between the
  pedicles; Tzika et al. 2021, Surg Radiol Anat 43:889: one or two foramina, asymmetric in 12.3%),
  or one of two gaps mirrored about the midline within ``PAIR_MAX_U_MM`` of it (two foramina, 36.9% of
  vertebrae in Tzika; :func:`mirrored_pair`); and
  within the middle half of the wall's height (Tzika: closer to the upper rim at T10-L4 and to the
  lower rim at T6-T8, never at the rims);
- no mass behind it: a lytic lesion that breaks the wall replaces the bone in front of the gap, so
  along most of the gap's rays the HU a few mm in front of the surface lies below the lytic cut (half
  way between lytic tissue and the body's trabecular bone, :func:`imaging.wall_cortex.lytic_cut_hu`).
  A foramen's canal is narrow and tapers (triangular on axial CT, He 2023), so most rays behind it
  meet bone.

A gap that is no foramen as a whole may be a lytic hole beside the foramen, the two joined in one gap
(:func:`foramen_beside_mass`): its patches of lytic rays that have no foramen's size and place
(:func:`lytic_patches`) are taken out, and where what is left has the foramen's size and place, the
foramen and the hole are reported apart, each with its own place and size. A lytic breach as small as
a normal foramen, at the midline and with no mass behind the cortex, cannot be told from one by these
rules and is reported as a foramen; nor can a hole whose gap joined to the foramen's still has a
foramen's size and place (a hole of 8 mm beside case1's 13 mm foramen). The foramen is itself a
leakage-risk item (planning.leakage).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_model import WallDefect

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: how the note for a stretch of wall whose cortex the scan does not resolve begins (planning's
#: vertebra_figures reads it to say why the wall's reading is uncertain)
UNRESOLVED_NOTE = "posterior wall: cortex not resolved"

#: ray grid step across and along the wall (mm)
WALL_STEP_MM = 1.0
#: the smallest gap reported (mm^2 of wall counted in rays, a round gap 3.6 mm across; smaller ones are
#: noise). A hole of that area is not always reported: see :func:`smallest_sure_gap_mm`
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
#: a gap with lytic HU along at least this fraction of its rays has a mass behind it
LYTIC_RAY_FRACTION = 0.5


def smallest_sure_gap_mm(source_voxel_mm: float) -> float:
    """The smallest round gap of the wall sure to be reported on this scan (mm across, up to 0.5 mm).

    A gap is reported when at least ``MIN_DEFECT_MM2`` of rays (``WALL_STEP_MM`` apart) read it as
    missing cortex, a round gap ``2 sqrt(MIN_DEFECT_MM2 / pi)`` = 3.6 mm across. A hole that size can
    still fall short of it:

    - ray grid: a disc of radius ``r`` holds at least ``pi (r - s / sqrt 2)^2 / s^2`` points of a grid of
      step ``s`` wherever it lies (each point's cell lies within ``s / sqrt 2`` of it), so the gap must be
      ``sqrt 2 * WALL_STEP_MM`` wider to be sure of its rays;
    - partial volume: the cortex beside the hole shares its voxels with the hole and can lift the edge
      rays above the cortex cut, each edge by up to half of the source's largest voxel, one voxel across
      (the same allowance as the foramen's size bounds).

    The vertebra phantom (1.5 mm cortex; tests/imaging/test_wall_limit.py) found straight-sided holes of
    4 mm at every place tried off the midline and 3.5 mm at some only (1 mm grid, 9-14 rays for the same
    3.5 mm hole at different places): below this figure a hole may or may not be seen.
    """
    if not np.isfinite(source_voxel_mm) or source_voxel_mm <= 0.0:
        raise ValueError(f"the source voxel size must be a positive number of mm, got {source_voxel_mm}")
    across = 2.0 * np.sqrt(MIN_DEFECT_MM2 / np.pi) + np.sqrt(2.0) * WALL_STEP_MM + source_voxel_mm
    return float(np.ceil(2.0 * across - 1e-9) / 2.0)


@dataclass(frozen=True)
class ForamenLimits:
    """A foramen's largest width and height at this resolution, its farthest centre from mid-height
    (mm), and whether a lytic mass behind a gap can be told from bone on this body."""

    width_mm: float
    height_mm: float
    v_max_mm: float
    lytic_judged: bool


@dataclass(frozen=True)
class Gap:
    """A connected gap of the wall, measured on the ray grid (u across, v along the axis; mm)."""

    center_lps: FloatArray
    size_mm: float  # largest extent
    area_mm2: float
    width_mm: float
    height_mm: float
    u_mm: float  # centre from the canal's midline (+ patient left)
    v_mm: float  # centre from the body's mid-height (+ superior)
    lytic_fraction: float  # fraction of its rays with lytic HU behind them

    def as_defect(self, what: str, limits: ForamenLimits | None = None) -> WallDefect:
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
            f"{UNRESOLVED_NOTE} over {self.area_mm2:.0f} mm^2 {self._side()}, "
            f"{self.v_mm:+.0f} mm from mid-height, on this {source_voxel_mm:.1f} mm scan ({beside}): "
            f"{seen}; a thin break cannot be excluded"
        )

    def _side(self) -> str:
        if self.u_mm > 2.0:
            return "left of midline"
        return "right of midline" if self.u_mm < -2.0 else "at the midline"


def measure_gap(
    comp: BoolArray,
    deep: FloatArray,
    *,
    us: FloatArray,
    vs: FloatArray,
    t_surface: FloatArray,
    frame: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    u_mid: float,
    lytic_below_hu: float | None,
) -> Gap:
    """A gap's measures (:class:`Gap`) from its rays ``comp`` on the ray grid (``us`` across, ``vs`` along,
    mm; ``t_surface`` the surface's depth along each ray; ``frame`` the centroid and unit vectors left,
    superior, posterior; ``u_mid`` the canal's midline). Its lytic rays are those whose ``deep`` HU lies
    below ``lytic_below_hu`` (None: not judged, none)."""
    centroid, left, axis, posterior = frame
    ju, jv = np.nonzero(comp)
    cu, cv, ct = us[ju], vs[jv], t_surface[comp]
    surface = centroid + cu[:, None] * left + cv[:, None] * axis + ct[:, None] * posterior
    diffs = surface[:, None, :] - surface[None, :, :]
    extent = float(np.sqrt((diffs**2).sum(axis=2)).max()) + WALL_STEP_MM
    # not judged (None): no ray counts as lytic
    lytic = deep[comp] < (lytic_below_hu if lytic_below_hu is not None else -np.inf)
    return Gap(
        center_lps=surface.mean(axis=0),
        size_mm=extent,
        area_mm2=float(comp.sum()) * WALL_STEP_MM**2,
        width_mm=float(cu.max() - cu.min()) + WALL_STEP_MM,
        height_mm=float(cv.max() - cv.min()) + WALL_STEP_MM,
        u_mm=float(cu.mean()) - u_mid,
        v_mm=float(cv.mean()),
        lytic_fraction=float(lytic.mean()),
    )


def lytic_patches(
    comps: list[BoolArray],
    lytic_below_hu: float,
    *,
    deep: FloatArray,
    measure: Callable[[BoolArray], Gap],
    limits: ForamenLimits,
) -> list[tuple[BoolArray, str]]:
    """The patches of rays with lytic HU behind ``comps`` that are no foramen, with why they are not.

    A patch of rays with lytic HU ``LYTIC_DEPTH_MM`` in front of the surface (``deep`` below
    ``lytic_below_hu``) of at least ``MIN_DEFECT_MM2`` is a mass that broke the wall, unless it has the
    foramen's size and place (alone or mirrored about the midline): on thick voxels the basivertebral
    vein's channel reads as lytic HU too (abdomen-pelvis-ct L2-L5, 3 mm: 50-80 HU patches at the
    midline), and the two cannot be told apart there.
    """
    if not comps:
        return []
    sub, n = ndimage.label(np.logical_or.reduce(comps) & (deep < lytic_below_hu))
    patches = [sub == k for k in range(1, n + 1)]
    patches = [p for p in patches if float(p.sum()) * WALL_STEP_MM**2 >= MIN_DEFECT_MM2]
    masses = [measure(p) for p in patches]
    shape_only = replace(limits, lytic_judged=False)  # every patch is lytic: judge its size and place
    why_not = [foramen_reason(g, shape_only) for g in masses]
    channel = mirrored_pair(masses, why_not)
    return [
        (p, why)
        for j, (p, why) in enumerate(zip(patches, why_not, strict=True))
        if why is not None and j not in channel
    ]


def lytic_breaks(
    faint: list[BoolArray],
    *,
    lytic_below_hu: float | None,
    deep: FloatArray,
    measure: Callable[[BoolArray], Gap],
    limits: ForamenLimits,
) -> list[tuple[WallDefect, BoolArray]]:
    """Lytic patches behind the gaps where the cortex is not resolved that are no foramen, as defects
    (:func:`lytic_patches`; ``lytic_below_hu`` None: lytic tissue cannot be told from bone, not judged)."""
    if lytic_below_hu is None:
        return []
    found = lytic_patches(faint, lytic_below_hu, deep=deep, measure=measure, limits=limits)
    return [
        (
            measure(p).as_defect(
                f"posterior wall destroyed (lytic tissue behind it, {why}; cortex not resolved)"
            ),
            p,
        )
        for p, why in found
    ]


def foramen_beside_mass(
    comp: BoolArray,
    lytic_below_hu: float | None,
    *,
    deep: FloatArray,
    measure: Callable[[BoolArray], Gap],
    limits: ForamenLimits,
) -> tuple[list[BoolArray], list[BoolArray]] | None:
    """A gap that is no foramen split into the lytic mass(es) that broke the wall and the foramen beside them.

    The gap's lytic patches (:func:`lytic_patches`) are taken out; where a remaining part has the
    foramen's size and place (and no mass behind it), it is the foramen, and the rest of the gap, which
    holds the patches, the holes the masses made. Returns ``(holes, foramina)`` (ray masks of at least
    ``MIN_DEFECT_MM2``), or None when the gap holds no such mass or no foramen beside it: it is then
    judged whole. Before, such a gap was judged whole: on case1 a 10 mm lytic hole 7 mm left of the
    midline joined the foramen's gap, 14 x 10 mm "at the midline", and was called the foramen.
    """
    if lytic_below_hu is None:
        return None
    patches = [p for p, _ in lytic_patches([comp], lytic_below_hu, deep=deep, measure=measure, limits=limits)]
    if not patches:
        return None
    masses = np.logical_or.reduce(patches)
    rest, n = ndimage.label(comp & ~masses)
    parts = [rest == k for k in range(1, n + 1)]
    openings = [
        p
        for p in parts
        if float(p.sum()) * WALL_STEP_MM**2 >= MIN_DEFECT_MM2 and foramen_reason(measure(p), limits) is None
    ]
    if not openings:
        return None
    holes_lab, n = ndimage.label(comp & ~np.logical_or.reduce(openings))
    holes = [holes_lab == k for k in range(1, n + 1)]
    return [h for h in holes if (h & masses).any()], openings


def foramen_reason(gap: Gap, limits: ForamenLimits) -> str | None:
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


def mirrored_pair(gaps: list[Gap], reasons: list[str | None]) -> set[int]:
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
