"""The pedicle search's bone without the canal's coronal fill, and the depths its waist is looked at.

Synthetic masks with the answer known by construction (imaging.pedicle_solid): a canal whose ring is
closed above and below by plates (laminae overlapping where the spine is tilted), so that the coronal
fill of the bony solid fills it, beside a pedicle's ring whose marrow the fill must keep. Lengths in
voxels of the ROI grid ``[z, y, x]``; depths mm.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from imaging.bony_masks import plane_structure
from imaging.pedicle_solid import BACK_CLEARANCE_MM, without_canal_fill
from imaging.pedicle_waist import MIN_WALL_DEPTH_MM, wall_depth_range

SHAPE = (20, 30, 40)


def _scene() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bone (closed), its coronal fill, the canal's true hole and a pedicle's marrow."""
    bone = np.zeros(SHAPE, dtype=bool)
    canal = np.zeros(SHAPE, dtype=bool)
    marrow = np.zeros(SHAPE, dtype=bool)
    # a ring round the canal (rows 8-21, cols 10-29) on slices 4-15, its hole rows 10-19, cols 12-27
    bone[4:16, 8:22, 10:30] = True
    canal[4:16, 10:20, 12:28] = True
    bone &= ~canal
    # plates above and below close every coronal plane through the canal (tilted laminae)
    bone[2:4, 8:22, 10:30] = True
    bone[16:18, 8:22, 10:30] = True
    # a pedicle's ring beside it, its marrow a hole of its own in the axial slices (and in coronal ones)
    bone[6:14, 10:16, 31:37] = True
    marrow[7:13, 11:15, 32:36] = True
    bone &= ~marrow
    arch_bone = bone | ndimage.binary_fill_holes(bone, structure=plane_structure(1))
    return bone, arch_bone, canal, marrow


def _found() -> np.ndarray:
    """The canal as found: the front of its hole (rows 10-15 of 10-19), on the slices where it is enclosed."""
    found = np.zeros(SHAPE, dtype=bool)
    found[4:16, 10:16, 12:28] = True
    return found


def test_the_coronal_fill_is_taken_back_from_the_canal_and_kept_in_the_marrow() -> None:
    bone, arch_bone, canal, marrow = _scene()
    assert arch_bone[canal].all() and arch_bone[marrow].all()  # the fill took the canal with the marrow
    out = without_canal_fill(arch_bone, bone, _found(), np.zeros(SHAPE, dtype=bool), spacing_mm=1.0)
    # taken back up to BACK_CLEARANCE_MM behind the found canal's centroid (row 12.5): rows 10-14; the
    # canal's back keeps its fill, and so does the pedicle's marrow
    rows = np.indices(SHAPE)[1]
    front = canal & (rows <= 12.5 + BACK_CLEARANCE_MM)
    assert front.any() and (canal & ~front).any()
    assert not out[front].any()
    assert out[canal & ~front].all()
    assert out[marrow].all()
    assert np.array_equal(out | front, arch_bone)  # nothing else changed


def test_the_body_keeps_its_fill_and_an_open_canal_is_left_alone() -> None:
    bone, arch_bone, canal, _ = _scene()
    body = np.zeros(SHAPE, dtype=bool)
    body[:, 10:12, :] = True  # a body mask reaching into the canal's front
    out = without_canal_fill(arch_bone, bone, _found(), body, spacing_mm=1.0)
    assert out[canal & body].all()
    assert not out[canal & ~body & (np.indices(SHAPE)[1] <= 14)].any()
    # a ring open on one side in every slice: the canal is not an enclosed hole, nothing is taken back
    opened = bone.copy()
    opened[:, 8:10, 18:22] = False
    none = np.zeros(SHAPE, dtype=bool)
    assert np.array_equal(without_canal_fill(arch_bone, opened, _found(), none, spacing_mm=1.0), arch_bone)


def test_masks_of_other_shapes_are_refused() -> None:
    bone, arch_bone, canal, _ = _scene()
    with pytest.raises(ValueError, match="one 3D shape"):
        without_canal_fill(arch_bone, bone[:-1], canal, canal, spacing_mm=1.0)
    with pytest.raises(ValueError, match="spacing_mm"):
        without_canal_fill(arch_bone, bone, canal, canal, spacing_mm=0.0)


def test_the_waist_depths_hold_the_wall_in_front_of_the_canals_centre() -> None:
    # the range the sections' front and the canal's centre give is kept when it is wide enough ...
    assert wall_depth_range(15.0, 18.2) == (15.0, 18.2)
    # ... and reaches at least MIN_WALL_DEPTH_MM in front of the canal's centre where the front lies
    # behind it (case7's lesion box 2: 13.0 and 11.8 mm)
    lo, hi = wall_depth_range(13.0, 11.8)
    assert hi == 11.8
    assert lo == pytest.approx(11.8 - MIN_WALL_DEPTH_MM)
