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

Indices ``[slice, row, col]`` on the volume's grid; positions LPS mm.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]

__all__ = ["seed_voxel"]


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
