"""The operator's box around a lesion (step 8 of :func:`imaging.lesion.segment_lesion`).

``box_lps`` is ``(min_xyz, max_xyz)`` in LPS mm: "the lesion is in here". It only limits where the lesion
may be: the seed is judged, every normal-bone sample taken and the lesion grown exactly as without it,
and the lesion kept is the part of that lesion inside the box connected to the seed
(:func:`clip_to_box`). So a box never makes a lesion found without it refused or smaller than its part
inside the box, and a seed refused without a box stays refused with one.

Before (session 16 QA, item 4), every normal-bone sample was taken outside the box. A box bigger than the
reference shells then moved them off the lesion's own bone onto other bones: on bone-lesions case7's
second lesion (box 24 x 26 mm, 26 mm deep as the window draws it) the deep trabecular bone of the texture
judgement lost the 1,897 voxels of the lesion's own vertebral body that lie in the box more than 12 mm
from the seed, its median rose from 275 to 283 HU, the seed's abnormal-texture share fell from 0.27 to
0.17 (under the 0.20 needed) and the 2.96 mL blastic lesion was refused as normal bone (324 HU); case5's
lesion shrank from 0.06 to 0.01 mL with its box grown by 2 mm. The samples never needed the box: the
shell reference is drawn around the region like the seed and left out of it, the deep bone lies farther
than ``shell_mm[1]`` from the seed, and the second reference is measured around the lesion grown.

:func:`voxels_in_box` marks the voxels of the region of interest ``[slice, row, col]`` whose LPS centres lie
in the box (exact for oblique grids too).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from imaging.lesion_errors import SegmentationError
from imaging.lesion_morph import IndexBox, component_at
from imaging.volume import Volume

BoolArray = npt.NDArray[np.bool_]

__all__ = ["clip_to_box", "seed_in_box", "voxels_in_box"]


def seed_in_box(seed_lps: Sequence[float], box_lps: tuple[Sequence[float], Sequence[float]]) -> bool:
    """Whether an LPS point lies in a box ``(min_xyz, max_xyz)``, faces included (the box's test for its seed,
    also asked by the window before it starts a segmentation)."""
    p = np.asarray(seed_lps, dtype=np.float64)
    return bool(
        np.all(p >= np.asarray(box_lps[0], dtype=np.float64))
        and np.all(p <= np.asarray(box_lps[1], dtype=np.float64))
    )


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
    if not seed_in_box(seed_t, box_lps):
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


def clip_to_box(lesion: BoolArray, in_box: BoolArray, seed_ball: BoolArray) -> BoolArray:
    """The lesion found without the box, kept inside it: its part in the box connected to the seed.

    Parameters
    ----------
    lesion
        The lesion grown without the box (region of interest).
    in_box
        :func:`voxels_in_box`.
    seed_ball
        The seed's ball: the component of the clipped lesion touching it is kept (the largest when
        several do), as growth from the seed inside the box would keep it.

    Returns
    -------
    numpy.ndarray
        Boolean, the region's shape; empty when no part of the lesion in the box touches the seed's ball.
    """
    return component_at(lesion & in_box, seed_ball)
