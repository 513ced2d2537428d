"""The normal cortex near a sclerotic lesion: dense bone continuous with the bone's surface.

Why (session 15 QA, item 5): a sclerotic (blastic) band is "denser than the local normal trabecular
bone" (:func:`imaging.lesion_grow.grow_lesion`), and so is every cortex. The band was kept to the bone
interior (the bone eroded by ``cortex_thickness_mm``), which misses cortex where it is not at the
thresholded bone's outer face: the posterior wall of a vertebral body where a pedicle joins it (a plate
of cortex with cancellous bone on both sides) and cortex that partial volume makes read thicker than
``cortex_thickness_mm``. On bone-lesions case1, a seed at the box centre (a focus of about 400 HU under
the superior end plate, in front of the posterior wall) grew along the posterior wall and the left
pedicle's lower cortex (600-900 HU): 123 of 328 voxels (38 %) behind the dataset's box.

Cortical bone is 1000-2000 HU (CLINICAL.md), denser than a blastic metastasis (654 +- 176 HU): the
cortex is its own normal, not a lesion. Which voxels are cortex is decided relative to the lesion:

1. The bone's surface: bone voxels next to the soft tissue around the bone, that is scanned voxels
   outside the bone filled in 3D and where enclosed in the planes of two of the three axes
   (:func:`imaging.bone.enclosed_in_two_views`: the low-density marrow of an osteoporotic body is not
   soft tissue, even behind a leaky cortex; the spinal canal, the discs and the muscles are).
2. The cortex is every face-connected region of voxels more than ``abnormal_delta_hu`` denser than the
   sclerotic level (the seed's HU for a sclerotic seed, ``blastic_typical_hu`` for the sclerotic part of a
   lytic seed's lesion) that reaches that surface: denser than the lesion by more than the noise of
   normal bone and running out to where bone meets soft tissue, as a cortex does. A focus of the lesion
   itself that is denser than its seed but lies inside the bone, not reaching the surface through such
   dense voxels, stays lesion.

A seed on the cortex (session 20, rule A of the normal-bone study): a seed judged sclerotic whose
``seed_radius_mm`` ball holds cortex at the level of a typical blastic metastasis (smoothed voxels more
than ``abnormal_delta_hu`` above ``blastic_typical_hu``, 742 HU, continuous with the surface as in 2.) lies
on the bone's cortex: dense normal bone, not a lesion, and is refused (:func:`refuse_seed_on_cortex`).
Random seeds in the bone eroded by 2 mm of four bone-lesions patches (tests/benchmarks/
study_normal_bone_accepted.py) were accepted as blastic lesions there: the inner layer of thick cortex,
end plates, vertebral rims, ribs, laminae. A seed inside a dense blastic lesion that abuts the cortex
has such a ball too (the lesion is above 742 HU and touches the cortex), so the seed is kept when its
whole ball reads as a blastic lesion's interior: every smoothed voxel from ``blastic_typical_hu`` to
``sclerotic_max_hu`` (1000 HU, where cortical bone begins by CLINICAL.md). The seed on the cortex's
inner edge has trabecular bone (below 654 HU) in its ball, and the seed in cortex thicker than the ball
has cortical bone (above 1000 HU). Limit: a seed within ``seed_radius_mm`` of the edge of a dense lesion
that abuts the cortex is refused (click deeper inside the lesion); partial-volumed cortex that reads
654-1000 HU across a whole ball is not recognised.

Limits: a blastic lesion that reaches the cortex and is denser than its seed by more than
``abnormal_delta_hu`` loses the part of it continuous with the cortex (seed it in its densest part);
``LesionParameters.cortex_check = False`` turns the rule off. Arrays are the region of interest
``[slice, row, col]``; CT values HU; the zero-filled voxels outside the scan are neither bone nor soft
tissue.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.bone import enclosed_in_two_views
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_morph import components_touching

BoolArray = npt.NDArray[np.bool_]

__all__ = ["continuous_with_surface", "refuse_seed_on_cortex", "soft_tissue_around_bone"]


def soft_tissue_around_bone(bone: BoolArray, outside: BoolArray) -> BoolArray:
    """Scanned voxels outside the bone, its enclosed marrow included in the bone (step 1).

    Parameters
    ----------
    bone
        The region's bone mask (filled in 3D).
    outside
        Voxels outside the scan (zero-filled by a crop): not soft tissue.
    """
    if bone.shape != outside.shape:
        raise ValueError(f"bone {bone.shape} and outside {outside.shape} must have the same shape")
    filled = bone | enclosed_in_two_views(bone)
    out: BoolArray = ~filled & ~outside
    return out


def continuous_with_surface(dense: BoolArray, soft_tissue: BoolArray) -> BoolArray:
    """The face-connected regions of ``dense`` that touch ``soft_tissue`` (step 2), as a mask.

    Parameters
    ----------
    dense
        Voxels denser than the lesion by more than the noise of normal bone (outside the soft tissue).
    soft_tissue
        :func:`soft_tissue_around_bone`.
    """
    if dense.shape != soft_tissue.shape:
        raise ValueError(f"dense {dense.shape} and soft_tissue {soft_tissue.shape} must have the same shape")
    return components_touching(dense & ~soft_tissue, soft_tissue)


def refuse_seed_on_cortex(
    *,
    smooth: npt.NDArray[np.float32],
    bone: BoolArray,
    soft_tissue: BoolArray,
    seed_ball: BoolArray,
    seed_hu: float,
    cortex_above_hu: float,
    lesion_range_hu: tuple[float, float],
) -> None:
    """Refuse a sclerotic seed whose ball holds cortex, unless the ball lies inside a dense lesion.

    Parameters
    ----------
    smooth
        The region's lightly smoothed HU.
    bone
        The region's bone mask.
    soft_tissue
        :func:`soft_tissue_around_bone`.
    seed_ball
        The ball the seed's HU is the median of.
    seed_hu
        The seed's HU (for the message).
    cortex_above_hu
        Cortex is bone denser than this continuous with the surface (``blastic_typical_hu`` +
        ``abnormal_delta_hu``).
    lesion_range_hu
        A ball wholly within this range (``blastic_typical_hu``, ``sclerotic_max_hu``) is a dense
        lesion's interior and is kept.

    Raises
    ------
    NoLesionAtSeedError
        If the seed lies on the cortex (``at_bone``: an operator's reference bone HU or an outline drawn
        by hand can still give a lesion there).
    """
    shapes = {a.shape for a in (smooth, bone, soft_tissue, seed_ball)}
    if len(shapes) != 1:
        raise ValueError(f"smooth, bone, soft_tissue and seed_ball must have the same shape, got {shapes}")
    dense = (smooth > cortex_above_hu) & bone
    if not (dense & seed_ball).any():
        return
    ball = smooth[seed_ball]
    lo, hi = lesion_range_hu
    if float(ball.min()) >= lo and float(ball.max()) <= hi:
        return
    cortex = continuous_with_surface(dense, soft_tissue)
    if (cortex & seed_ball).any():
        raise NoLesionAtSeedError(
            f"the seed ({seed_hu:.0f} HU) lies on the bone's cortex (bone above {cortex_above_hu:.0f} HU "
            "running out to the bone's surface within its ball): dense normal bone, not a lesion; click "
            "inside the lesion, away from the cortex",
            seed_hu=seed_hu,
            at_bone=True,
        )
