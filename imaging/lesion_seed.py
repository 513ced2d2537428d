"""The voxel a lesion seed stands for: the one rounding of a seed (LPS mm) to the grid.

A click lands anywhere in a voxel, and the same click reaches the lesion tool with different last digits
(the window keeps float32 positions, the CLI reads the decimal text): bone-lesions case1's box centre is at
slice index 47.99997, the window's click on that slice at 48.00000 (2.4e-5 mm away). Every step of
:func:`imaging.lesion.segment_lesion` that turns the seed into an index or a set of voxels (its region of
interest, the seed ball, the distance map behind the growth limit and the shells, the fall-back voxel)
used the fractional index, so voxels exactly at a ball's radius or a box's edge fell in or out with those
digits: 65 voxels (0.065 mL) against 223 (0.223 mL) for the two case1 seeds (session 16 QA, item 3).
They all take the seed's voxel from here instead: the voxel whose centre is nearest to the seed, rounded
as :meth:`imaging.volume.Volume.contains_index` rounds (``numpy.rint``). Seeds in the same voxel give the
same lesion; the result can change only where a seed crosses the face between two voxels.

The seed's own HU (step 2 of :mod:`imaging.lesion`) is read here too, with the refusals it alone decides
(:func:`seed_reading`): a seed in zero-filled voxels outside the scan, in air or fat, on metal, or with no
bone near it is no lesion.

Indices ``[slice, row, col]`` on the volume's grid; positions LPS mm; HU.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_grow import LesionParameters
from imaging.lesion_metal import dark_seed_refusal
from imaging.lesion_morph import ellipsoid_in_box
from imaging.lesion_padding import FILL_VALUE_HU
from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

__all__ = ["seed_reading", "seed_voxel"]


def seed_voxel(volume: Volume, seed_lps: npt.ArrayLike) -> FloatArray:
    """The index ``[slice, row, col]`` of the voxel whose centre is nearest to the seed.

    Parameters
    ----------
    volume
        The grid the seed is placed on.
    seed_lps
        The seed, LPS mm (3 numbers).

    Returns
    -------
    numpy.ndarray
        Three whole numbers as float64 (the index arithmetic downstream is in floats), clipped to the
        grid: a seed within half a voxel outside the grid stands for its edge voxel.
    """
    index = volume.lps_to_index_points(np.asarray(seed_lps, dtype=np.float64))
    upper = np.asarray(volume.shape, dtype=np.float64) - 1.0
    out: FloatArray = np.clip(np.rint(index), 0.0, upper)
    return out


def seed_reading(
    hu: npt.NDArray[np.float32],
    local_seed: FloatArray,
    *,
    bone: BoolArray,
    outside: BoolArray,
    spacing: Sequence[float],
    p: LesionParameters,
) -> tuple[BoolArray, float]:
    """The seed's ball and its own HU (the median of the raw voxels within ``p.seed_radius_mm``), in the
    region of interest ``hu`` whose seed voxel is ``local_seed`` (from :func:`seed_voxel`).

    ``bone`` and ``outside`` are the region's bone and its zero-filled voxels outside the scan
    (:mod:`imaging.lesion_padding`), which the ball leaves out (it keeps the seed's voxel when nothing else
    is left).

    Raises
    ------
    NoLesionAtSeedError
        If the seed's voxel is zero-filled, the seed reads air or fat (below ``p.fat_limit_hu``; a streak
        artefact when metal is near: :func:`imaging.lesion_metal.dark_seed_refusal`) or metal (above
        ``p.dense_max_hu``), or no bone lies within ``p.seed_bone_search_mm``.
    """
    seed_at = (int(local_seed[0]), int(local_seed[1]), int(local_seed[2]))
    seed_ball = ellipsoid_in_box(hu.shape, local_seed, p.seed_radius_mm, spacing)
    if not seed_ball.any():
        seed_ball[seed_at] = True
    if outside[seed_at]:
        raise NoLesionAtSeedError(
            "the seed lies in a zero-filled region outside the scan (a crop or resampling filled it with "
            f"{FILL_VALUE_HU:g} HU), not in a lesion"
        )
    seed_ball &= ~outside
    if not seed_ball.any():
        seed_ball[seed_at] = True
    seed_hu = float(np.median(hu[seed_ball]))
    if seed_hu < p.fat_limit_hu:
        # with metal near, a dark streak artefact rather than air or fat (QA s22 D8, imaging.lesion_metal)
        raise dark_seed_refusal(hu, local_seed, spacing, seed_hu, p, outside=outside)
    if seed_hu > p.dense_max_hu:
        # above the densest bone (dense_max_hu, CLINICAL.md's generic bone range 130-3000 HU): metal, which
        # the cortex rule (imaging.lesion_cortex) would otherwise call "dense normal bone" (QA s22 D, a
        # click on a rod)
        raise NoLesionAtSeedError(
            f"the seed ({seed_hu:.0f} HU, median within {p.seed_radius_mm:g} mm) is on metal (above "
            f"{p.dense_max_hu:.0f} HU, denser than any bone: a screw, rod, needle or cement?), not in a "
            "lesion; click inside the lesion, away from the metal",
            seed_hu=seed_hu,
        )
    near_bone = ellipsoid_in_box(hu.shape, local_seed, p.seed_bone_search_mm, spacing)
    if not (bone & near_bone).any():
        raise NoLesionAtSeedError(
            f"no bone within {p.seed_bone_search_mm:g} mm of the seed: a bone lesion must be in or at a bone",
            seed_hu=seed_hu,
        )
    return seed_ball, seed_hu
