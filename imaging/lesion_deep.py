"""The patient's own deep trabecular bone elsewhere in the region, and whether a low-density seed is like it.

Why (issue 4): osteoporotic marrow at the centre of a vertebral body can lie at 80-100 HU (CLINICAL.md:
normal L1 trabecular bone 226 +- 44 HU under 30 y down to 89 +- 38 HU at 90+), inside a layer of denser
bone along the cortex and the end plates (210-245 HU on bone-lesions case1). The shell reference of
:mod:`imaging.lesion` (step 3) is measured in that layer, so the whole low-density centre read as a lytic
lesion. A lytic metastasis is focal: the centres of the other bones in view (the vertebral bodies above
and below, the rest of the same bone) keep their density, while an osteoporotic centre is as dark as
theirs. Arrays are the region of interest ``[slice, row, col]``; HU; sizes in mm on the grid's spacing.

Method (thresholds are fields of :class:`imaging.lesion_grow.LesionParameters`):

1. The bone mask is pooled to cells of about ``cortex_thickness_mm``, at least two voxels along an axis
   whose voxel is thinner than the cortex (:func:`cell_factors`; a cell is bone when any of its voxels
   is, so a thin cortex stays closed; the fill and the distance map then cost an eighth of the full
   grid's on 1 mm voxels) and filled where enclosed in the index planes of two of the three axes
   (:func:`imaging.bone.enclosed_in_two_views`): the low-density marrow of a body whose cortex or end
   plates leak in 3D is inside the bone. A body that the region's edge cuts open through its
   low-density centre is enclosed in one view only and stays unfilled: that centre does not count (on
   case1, the sample at a body centre comes about half from the rest of its own body beyond
   ``shell_mm[1]`` and half from the next body in view).
2. Deep bone: voxels whose cell lies at least ``texture_depth_mm`` plus one cell inside that filled bone
   (twice the cortex's thickness, clear of cortex and its partial volume, as the texture judgement's
   normal bone; the extra cell, of a pooled axis, because pooling moves the surface outwards by up to
   one cell; none where no axis is pooled), farther
   than ``shell_mm[1]`` from the seed (not the seed's own neighbourhood, as for the texture judgement's
   normal bone) and within ``max_radius_mm``, scanned, raw HU within ``normal_bone_range_hu``.
3. Its median is the deep bone HU (robust to a minority of diseased bone in it); None with fewer than
   ``min_reference_voxels`` voxels. Its range is what seed-sized samples of it read (the median over a
   ``seed_radius_mm`` ball, as the seed's own HU, at up to ``MAX_RANGE_SAMPLES`` voxels spread evenly
   through it): their ``RANGE_PERCENTILES``.
4. A seed is like the patient's own deep bone (:func:`like_deep_bone`) when it lies within
   ``abnormal_delta_hu`` of its median *and* within its range. ``abnormal_delta_hu`` (88 HU) is two
   standard deviations of the population's normal L1 bone (CLINICAL.md, 226 +- 44 HU); inside one patient
   the deep bone's own spread is narrower, and a seed darker than 39 in 40 of its seed-sized samples is
   not like it however close the population's figure puts it. Measured (session 17 QA, item 4): a 10 mm,
   30 HU hole through case1's posterior wall sits in a body whose core reads 97 HU; its deep bone (17768
   voxels, the centres of this body and the next) has median 105 HU and range 53-362 HU (2.5th and
   97.5th percentiles of 2 mm-ball medians): the 30 HU seed, 75 HU below the median, lies below the range
   and is a lesion, while case1's normal-bone seeds (76-95 HU) lie inside their ranges (low ends 53-56
   HU) and stay refused. On the 3 mm abdomen (L3, core 106 HU at 6 mm inside the model's body) the
   sample was 45 voxels only: on an unpooled axis step 2's extra cell (a pooling allowance) added a
   whole 3 mm voxel to the depth, 7 mm instead of 4 mm; it is now added only along pooled axes (the same
   seed: 1380 voxels, median 147 HU, range 49-366 HU).

   On lumbar-ct-labels (1.5 mm voxels, noise about 70 HU, bodies' marrow 43-69 HU: the median of each
   body's label) the cells were one voxel (the whole number of 1.5 mm voxels that fits in 2 mm), which
   closes no gap: the bone mask held 765 of L3's 6681 body voxels and, its cortex open in every view, the
   marrow was never inside the bone. The deep bone was then the posterior elements (L3's body centre: 1604
   voxels, 729 of them posterior elements and 535 body, median 133 HU), and a click at the body's centre
   (33 HU) was a 110 mL lytic "lesion", 4 mm above it 81 mL, 5 mm behind it 129 mL. With cells of two
   voxels 4928 voxels, 2833 of them L3's body, median 101 HU: those clicks are refused, and lumbar-ct-
   labels' 21 body clicks (tests/benchmarks/normal_marrow_figures.py) give 6 acceptances instead of 18 (the
   largest left: 58 mL at L4's centre, whose body the scan's edge cuts open). Grids of 1 mm or finer, or of
   2 mm or coarser, keep their cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.bone import enclosed_in_two_views
from imaging.lesion_grow import LesionParameters
from imaging.lesion_morph import ball_footprint, within_mm

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

__all__ = ["DeepBone", "cell_factors", "deep_bone", "like_deep_bone"]

#: the deep bone's range: these percentiles of its seed-sized samples, two standard deviations either side
#: of a normal spread (as ``abnormal_delta_hu`` is two of the population's)
RANGE_PERCENTILES = (2.5, 97.5)
#: at most this many seed-sized samples, spread evenly through the deep bone: the range to within about a
#: percentile, in milliseconds (a 2 mm ball is 33 voxels on a 1 mm grid)
MAX_RANGE_SAMPLES = 4000


@dataclass(frozen=True)
class DeepBone:
    """The deep trabecular bone away from the seed: its median HU, how many voxels it holds, its range.

    ``range_hu`` is what seed-sized samples of it read (``RANGE_PERCENTILES``); unbounded when not known.
    """

    median_hu: float
    n_voxels: int
    range_hu: tuple[float, float] = (-np.inf, np.inf)

    def unlike_note(self, seed_hu: float, p: LesionParameters) -> str:
        """Why a seed that is not like this bone is not (for the lesion's notes)."""
        lo, hi = self.range_hu
        share = RANGE_PERCENTILES[1] - RANGE_PERCENTILES[0]
        return (
            f"the seed ({seed_hu:.0f} HU) differs by {seed_hu - self.median_hu:+.0f} HU from this patient's "
            f"deep trabecular bone elsewhere in the region ({self.median_hu:.0f} HU), whose seed-sized "
            f"samples read {lo:.0f}-{hi:.0f} HU in {share:g}% of places: not like it (focal; like it is "
            f"within {p.abnormal_delta_hu:g} HU of that median and inside that range)"
        )


def deep_bone(
    *,
    hu: npt.NDArray[np.float32],
    bone: BoolArray,
    seed_dist: FloatArray,
    spacing: Sequence[float],
    p: LesionParameters,
    outside: BoolArray | None = None,
) -> DeepBone | None:
    """Steps 1-3 of the module docstring; None when too little deep bone lies in the region.

    Parameters
    ----------
    hu
        HU of the region of interest.
    bone
        Its bone mask (3D-filled; the planes are filled here).
    seed_dist
        Distance of every voxel from the seed, mm (``inf`` where not scanned).
    spacing
        Voxel size ``(slice, row, col)``, mm.
    p
        The thresholds.
    outside
        Voxels outside the scan (zero-filled), never part of the sample.
    """
    if hu.shape != bone.shape or hu.shape != seed_dist.shape:
        raise ValueError(f"hu {hu.shape}, bone {bone.shape} and seed_dist {seed_dist.shape} must match")
    factors = cell_factors(spacing, p.cortex_thickness_mm)
    cells = _pool_any(bone, factors)
    filled = cells | enclosed_in_two_views(cells)
    cell_mm = [f * s for f, s in zip(factors, spacing, strict=True)]
    # pooling moves the surface outwards by up to a cell, along the pooled axes only
    pooled_mm = max((c for c, f in zip(cell_mm, factors, strict=True) if f > 1), default=0.0)
    # cells at least that deep: no cell outside the filled bone closer (a thresholded distance map)
    deep_cells = ~within_mm(~filled, p.texture_depth_mm + pooled_mm, cell_mm, strict=True)
    index = np.ix_(*(np.arange(n) // f for n, f in zip(hu.shape, factors, strict=True)))
    lo, hi = p.normal_bone_range_hu
    deep = (
        deep_cells[index]
        & (seed_dist > p.shell_mm[1])
        & (seed_dist <= p.max_radius_mm)
        & (hu >= lo)
        & (hu <= hi)
    )
    if outside is not None:
        deep &= ~outside
    n = int(np.count_nonzero(deep))
    if n < p.min_reference_voxels:
        return None
    samples = _ball_medians(hu, np.argwhere(deep), ball_footprint(p.seed_radius_mm, spacing), outside)
    lo, hi = np.percentile(samples, RANGE_PERCENTILES)
    return DeepBone(median_hu=float(np.median(hu[deep])), n_voxels=n, range_hu=(float(lo), float(hi)))


def cell_factors(spacing: Sequence[float], cortex_mm: float) -> tuple[int, ...]:
    """Voxels a cell holds along each axis (step 1 of the module docstring).

    About ``cortex_mm`` (the whole number of voxels that fits in it), and at least two along an axis whose
    voxel is thinner than the cortex: there a gap in the cortex, where partial volume and noise drop one
    voxel below the bone threshold, is one voxel wide, and a cell of two closes it; a cell of one voxel
    (1.5 mm voxels against a 2 mm cortex, where the whole number that fits is one) closes nothing. An axis
    whose voxel is as thick as the cortex or thicker is not pooled.
    """
    out = []
    for s in spacing:
        f = max(1, int(np.floor(cortex_mm / s)))
        out.append(max(f, 2) if s < cortex_mm else f)
    return tuple(out)


def like_deep_bone(seed_hu: float, deep: DeepBone | None, p: LesionParameters) -> bool:
    """Whether the seed lies within ``abnormal_delta_hu`` of the deep bone's median and inside its range."""
    if deep is None:
        return False
    lo, hi = deep.range_hu
    return abs(seed_hu - deep.median_hu) <= p.abnormal_delta_hu and lo <= seed_hu <= hi


def _ball_medians(
    hu: npt.NDArray[np.float32], centres: npt.NDArray[np.intp], ball: BoolArray, outside: BoolArray | None
) -> FloatArray:
    """The median HU over ``ball`` around up to ``MAX_RANGE_SAMPLES`` of ``centres`` (evenly spaced).

    Ball voxels beyond the array or outside the scan are left out of their sample.
    """
    step = max(1, -(-len(centres) // MAX_RANGE_SAMPLES))
    picked = centres[::step]
    offsets = np.argwhere(ball) - (np.asarray(ball.shape) // 2)
    at = picked[:, None, :] + offsets[None, :, :]
    valid = np.all((at >= 0) & (at < np.asarray(hu.shape)), axis=2)
    at = np.clip(at, 0, np.asarray(hu.shape) - 1)
    values = hu[at[..., 0], at[..., 1], at[..., 2]].astype(np.float64)
    if outside is not None:
        valid &= ~outside[at[..., 0], at[..., 1], at[..., 2]]
    values[~valid] = np.nan
    out: FloatArray = np.nanmedian(values, axis=1)
    return out


def _pool_any(mask: BoolArray, factors: Sequence[int]) -> BoolArray:
    """Cells of ``factors`` voxels, true when any voxel in them is (cells at the edge may be partial)."""
    out: BoolArray = mask
    for axis, f in enumerate(factors):
        if f <= 1:
            continue
        n_cells = -(-out.shape[axis] // f)
        pooled = np.zeros((*out.shape[:axis], n_cells, *out.shape[axis + 1 :]), dtype=bool)
        for k in range(f):
            take: list[slice] = [slice(None)] * out.ndim
            take[axis] = slice(k, None, f)
            part = out[tuple(take)]
            put: list[slice] = [slice(None)] * out.ndim
            put[axis] = slice(0, part.shape[axis])
            pooled[tuple(put)] |= part
        out = pooled
    return out
