"""Pure mask editing operations: fill holes, remove islands, grow and shrink by a margin
(:func:`choose_island` says which piece Remove islands keeps when the operator points at one);
:func:`mask_pieces` counts a mask's separate pieces (what Remove islands would drop) and how far they lie
from the largest. The brush and the eraser are in :mod:`imaging.mask_brush`.

Every operation takes a :class:`imaging.mask.Mask` (on a volume's grid) and returns a
:class:`MaskEdit`: the new mask plus the index box ``[slice, row, col]`` of the parent grid that
changed and that box's content before and after, so an undo command stores only the box (restore with
:func:`restore_box`). Nothing is changed in place. Sizes are millimetres on the volume's grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.lesion_morph import IndexBox, intersect_boxes, union_boxes
from imaging.mask import Mask
from imaging.volume import Volume

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


class PlaneAxis(StrEnum):
    """The array axis a 2D brush disc is perpendicular to (the disc lies in one index plane).

    For an axial series, ``SLICE`` is the axial view, ``ROW`` the coronal, ``COL`` the sagittal.
    """

    SLICE = "slice"
    ROW = "row"
    COL = "col"


#: the array axis of each brush plane
PLANE_INDEX = {PlaneAxis.SLICE: 0, PlaneAxis.ROW: 1, PlaneAxis.COL: 2}


@dataclass(frozen=True, eq=False)
class MaskEdit:
    """The result of an edit.

    ``box`` is the parent-grid index box that may differ between the old and the new mask (None when
    nothing changed); ``before`` and ``after`` are the mask's content in that box.
    """

    mask: Mask
    box: IndexBox | None
    before: BoolArray
    after: BoolArray

    @property
    def changed(self) -> bool:
        """True when the edit changed at least one voxel."""
        return self.box is not None and not np.array_equal(self.before, self.after)


def fill_holes(mask: Mask, *, plane: PlaneAxis | str | None = None) -> MaskEdit:
    """Fill the holes of the mask: in 3D, or plane by plane in the index planes across ``plane``.

    A 3D hole is a background region enclosed on every side; per-slice filling also fills a region
    enclosed within each plane (a ring seen in that view).
    """
    if not mask.any():
        return unchanged(mask)
    padded = np.pad(mask.array, 1)
    if plane is None:
        filled = ndimage.binary_fill_holes(padded)
    else:
        axis = PLANE_INDEX[PlaneAxis(plane)]
        structure = np.zeros((3, 3, 3), dtype=bool)
        centre: list[slice | int] = [slice(None)] * 3
        centre[axis] = 1
        structure[tuple(centre)] = ndimage.generate_binary_structure(2, 1)
        filled = ndimage.binary_fill_holes(padded, structure=structure)
    new_box = filled[1:-1, 1:-1, 1:-1]
    return replace_in_box(mask, mask.slices, new_box)


#: the piece the operator points at (the crosshair) is kept instead of the largest only when it holds at least
#: this share of the largest piece's voxels. A stray stroke or fleck is a sliver of the lesion (the session-19
#: QA's: 20 voxels against a 12,095-voxel lesion, 0.2 %); a second part worth keeping is a sizeable share of
#: it (case7's two lesions, 3.06 and 12.10 mL, are a quarter of each other). A tenth lies between, so
#: pointing at a sliver keeps the lesion rather than deleting it
KEEP_POINTED_MIN_SHARE = 0.1


@dataclass(frozen=True)
class IslandChoice:
    """Which piece Remove islands keeps (:func:`choose_island`), with the sizes that decided it (voxels).

    ``keep_index`` is a voxel of the piece to keep (parent-grid ``(slice, row, col)``), None for the
    largest; ``pointed_voxels`` is the size of the piece pointed at (0 when the point is not in the mask);
    ``kept_pointed`` says whether that piece is the one kept (it may also be the largest).
    """

    keep_index: tuple[int, int, int] | None
    kept_voxels: int
    largest_voxels: int
    pointed_voxels: int
    kept_pointed: bool

    @property
    def pointed_too_small(self) -> bool:
        """The point lies on a piece too small to be the one meant, so the largest is kept instead."""
        return self.pointed_voxels > 0 and not self.kept_pointed


def choose_island(
    mask: Mask, pointed_index: Sequence[int] | None, *, min_share: float = KEEP_POINTED_MIN_SHARE
) -> IslandChoice:
    """The piece Remove islands keeps: the one at ``pointed_index`` when it holds at least ``min_share``
    of the largest piece's voxels, else the largest (see :data:`KEEP_POINTED_MIN_SHARE`).

    ``pointed_index`` is a parent-grid ``(slice, row, col)`` index (the crosshair); outside the mask, or
    None, the largest is kept. Pieces are face-connected, as :func:`remove_islands` counts them.
    """
    if not 0.0 <= min_share <= 1.0:
        raise ValueError(f'Argument "min_share" must be between 0 and 1, got {min_share}')
    if not mask.any():
        return IslandChoice(None, 0, 0, 0, False)
    labels, n = ndimage.label(mask.array)
    counts = np.bincount(labels.ravel(), minlength=n + 1)
    counts[0] = 0
    largest = int(counts.max())
    if pointed_index is None:
        return IslandChoice(None, largest, largest, 0, False)
    if len(pointed_index) != 3:
        raise ValueError(f'Argument "pointed_index" must be (slice, row, col), got {tuple(pointed_index)}')
    keep = (int(pointed_index[0]), int(pointed_index[1]), int(pointed_index[2]))
    local = np.asarray(keep) - np.asarray(mask.offset_index, dtype=int)
    inside = bool(np.all(local >= 0) and np.all(local < np.asarray(mask.array.shape)))
    pointed = int(labels[tuple(local)]) if inside else 0
    if pointed == 0:
        return IslandChoice(None, largest, largest, 0, False)
    size = int(counts[pointed])
    if size < min_share * largest:
        return IslandChoice(None, largest, largest, size, False)
    return IslandChoice(keep, size, largest, size, True)


def remove_islands(mask: Mask, *, keep_index: Sequence[int] | None = None) -> MaskEdit:
    """Keep one face-connected component: the one holding ``keep_index``, else the largest.

    Parameters
    ----------
    mask
        The mask to clean.
    keep_index
        ``(slice, row, col)`` parent-grid index of a voxel of the component to keep.

    Raises
    ------
    ValueError
        If ``keep_index`` is given and is not a voxel of the mask.
    """
    if not mask.any():
        return unchanged(mask)
    labels, n = ndimage.label(mask.array)
    if keep_index is not None:
        local = np.asarray(keep_index, dtype=int) - np.asarray(mask.offset_index, dtype=int)
        inside = np.all(local >= 0) and np.all(local < np.asarray(mask.array.shape))
        label = int(labels[tuple(local)]) if inside else 0
        if label == 0:
            raise ValueError(f'Argument "keep_index" {tuple(keep_index)} is not a voxel of the mask')
    else:
        counts = np.bincount(labels.ravel(), minlength=n + 1)
        counts[0] = 0
        label = int(np.argmax(counts))
    return replace_in_box(mask, mask.slices, labels == label)


@dataclass(frozen=True)
class MaskPieces:
    """How many separate (face-connected) pieces a mask has, and how far the others lie from the largest.

    ``gap_mm`` is, over the pieces other than the largest, the largest of their nearest voxel-centre
    distances to the largest piece (0.0 for a mask in one piece or none).
    """

    count: int
    largest_voxels: int
    gap_mm: float


def mask_pieces(mask: Mask, volume: Volume) -> MaskPieces:
    """The separate pieces of a mask, as :func:`remove_islands` counts them (face-connected).

    Parameters
    ----------
    mask
        The mask, on ``volume``'s grid.
    volume
        Gives the geometry (``index_to_lps``) for the gap in mm.

    Returns
    -------
    MaskPieces
        The number of pieces, the largest's voxel count and the farthest piece's gap to it, mm.
    """
    if mask.grid_shape != volume.shape:
        raise ValueError(f"mask grid {mask.grid_shape} differs from the volume's {volume.shape}")
    if not mask.any():
        return MaskPieces(0, 0, 0.0)
    labels, n = ndimage.label(mask.array)
    counts = np.bincount(labels.ravel(), minlength=n + 1)
    counts[0] = 0
    largest = int(np.argmax(counts))
    if n == 1:
        return MaskPieces(1, int(counts[largest]), 0.0)
    from scipy.spatial import cKDTree

    offset = np.asarray(mask.offset_index, dtype=np.float64)
    # only the surface voxels can be nearest: the largest piece's boundary is enough for the tree
    core = labels == largest
    shell = core & ~ndimage.binary_erosion(core)
    tree = cKDTree(volume.index_to_lps_points(np.argwhere(shell) + offset))
    gaps = []
    for label in range(1, n + 1):
        if label == largest:
            continue
        points = volume.index_to_lps_points(np.argwhere(labels == label) + offset)
        dist, _ = tree.query(points, k=1)
        gaps.append(float(np.min(dist)))
    return MaskPieces(int(n), int(counts[largest]), max(gaps))


def grow_shrink(mask: Mask, volume: Volume, margin_mm: float) -> MaskEdit:
    """Grow (``margin_mm`` > 0) or shrink (< 0) the mask by a margin in mm.

    Growing adds every voxel whose centre lies within ``margin_mm`` of a mask voxel centre; shrinking
    keeps the mask voxels farther than ``|margin_mm|`` from every background voxel centre. Distances use
    the grid's spacing (exact Euclidean distance map, anisotropic; the shear of a tilted grid is
    ignored). Work is confined to the mask's box padded by the margin.
    """
    if mask.grid_shape != volume.shape:
        raise ValueError(f"mask grid {mask.grid_shape} differs from the volume's {volume.shape}")
    if margin_mm == 0 or not mask.any():
        return unchanged(mask)
    spacing = volume.spacing_mm
    if margin_mm > 0:
        pad = [int(np.ceil(margin_mm / s)) + 1 for s in spacing]
        box = clip_box(
            tuple(slice(sl.start - p, sl.stop + p) for sl, p in zip(mask.slices, pad, strict=True)),
            mask.grid_shape,
        )
        if box is None:  # cannot happen for a non-empty mask on its grid
            return unchanged(mask)
        region = box_content(mask, box)
        dist = ndimage.distance_transform_edt(~region, sampling=spacing)
        return replace_in_box(mask, box, dist <= margin_mm + 1e-9)
    padded = np.pad(mask.array, 1)
    dist = ndimage.distance_transform_edt(padded, sampling=spacing)
    kept = (dist > -margin_mm + 1e-9)[1:-1, 1:-1, 1:-1]
    return replace_in_box(mask, mask.slices, kept)


def restore_box(mask: Mask, box: IndexBox, content: npt.NDArray[np.bool_]) -> Mask:
    """The mask with the parent-grid ``box`` set to ``content`` (an edit's ``before`` for undo)."""
    if content.shape != tuple(s.stop - s.start for s in box):
        raise ValueError(f"content shape {content.shape} does not match the box {box}")
    return replace_in_box(mask, box, content).mask


# -- box helpers (shared with imaging.mask_brush) ---------------------------------------------------
def box_content(mask: Mask, box: IndexBox) -> BoolArray:
    """The mask's values in a parent-grid box (False outside the mask's own box)."""
    out = np.zeros(tuple(s.stop - s.start for s in box), dtype=bool)
    if not mask.any():
        return out
    common = intersect_boxes(box, mask.slices)
    if common is None:
        return out
    dst = tuple(slice(c.start - b.start, c.stop - b.start) for c, b in zip(common, box, strict=True))
    src = tuple(slice(c.start - o, c.stop - o) for c, o in zip(common, mask.offset_index, strict=True))
    out[dst] = mask.array[src]
    return out


def replace_in_box(
    mask: Mask, box: IndexBox, content: BoolArray, *, before: BoolArray | None = None
) -> MaskEdit:
    old = box_content(mask, box) if before is None else before
    if np.array_equal(old, content):
        return MaskEdit(mask, None, old, content)
    span = union_boxes(mask.slices, box) if mask.any() else box
    work = box_content(mask, span)
    dst = tuple(slice(b.start - s.start, b.stop - s.start) for b, s in zip(box, span, strict=True))
    work[dst] = content
    offset = (int(span[0].start), int(span[1].start), int(span[2].start))
    new_mask = Mask.from_box(work, offset, mask.grid_shape)
    return MaskEdit(new_mask, box, old, content.copy())


def clip_box(box: tuple[slice, ...], shape: Sequence[int]) -> IndexBox | None:
    out = []
    for s, n in zip(box, shape, strict=True):
        lo, hi = max(0, int(s.start)), min(int(n), int(s.stop))
        if hi <= lo:
            return None
        out.append(slice(lo, hi))
    return (out[0], out[1], out[2])


def unchanged(mask: Mask) -> MaskEdit:
    empty = np.zeros((0, 0, 0), dtype=bool)
    return MaskEdit(mask, None, empty, empty)
