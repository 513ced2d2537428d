"""The bony solid the pedicle search works in: the arch bone without the coronal fill of the canal.

Works on an :class:`imaging.vertebra_roi.LpsRoi` grid (``[z, y, x]``, axial slices along the first
axis); masks are booleans on it.

The arch bone (:class:`imaging.bony_masks.BonyMasks`) fills the holes of the bone in coronal planes, so
that a pedicle's ring with its fatty marrow counts as solid bone. A coronal plane through the spinal
canal is normally open above and below (the canal runs along the spine), but where the vertebrae lie
tilted against the scan's axis and the laminae overlap (a cervicothoracic junction), the coronal planes
through the canal's back are closed by the laminae above and below it, and the fill fills the canal
too. bone-lesions case7, lesion box 2's upper thoracic body: on the slices through its pedicles the
canal is some 14 mm deep from the body to the laminae, and the fill left of it a slit 4-5 mm deep at
its front; in the planes the pedicle's waist is looked for in (:mod:`imaging.pedicle_waist`) the canal
was 5 mm deep, or was not there at all at the pedicle's middle heights (its centre point lay in the
fill), so that no waist was found and the width fell back to lines across an axis fitted to sections
of the posterior arch: 5.3-12.9 mm from clicks 1 mm apart (13.9 mm 2 mm below), for the 9.1 mm the
images show.

The canal is an enclosed hole in the *axial* slices where it is found (the bone ring of body, pedicles
and laminae): on those slices the fill is taken back where it lies in the canal's own hole of the
closed, unfilled bone, in front of the canal's back (``BACK_CLEARANCE_MM``). A pedicle's marrow is a
hole of its own (its medial cortex parts it from the canal) and keeps its fill; so does the body (a
body whose posterior wall is faint lets its interior join the canal's hole).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

__all__ = ["BACK_CLEARANCE_MM", "without_canal_fill"]

BoolArray = npt.NDArray[np.bool_]

#: the fill is taken back from the canal's front and middle only: up to this far behind the centroid of
#: the canal found on each slice (mm, two voxels of the 1 mm grid the anatomy is traced on). The pedicles
#: form the canal's lateral walls in front of its centre, which is where their waist is looked for
#: (imaging.pedicle_waist.wall_depth_range), and the waist's planes look for the canal at its centre
#: line. The canal's back, where the laminae of the levels above and below overlap, keeps its fill:
#: taken back there too, the canal ran out between the laminae in the tilted planes of the waist search
#: (chest CT T8 right: open at two heights above the pedicle's middle, where the search then stopped, so
#: that the width was read over the pedicle's lower half, 4.23 mm instead of 4.77 mm)
BACK_CLEARANCE_MM = 2.0


def without_canal_fill(
    arch_bone: BoolArray, closed: BoolArray, canal: BoolArray, body: BoolArray, *, spacing_mm: float
) -> BoolArray:
    """The arch bone with the coronal fill taken back where it lies in the spinal canal.

    Parameters
    ----------
    arch_bone
        Bone with its holes in coronal planes filled (ROI grid).
    closed
        The closed bone the fill was not applied to (ROI grid): the canal's ring in an axial slice,
        its thin gaps sealed.
    canal
        The canal found (ROI grid; set on the axial slices where it is enclosed).
    body
        The vertebral body (ROI grid); never taken back.
    spacing_mm
        The ROI grid's voxel size (mm).

    Returns
    -------
    ndarray of bool
        A copy of ``arch_bone`` without the voxels that lie, on a slice where the canal was found, in the
        enclosed hole of ``closed`` that holds the canal, no further back than ``BACK_CLEARANCE_MM``
        behind the canal's centroid on that slice, outside the body. Unchanged where the fill did not
        reach into the canal (or the canal's hole is open in that slice).

    Raises
    ------
    ValueError
        If the masks' shapes differ or ``spacing_mm`` is not positive.
    """
    shapes = {arch_bone.shape, closed.shape, canal.shape, body.shape}
    if len(shapes) != 1 or len(arch_bone.shape) != 3:
        raise ValueError(
            f'Arguments "arch_bone", "closed", "canal", "body" must be one 3D shape, got {shapes}'
        )
    if not spacing_mm > 0.0:
        raise ValueError(f'Argument "spacing_mm" must be positive, got {spacing_mm!r}')
    out = arch_bone.copy()
    for k in np.flatnonzero(canal.any(axis=(1, 2))):
        ring = closed[k]
        holes = ndimage.binary_fill_holes(ring) & ~ring
        labels, _ = ndimage.label(holes)
        own = np.unique(labels[canal[k]])
        own = own[own > 0]
        if len(own) == 0:
            continue  # the canal's hole is open in this slice: nothing known to be canal beyond the mask
        # the canal's front and middle only (rows run posterior, on the ROI's grid): see BACK_CLEARANCE_MM
        rows = np.arange(ring.shape[0])[:, None] * spacing_mm
        front = rows <= np.argwhere(canal[k])[:, 0].mean() * spacing_mm + BACK_CLEARANCE_MM
        out[k] &= ~(np.isin(labels, own) & front & ~body[k])
    return out
