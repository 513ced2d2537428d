"""The patient's own deep trabecular bone elsewhere in the region, and whether a low-density seed is like it.

Why (issue 4): osteoporotic marrow at the centre of a vertebral body can lie at 80-100 HU (CLINICAL.md:
normal L1 trabecular bone 226 +- 44 HU under 30 y down to 89 +- 38 HU at 90+), inside a layer of denser
bone along the cortex and the end plates (210-245 HU on bone-lesions case1). The shell reference of
:mod:`imaging.lesion` (step 3) is measured in that layer, so the whole low-density centre read as a lytic
lesion. A lytic metastasis is focal: the centres of the other bones in view (the vertebral bodies above
and below, the rest of the same bone) keep their density, while an osteoporotic centre is as dark as
theirs. Arrays are the region of interest ``[slice, row, col]``; HU; sizes in mm on the grid's spacing.

Method (thresholds are fields of :class:`imaging.lesion_grow.LesionParameters`):

1. The bone mask is pooled to cells of about ``cortex_thickness_mm`` (a cell is bone when any of its
   voxels is, so a thin cortex stays closed; the fill and the distance map then cost an eighth of the
   full grid's on 1 mm voxels) and filled where enclosed in the index planes of two of the three axes
   (:func:`imaging.bone.enclosed_in_two_views`): the low-density marrow of a body whose cortex or end
   plates leak in 3D is inside the bone. A body that the region's edge cuts open through its
   low-density centre is enclosed in one view only and stays unfilled: that centre does not count (on
   case1, the sample at a body centre comes about half from the rest of its own body beyond
   ``shell_mm[1]`` and half from the next body in view).
2. Deep bone: voxels whose cell lies at least ``texture_depth_mm`` plus one cell inside that filled bone
   (twice the cortex's thickness, clear of cortex and its partial volume, as the texture judgement's
   normal bone; the extra cell because pooling moves the surface outwards by up to one cell), farther
   than ``shell_mm[1]`` from the seed (not the seed's own neighbourhood, as for the texture judgement's
   normal bone) and within ``max_radius_mm``, scanned, raw HU within ``normal_bone_range_hu``.
3. Its median is the deep bone HU (robust to a minority of diseased bone in it); None with fewer than
   ``min_reference_voxels`` voxels. A seed within ``abnormal_delta_hu`` of it is like the patient's own
   deep bone (:func:`like_deep_bone`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.bone import enclosed_in_two_views
from imaging.lesion_grow import LesionParameters
from imaging.lesion_morph import within_mm

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

__all__ = ["DeepBone", "deep_bone", "like_deep_bone"]


@dataclass(frozen=True)
class DeepBone:
    """The deep trabecular bone away from the seed: its median HU and how many voxels it holds."""

    median_hu: float
    n_voxels: int


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
    factors = tuple(max(1, int(np.floor(p.cortex_thickness_mm / s))) for s in spacing)
    cells = _pool_any(bone, factors)
    filled = cells | enclosed_in_two_views(cells)
    cell_mm = [f * s for f, s in zip(factors, spacing, strict=True)]
    # cells at least that deep: no cell outside the filled bone closer (a thresholded distance map)
    deep_cells = ~within_mm(~filled, p.texture_depth_mm + max(cell_mm), cell_mm, strict=True)
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
    return DeepBone(median_hu=float(np.median(hu[deep])), n_voxels=n)


def like_deep_bone(seed_hu: float, deep: DeepBone | None, p: LesionParameters) -> bool:
    """Whether the seed's HU lies within ``abnormal_delta_hu`` of the deep bone's median."""
    return deep is not None and abs(seed_hu - deep.median_hu) <= p.abnormal_delta_hu


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
