"""How a lesion in a vertebra reaches its posterior wall, spinal canal and pedicles.

Issue #4 asks, in a vertebra, for posterior-wall involvement; SINS (CLINICAL.md) scores
"posterolateral involvement of spinal elements" (the pedicles). A lesion *involves* the posterior wall
when it reaches the wall band (:mod:`imaging.vertebra_wall`: the cortex between the body and the canal):
it shares a voxel with it or a voxel of it is next to one of the band's (face, edge or corner
neighbours on the grid). Two masks side by side with no voxel between them are not evidence of intact
bone between them: partial volume moves each edge of a thin structure by up to a voxel (the rule
:mod:`imaging.vertebra_wall` applies to gaps), so a lesion whose edge meets the band's edge reaches the
wall.

Distances are between voxel centres, in LPS mm, 0 where the masks share a voxel; overlaps in mL. All
masks lie on the volume's grid ``[slice, row, col]``. Sides are the patient's ("left" = +x in LPS).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from scipy.spatial import cKDTree

from imaging.mask import Mask, overlap_count
from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Involvement:
    """A lesion's nearest distances to its vertebra's wall and canal, and its overlap with each pedicle.

    ``wall_distance_mm`` / ``canal_distance_mm``: None when that structure is not known (no vertebra, or
    not found). ``pedicle_overlap_ml``: side -> lesion volume inside that pedicle, for the pedicles traced
    (an untraced side is absent). ``wall_reached``: the lesion shares a voxel with the wall band or lies
    next to it (None: no wall known).
    """

    wall_distance_mm: float | None
    canal_distance_mm: float | None
    pedicle_overlap_ml: Mapping[str, float] = field(default_factory=dict)
    wall_reached: bool | None = None

    @property
    def wall_involved(self) -> bool | None:
        """True when the lesion reaches the posterior wall band (None: no wall known)."""
        return self.wall_reached

    def pedicles_involved(self, min_overlap_ml: float) -> tuple[str, ...]:
        """The sides whose pedicle holds at least ``min_overlap_ml`` of the lesion ("left", "right")."""
        return tuple(
            side for side in ("left", "right") if self.pedicle_overlap_ml.get(side, 0.0) >= min_overlap_ml
        )

    def to_json(self) -> dict[str, Any]:
        """JSON form (mm, mL)."""
        return {
            "wall_distance_mm": _round(self.wall_distance_mm),
            "canal_distance_mm": _round(self.canal_distance_mm),
            "pedicle_overlap_ml": {k: round(v, 4) for k, v in self.pedicle_overlap_ml.items()},
            "wall_involved": self.wall_reached,
        }


def involvement(
    volume: Volume,
    lesion: Mask,
    *,
    posterior_wall: Mask | None,
    canal: Mask | None = None,
    pedicles: Mapping[str, Mask] | None = None,
) -> Involvement:
    """Distances from a lesion to the posterior wall and canal, and its overlap with each pedicle.

    Parameters
    ----------
    volume
        The volume whose grid the masks lie on (for voxel positions and size).
    lesion
        The lesion mask; must not be empty.
    posterior_wall, canal
        The vertebra's wall band and canal masks, or None when not known.
    pedicles
        Side ("left" / "right") -> pedicle mask, for the pedicles traced.

    Returns
    -------
    Involvement

    Raises
    ------
    ValueError
        If the lesion is empty or a mask lies on another grid.
    """
    if not lesion.any():
        raise ValueError('Argument "lesion" is empty')
    for name, m in (("lesion", lesion), ("posterior_wall", posterior_wall), ("canal", canal)):
        if m is not None and m.grid_shape != volume.shape:
            raise ValueError(
                f'Argument "{name}" lies on grid {m.grid_shape}, not the volume\'s {volume.shape}'
            )
    voxel_ml = float(np.prod(volume.spacing_mm)) / 1000.0
    overlap: dict[str, float] = {}
    for side, m in (pedicles or {}).items():
        if m.grid_shape != volume.shape:
            raise ValueError(
                f'pedicle "{side}" lies on grid {m.grid_shape}, not the volume\'s {volume.shape}'
            )
        if m.any():
            overlap[str(side)] = overlap_count(lesion, m) * voxel_ml
    wall_distance = nearest_distance_mm(volume, lesion, posterior_wall)
    return Involvement(
        wall_distance_mm=wall_distance,
        canal_distance_mm=nearest_distance_mm(volume, lesion, canal),
        pedicle_overlap_ml=overlap,
        wall_reached=None
        if wall_distance is None or posterior_wall is None
        else touches(lesion, posterior_wall),
    )


def nearest_distance_mm(volume: Volume, a: Mask, b: Mask | None) -> float | None:
    """The smallest distance (mm) between the voxel centres of two masks; 0 when they share a voxel,
    None when ``b`` is None or empty."""
    if b is None or not b.any() or not a.any():
        return None
    if overlap_count(a, b) > 0:
        return 0.0
    pa = volume.index_to_lps_points(_surface_indices(a).astype(np.float64))
    pb = volume.index_to_lps_points(_surface_indices(b).astype(np.float64))
    distances, _ = cKDTree(pb).query(pa, k=1)
    return float(np.min(distances))


def touches(a: Mask, b: Mask) -> bool:
    """Whether two masks on the same grid share a voxel or have voxels next to each other (face, edge or
    corner neighbours)."""
    grid = a.grid_shape
    lo = [max(0, o - 1) for o in a.offset_index]
    hi = [min(g, o + n + 1) for o, n, g in zip(a.offset_index, a.array.shape, grid, strict=True)]
    box = np.zeros([h - l0 for l0, h in zip(lo, hi, strict=True)], dtype=bool)
    rel = [o - l0 for o, l0 in zip(a.offset_index, lo, strict=True)]
    box[
        rel[0] : rel[0] + a.array.shape[0],
        rel[1] : rel[1] + a.array.shape[1],
        rel[2] : rel[2] + a.array.shape[2],
    ] = a.array
    grown = ndimage.binary_dilation(box, structure=np.ones((3, 3, 3), dtype=bool))
    return overlap_count(Mask(grown, (lo[0], lo[1], lo[2]), grid), b) > 0


def _surface_indices(m: Mask) -> npt.NDArray[np.int64]:
    """Grid indices of a mask's voxels that have a face neighbour outside it (the nearest voxel of a
    mask to anything outside it is one of these)."""
    inner = ndimage.binary_erosion(m.array, border_value=0)
    idx = np.argwhere(m.array & ~inner).astype(np.int64)
    return idx + np.asarray(m.offset_index, dtype=np.int64)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
