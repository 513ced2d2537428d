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

Limits: a blastic lesion that reaches the cortex and is denser than its seed by more than
``abnormal_delta_hu`` loses the part of it continuous with the cortex (seed it in its densest part);
``LesionParameters.cortex_check = False`` turns the rule off. Arrays are the region of interest
``[slice, row, col]``; CT values HU; the zero-filled voxels outside the scan are neither bone nor soft
tissue.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.bone import enclosed_in_two_views

BoolArray = npt.NDArray[np.bool_]

__all__ = ["continuous_with_surface", "soft_tissue_around_bone"]


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
    region = dense & ~soft_tissue
    labels, n = ndimage.label(region)
    if n == 0:
        return np.zeros(dense.shape, dtype=bool)
    keep = np.zeros(n + 1, dtype=bool)
    keep[np.unique(labels[ndimage.binary_dilation(soft_tissue) & region])] = True
    keep[0] = False
    out: BoolArray = keep[labels]
    return out
