"""The voxel grids of the vertebra phantoms (:mod:`tests.phantoms.vertebra`): how a grid lies in the patient
(head / feet first, supine / prone, PIR as lumbar-ct-labels), a grid covering an LPS box in any of those
orientations, and a phantom placed in a large volume (for timing on a realistic CT size).

Positions DICOM LPS mm; grid spacing ``(slice, row, col)`` mm.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from imaging.volume import Volume, affine_from_geometry

if TYPE_CHECKING:
    from tests.phantoms.vertebra import VertebraPhantom

FloatArray = npt.NDArray[np.float64]


class GridOrientation(StrEnum):
    """How the voxel grid lies in the patient (the volume's direction matrix)."""

    HFS = "HFS"  # head first supine: col +x, row +y, slice +z (plain LPS)
    FFS = "FFS"  # feet first supine: col -x, row +y, slice -z
    HFP = "HFP"  # head first prone: col -x, row -y, slice +z
    FFP = "FFP"  # feet first prone: col +x, row -y, slice -z
    PIR = "PIR"  # col +y (posterior), row -z (inferior), slice -x (right), as lumbar-ct-labels


#: columns = LPS unit direction of increasing col, row, slice (ITK order, as Volume.direction)
_DIRECTIONS: dict[GridOrientation, tuple[tuple[float, float, float], ...]] = {
    GridOrientation.HFS: ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    GridOrientation.FFS: ((-1, 0, 0), (0, 1, 0), (0, 0, -1)),
    GridOrientation.HFP: ((-1, 0, 0), (0, -1, 0), (0, 0, 1)),
    GridOrientation.FFP: ((1, 0, 0), (0, -1, 0), (0, 0, -1)),
    GridOrientation.PIR: ((0, 1, 0), (0, 0, -1), (-1, 0, 0)),
}


def direction_matrix(orientation: GridOrientation | str) -> FloatArray:
    """3x3 direction matrix (columns = col, row, slice directions in LPS) for an orientation."""
    cols = _DIRECTIONS[GridOrientation(orientation)]
    return np.array(cols, dtype=np.float64).T


def grid_for_box(
    box_min_lps: FloatArray,
    box_max_lps: FloatArray,
    spacing_mm: tuple[float, float, float],
    direction: FloatArray,
) -> tuple[FloatArray, tuple[int, int, int]]:
    """index_to_lps and shape of a grid with this direction covering an LPS box."""
    m0 = affine_from_geometry((0.0, 0.0, 0.0), spacing_mm, direction)
    inv = np.linalg.inv(m0[:3, :3])
    corners = np.array(
        [
            [cx, cy, cz]
            for cx in (box_min_lps[0], box_max_lps[0])
            for cy in (box_min_lps[1], box_max_lps[1])
            for cz in (box_min_lps[2], box_max_lps[2])
        ]
    )
    idx = corners @ inv.T
    lo = idx.min(axis=0)
    hi = idx.max(axis=0)
    shape_f = np.ceil(hi - lo).astype(int) + 1
    origin = m0[:3, :3] @ lo
    matrix = affine_from_geometry(origin, spacing_mm, direction)
    return matrix, (int(shape_f[0]), int(shape_f[1]), int(shape_f[2]))


def embed_in_large_volume(
    phantom: VertebraPhantom, shape: tuple[int, int, int] = (400, 512, 512), fill_hu: int = -1000
) -> tuple[Volume, tuple[int, int, int]]:
    """Place the phantom's array in the middle of a large volume of the same spacing and direction.

    Returns the large volume and the index of the phantom's first voxel in it (LPS positions of the
    phantom's voxels are preserved).
    """
    small = phantom.volume
    big = np.full(shape, fill_hu, dtype=np.int16)
    off = tuple(max(0, (n - m) // 2) for n, m in zip(shape, small.shape, strict=True))
    sl = tuple(slice(o, o + m) for o, m in zip(off, small.shape, strict=True))
    big[sl] = small.array
    matrix = small.index_to_lps.copy()
    matrix[:3, 3] = small.index_to_lps_points(-np.asarray(off, dtype=np.float64))
    return Volume(big, matrix), (off[0], off[1], off[2])
