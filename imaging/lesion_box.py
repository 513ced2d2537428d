"""The operator's box around a lesion (step 8 of :func:`imaging.lesion.segment_lesion`).

``box_lps`` is ``(min_xyz, max_xyz)`` in LPS mm: "the lesion is in here". :func:`voxels_in_box` marks
the voxels of the region of interest ``[slice, row, col]`` whose LPS centres lie in it (exact for
oblique grids too); the lesion grows only inside it and every normal-bone sample is taken outside it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from imaging.lesion_errors import SegmentationError
from imaging.lesion_morph import IndexBox
from imaging.volume import Volume

BoolArray = npt.NDArray[np.bool_]

__all__ = ["voxels_in_box"]


def voxels_in_box(
    volume: Volume,
    roi: IndexBox,
    box_lps: tuple[Sequence[float], Sequence[float]],
    seed_t: tuple[float, float, float],
) -> BoolArray:
    """Voxels of the region whose LPS centres lie in the box (exact for oblique grids too).

    Parameters
    ----------
    volume
        The CT volume the region is cut from.
    roi
        The region of interest (index slices on the volume's grid).
    box_lps
        ``(min_xyz, max_xyz)``, LPS mm.
    seed_t
        The seed, LPS mm: it must lie in the box.

    Returns
    -------
    numpy.ndarray
        Boolean, the region's shape.

    Raises
    ------
    ValueError
        If ``box_lps`` is not two LPS points with max > min.
    SegmentationError
        If the seed lies outside the box.
    """
    lo = np.asarray(box_lps[0], dtype=np.float64)
    hi = np.asarray(box_lps[1], dtype=np.float64)
    if lo.shape != (3,) or hi.shape != (3,) or np.any(hi <= lo):
        raise ValueError(f'Argument "box_lps" must be (min_xyz, max_xyz) with max > min, got {box_lps!r}')
    if np.any(np.asarray(seed_t) < lo) or np.any(np.asarray(seed_t) > hi):
        raise SegmentationError(
            "seed ({:.1f}, {:.1f}, {:.1f}) mm LPS lies outside the box given to limit the lesion".format(
                *seed_t
            )
        )
    shape = tuple(s.stop - s.start for s in roi)
    idx = np.indices(shape, dtype=np.float64).reshape(3, -1).T + np.array([s.start for s in roi])
    pts = volume.index_to_lps_points(idx)
    inside: BoolArray = np.all((pts >= lo) & (pts <= hi), axis=1).reshape(shape)
    return inside
